"""One sign-in for every UI (`kubeboard:sso`): dex in Argo CD, Grafana and the front page its clients,
no local admin anywhere, as both stacks' offline plans show it."""

from __future__ import annotations

import copy
import json
from typing import Any

import jmespath
import pytest
import yaml

from kubeboard_infra.settings import SettingsError, load_settings
from kubeboard_infra.settings.sso import SsoSettings
from kubeboard_infra.sso import (
    FRONT_PAGE_CLIENT_ID,
    FRONT_PAGE_OIDC_SECRET,
    GRAFANA_CLIENT_ID,
    DexClient,
    SsoConfig,
    admin_groups,
    client_secret,
    developer_groups,
    grafana_role_path,
)
from kubeboard_policy.config import PackConfig
from kubeboard_policy.offline import evaluate
from tests.conftest import STACKS, plan_for, resources_of, stack_file

RELEASE = "kubernetes:helm.sh/v3:Release"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
SIGN_IN_POLICIES = ("ui-require-sign-in", "ui-disallow-local-admin-with-sso")


def _release(plan: dict[str, Any], name: str) -> dict[str, Any]:
    [release] = [r for r in resources_of(plan, RELEASE) if r["inputs"].get("name") == name]
    return release


def _domain(stack: str) -> str:
    domain: str = stack_file(stack)["config"]["kubeboard:edge"]["domain"]
    return domain


def _issuer(stack: str) -> str:
    return f"https://argocd.{_domain(stack)}/api/dex"


def _secret(plan: dict[str, Any], name: str) -> dict[str, Any]:
    [secret] = [r for r in resources_of(plan, SECRET) if r["inputs"]["metadata"]["name"] == name]
    return secret


def _front_page_ingress(plan: dict[str, Any]) -> dict[str, Any]:
    [application] = resources_of(plan, APPLICATION)
    ingress: dict[str, Any] = application["inputs"]["spec"]["source"]["helm"]["valuesObject"]["ingress"]
    return ingress


def _sso(stack: str) -> SsoConfig:
    raw = copy.deepcopy(stack_file(stack)["config"]["kubeboard:sso"])
    raw["github"]["clientSecret"] = "0123456789abcdef0123456789abcdef01234567"
    raw |= {"grafanaClientSecret": "g" * 64, "frontPageClientSecret": "f" * 64}
    return SsoSettings.model_validate(raw).to_config()


# --- Settings -----------------------------------------------------------------------------------


def _engine_config(stack: str, **sso: Any) -> dict[str, str]:
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_file(stack)["config"].items()}
    section = json.loads(config["kubeboard:sso"])
    section["github"]["clientSecret"] = "0123456789abcdef0123456789abcdef01234567"
    section |= {"grafanaClientSecret": "g" * 64, "frontPageClientSecret": "f" * 64, **sso}
    config["kubeboard:sso"] = json.dumps(section)
    gitops = json.loads(config["kubeboard:gitops"])
    if gitops["repository"].get("private"):
        gitops["repository"]["token"] = "github_pat_read_only"
        config["kubeboard:gitops"] = json.dumps(gitops)
    return config


@pytest.mark.parametrize("stack", STACKS)
def test_both_stacks_name_who_signs_in_and_as_what(stack: str) -> None:
    settings = load_settings(_engine_config(stack), source=f"Pulumi.{stack}.yaml")
    assert settings.sso is not None
    assert admin_groups(settings.sso.to_config()) == ["kubeboard:platform"]
    assert developer_groups(settings.sso.to_config()) == ["kubeboard:developers"]


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_without_sso_is_refused_naming_the_key(stack: str) -> None:
    config = _engine_config(stack)
    del config["kubeboard:sso"]
    with pytest.raises(SettingsError) as caught:
        load_settings(config, source=f"Pulumi.{stack}.yaml")
    assert caught.value.problems[0].startswith(
        "kubeboard:sso: required with gitops and observability enabled"
    )


@pytest.mark.parametrize(
    ("override", "key"),
    [
        (
            {"grafanaClientSecret": "short"},
            "kubeboard:sso.grafanaClientSecret: must be at least 32",
        ),
        (
            {"frontPageClientSecret": " " * 40},
            "kubeboard:sso.frontPageClientSecret: must not be empty",
        ),
        (
            {"frontPageClientSecret": "a b" * 20},
            "kubeboard:sso.frontPageClientSecret: must not contain",
        ),
    ],
)
def test_weak_client_secrets_are_refused_without_echoing_them(override: dict[str, str], key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_engine_config("dev", **override), source="Pulumi.dev.yaml")
    [problem] = caught.value.problems
    assert problem.startswith(key)
    assert next(iter(override.values())) not in problem.removeprefix(key)


# --- Argo CD: dex, the identity provider of every UI ---------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_argocd_has_no_local_admin_and_runs_dex_with_github(stack: str) -> None:
    values = _release(plan_for(stack), "argocd")["inputs"]["values"]
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is False
    assert values["dex"]["enabled"] is True
    dex = yaml.safe_load(cm["dex.config"])
    [connector] = dex["connectors"]
    assert connector["type"] == "github"
    assert connector["config"]["orgs"] == [{"name": "kubeboard", "teams": ["platform", "developers"]}]
    assert connector["config"]["teamNameField"] == "slug"
    # References to the Secret, resolved by Argo CD; never the values themselves.
    assert connector["config"]["clientSecret"] == "$argocd-dex-github:clientSecret"
    clients = {client["id"]: client for client in dex["staticClients"]}
    assert clients[GRAFANA_CLIENT_ID]["redirectURIs"] == [
        f"https://grafana.{_domain(stack)}/login/generic_oauth"
    ]
    assert clients[GRAFANA_CLIENT_ID]["secret"] == "$argocd-dex-github:grafanaClientSecret"
    assert clients[FRONT_PAGE_CLIENT_ID]["redirectURIs"] == [f"https://{_domain(stack)}/oauth2/idpresponse"]
    assert clients[FRONT_PAGE_CLIENT_ID]["secret"] == "$argocd-dex-github:frontPageClientSecret"
    rbac = values["configs"]["rbac"]
    assert rbac["policy.default"] == "role:readonly"
    assert rbac["policy.csv"].splitlines() == ["g, kubeboard:platform, role:admin"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_client_secret_reaches_the_cluster_only_as_a_pulumi_secret(stack: str) -> None:
    plan = plan_for(stack)
    dex = _secret(plan, "argocd-dex-github")["inputs"]
    assert dex["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    for name in ("argocd-dex-github", "grafana-oauth", FRONT_PAGE_OIDC_SECRET):
        assert _secret(plan, name)["inputs"]["stringData"] == "[secret]"
    text = json.dumps(plan)
    assert "plan-placeholder-secret" not in text
    assert "grafanaAdminPassword" not in plan["outputs"]  # the admin password opens nothing now


# --- Grafana -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_grafana_signs_in_through_dex_only(stack: str) -> None:
    grafana = _release(plan_for(stack), "kube-prometheus-stack")["inputs"]["values"]["grafana"]
    ini = grafana["grafana.ini"]
    oauth = ini["auth.generic_oauth"]
    assert oauth["enabled"] is True and oauth["client_id"] == GRAFANA_CLIENT_ID
    assert "client_secret" not in oauth  # from the Secret, through the environment
    assert (oauth["auth_url"], oauth["token_url"], oauth["api_url"]) == (
        f"{_issuer(stack)}/auth",
        f"{_issuer(stack)}/token",
        f"{_issuer(stack)}/userinfo",
    )
    assert "groups" in oauth["scopes"].split()
    assert oauth["allowed_groups"].split() == ["kubeboard:platform", "kubeboard:developers"]
    assert ini["auth"]["disable_login_form"] is True
    assert ini["auth.basic"]["enabled"] is False
    assert ini["auth.anonymous"]["enabled"] is False
    assert grafana["envValueFrom"] == {
        "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": {
            "secretKeyRef": {"name": "grafana-oauth", "key": "client-secret"}
        }
    }


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["kubeboard:platform"], "Admin"),
        (["kubeboard:developers", "kubeboard:platform"], "Admin"),
        (["kubeboard:developers"], "Editor"),
        (["kubeboard:other"], "Viewer"),
        ([], "Viewer"),
    ],
)
def test_grafana_roles_follow_the_github_teams(groups: list[str], role: str) -> None:
    # The same JMESPath Grafana evaluates over the ID token's claims.
    path = _release(plan_for("prod"), "kube-prometheus-stack")["inputs"]["values"]["grafana"]["grafana.ini"][
        "auth.generic_oauth"
    ]["role_attribute_path"]
    assert path == grafana_role_path(_sso("prod"))
    assert jmespath.search(path, {"groups": groups, "email": "someone@example.com"}) == role


# --- The front page: the ALB signs people in ----------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_front_page_ingress_authenticates_through_dex_at_the_alb(stack: str) -> None:
    annotations = _front_page_ingress(plan_for(stack))["extraAnnotations"]
    prefix = "alb.ingress.kubernetes.io"
    assert annotations[f"{prefix}/auth-type"] == "oidc"
    assert annotations[f"{prefix}/auth-on-unauthenticated-request"] == "authenticate"
    assert annotations[f"{prefix}/auth-scope"] == "openid email groups"
    idp = json.loads(annotations[f"{prefix}/auth-idp-oidc"])
    assert idp == {
        "issuer": _issuer(stack),
        "authorizationEndpoint": f"{_issuer(stack)}/auth",
        "tokenEndpoint": f"{_issuer(stack)}/token",
        "userInfoEndpoint": f"{_issuer(stack)}/userinfo",
        "secretName": FRONT_PAGE_OIDC_SECRET,
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_albs_client_waits_beside_the_ingress_before_argocd_syncs_it(stack: str) -> None:
    plan = plan_for(stack)
    secret = _secret(plan, FRONT_PAGE_OIDC_SECRET)
    # The ALB controller reads it from the Ingress's own namespace (the chart's `common`).
    assert secret["inputs"]["metadata"]["namespace"] == "common"
    [namespace] = [r for r in resources_of(plan, NAMESPACE) if r["inputs"]["metadata"]["name"] == "common"]
    assert namespace["urn"] in secret["dependencies"]
    assert namespace["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    [application] = resources_of(plan, APPLICATION)
    assert secret["urn"] in application["dependencies"]


# --- What must be shown: every UI of both plans signs in, none keeps a local admin -----------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_ui_of_the_plan_is_found_and_signs_in(stack: str) -> None:
    plan = plan_for(stack)
    argocd = _release(plan, "argocd")["inputs"]["values"]["server"]["ingress"]
    grafana = _release(plan, "kube-prometheus-stack")["inputs"]["values"]["grafana"]["ingress"]
    front_page = _front_page_ingress(plan)
    assert [argocd["enabled"], grafana["enabled"], front_page["enabled"]] == [True, True, True]
    section = evaluate(plan["resources"], stack, config=PackConfig())
    assert set(SIGN_IN_POLICIES) <= set(section["evaluated"])
    assert [r for r in section["results"] if r["policy"] in SIGN_IN_POLICIES] == []


def _weakened(plan: dict[str, Any], name: str, change: Any) -> list[dict[str, Any]]:
    resources = copy.deepcopy(plan["resources"])
    for resource in resources:
        if resource["name"] == name and resource["type"] in (RELEASE, APPLICATION):
            change(resource["inputs"])
    return resources


@pytest.mark.parametrize(
    ("resource", "change", "policy"),
    [
        (
            "gitops-root-application",
            lambda i: i["spec"]["source"]["helm"]["valuesObject"]["ingress"]["extraAnnotations"].pop(
                "alb.ingress.kubernetes.io/auth-type"
            ),
            "ui-require-sign-in",
        ),
        (
            "kubeboard-dev-kube-prometheus-stack",
            lambda i: i["values"]["grafana"]["grafana.ini"]["auth.generic_oauth"].update(enabled=False),
            "ui-require-sign-in",
        ),
        (
            "kubeboard-dev-kube-prometheus-stack",
            lambda i: i["values"]["grafana"]["grafana.ini"]["auth.basic"].update(enabled=True),
            "ui-disallow-local-admin-with-sso",
        ),
        (
            "gitops-argocd",
            lambda i: i["values"]["configs"]["cm"].update({"admin.enabled": True}),
            "ui-disallow-local-admin-with-sso",
        ),
    ],
)
def test_a_plan_that_drops_a_sign_in_is_stopped(resource: str, change: Any, policy: str) -> None:
    plan = plan_for("dev")
    assert any(r["name"] == resource and r["type"] in (RELEASE, APPLICATION) for r in plan["resources"])
    section = evaluate(_weakened(plan, resource, change), "dev", config=PackConfig())
    hits = [r for r in section["results"] if r["policy"] == policy]
    assert len(hits) == 1 and hits[0]["level"] == "mandatory"
    assert hits[0]["urn"].endswith(f"::{resource}")


def test_a_client_without_a_secret_names_the_arg() -> None:
    stranger = DexClient("other", "Other", "https://other.example.com/callback", "otherClientSecret")
    with pytest.raises(ValueError, match=r"^dex_clients: no secret for the client 'other'"):
        client_secret(_sso("dev"), stranger)
