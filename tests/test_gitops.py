"""Argo CD and the root Application as both stacks' offline plans show them (K6, D1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from kubeboard_infra.gitops import CHART_VERSION, REPOSITORY
from tests.conftest import PROJECT_DIR, plan_for, resources_of, stack_file
from tests.helpers.chart_values import ChartValues

RELEASE = "kubernetes:helm.sh/v3:Release"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
SECRET = "kubernetes:core/v1:Secret"
# configs.cm/params/rbac/secret.extra are ConfigMap/Secret data: any key is Argo CD's, not the chart's.
ARGOCD_FREE_FORM = ("configs.cm.*", "configs.params.*", "configs.rbac.*", "**.ingress.annotations")


def _argocd(plan: dict[str, Any]) -> dict[str, Any]:
    [release] = [r for r in resources_of(plan, RELEASE) if r["inputs"].get("name") == "argocd"]
    return release


def _root(plan: dict[str, Any]) -> dict[str, Any]:
    [application] = resources_of(plan, APPLICATION)
    return application


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_argocd_release_is_pinned_from_argo_helm(stack: str) -> None:
    inputs = _argocd(plan_for(stack))["inputs"]
    assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
        "argo-cd",
        "10.1.1",
        "https://argoproj.github.io/argo-helm",
    )
    assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (CHART_VERSION, REPOSITORY)
    assert inputs["namespace"] == "argocd" and inputs["atomic"] is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_argocd_values_key_exists_upstream(stack: str) -> None:
    chart = ChartValues.load(
        "argo-cd", "10.1.1", free_form=ARGOCD_FREE_FORM, subcharts={"redis-ha": ("redis-ha", "4.38.0")}
    )
    assert chart.unknown_paths(_argocd(plan_for(stack))["inputs"]["values"]) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_server_sits_behind_the_edge_contract_with_readonly_default(stack: str) -> None:
    plan = plan_for(stack)
    values = _argocd(plan)["inputs"]["values"]
    domain = stack_file(stack)["config"]["kubeboard:edge"]["domain"]
    ingress = values["server"]["ingress"]
    assert ingress["enabled"] is True and ingress["hostname"] == f"argocd.{domain}"
    annotations = ingress["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == plan["outputs"]["certificateArn"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == plan["outputs"]["webAclArn"]
    assert values["configs"]["params"]["server.insecure"] is True
    rbac = values["configs"]["rbac"]
    assert rbac["policy.default"] == "role:readonly"
    assert "g, kubeboard:platform, role:admin" in rbac["policy.csv"].splitlines()


def test_prod_has_no_local_admin_signs_in_through_github_and_runs_redundant() -> None:
    values = _argocd(plan_for("prod"))["inputs"]["values"]
    cm = values["configs"]["cm"]
    assert cm["admin.enabled"] is False
    [connector] = yaml.safe_load(cm["dex.config"])["connectors"]
    assert connector["type"] == "github"
    assert connector["config"]["orgs"] == [{"name": "kubeboard", "teams": ["platform", "developers"]}]
    # A reference to the Secret, resolved by Argo CD; never the value itself.
    assert connector["config"]["clientSecret"] == "$argocd-dex-github:clientSecret"
    for part in ("server", "repoServer", "applicationSet"):
        assert values[part]["replicas"] == 2
        assert values[part]["resources"]["limits"]["memory"]
    assert values["redis-ha"]["enabled"] is True
    assert values["dex"]["enabled"] is True


def test_dev_runs_single_replicas_without_a_local_admin() -> None:
    values = _argocd(plan_for("dev"))["inputs"]["values"]
    # dev signs in through the same dex as prod (tests/test_sso.py): no admin account there either.
    assert values["configs"]["cm"]["admin.enabled"] is False
    assert values["server"]["replicas"] == 1 and values["redis-ha"]["enabled"] is False


def test_prod_secrets_are_masked_and_labelled_for_argocd() -> None:
    plan = plan_for("prod")
    secrets = {r["inputs"]["metadata"]["name"]: r for r in resources_of(plan, SECRET)}
    repository = secrets["kubeboard-platform-repository"]["inputs"]
    assert repository["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    assert repository["stringData"] == "[secret]"
    dex = secrets["argocd-dex-github"]["inputs"]
    assert dex["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert dex["stringData"] == "[secret]"
    assert "plan-placeholder-secret" not in json.dumps(plan)


def test_dev_without_token_registers_no_repository_credential() -> None:
    names = {r["inputs"]["metadata"]["name"] for r in resources_of(plan_for("dev"), SECRET)}
    assert "kubeboard-platform-repository" not in names
    assert "argocd-dex-github" in names  # dev signs in through dex too


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_root_application_carries_the_stack_outputs(stack: str) -> None:
    plan = plan_for(stack)
    config = stack_file(stack)["config"]
    application = _root(plan)
    assert _argocd(plan)["urn"] in application["dependencies"]
    spec = application["inputs"]["spec"]
    source = spec["source"]
    assert (source["repoURL"], source["targetRevision"], source["path"]) == (
        "https://github.com/kubeboard/kubeboard-infra.git",
        # dev follows main; prod follows a release tag only a reviewed promotion changes
        {"dev": "main", "prod": "v0.1.0"}[stack],
        "charts/kubeboard",
    )
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    values = source["helm"]["valuesObject"]
    domain = config["kubeboard:edge"]["domain"]
    ingress = values["ingress"]
    assert ingress["certificateArn"] == plan["outputs"]["certificateArn"]
    assert ingress["wafAclArn"] == plan["outputs"]["webAclArn"]
    assert ingress["host"] == domain and ingress["groupName"] == "platform"
    assert ingress["extraAnnotations"]["external-dns.alpha.kubernetes.io/hostname"] == domain
    assert (
        plan["outputs"]["albAccessLogBucket"]
        in ingress["extraAnnotations"]["alb.ingress.kubernetes.io/load-balancer-attributes"]
    )
    assert values["network"]["vpcCidr"] == config["kubeboard:network"]["cidr"]
    assert values["frontPage"]["grafana"]["loggingUrl"] == f"https://grafana.{domain}/d/kubeboard-error-logs"
    assert values["rbac"] == {"developerGroup": "kubeboard:developers", "viewerGroup": "kubeboard:viewers"}
    # Pod Security admission rules are those of the cluster's own minor version.
    assert values["podSecurity"] == {"version": f"v{config['kubeboard:cluster']['kubernetesVersion']}"}


def test_root_application_values_follow_the_chart_values_shape() -> None:
    # The chart's own values.yaml is its contract: the stack may only set keys it declares.
    declared = yaml.safe_load(
        (PROJECT_DIR / "charts" / "kubeboard" / "values.yaml").read_text(encoding="utf-8")
    )
    upstream = ChartValues(
        chart="kubeboard", version="local", upstream=declared, free_form=("**.extraAnnotations",)
    )
    for stack in ("dev", "prod"):
        assert (
            upstream.unknown_paths(_root(plan_for(stack))["inputs"]["spec"]["source"]["helm"]["valuesObject"])
            == []
        )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_platform_chart_runs_in_a_project_bounded_to_its_repo_namespaces_and_kinds(stack: str) -> None:
    plan = plan_for(stack)
    [project] = [
        r
        for r in resources_of(plan, "kubernetes:argoproj.io/v1alpha1:AppProject")
        if r["name"].endswith("-platform-project")
    ]
    application = _root(plan)
    assert (
        application["inputs"]["spec"]["project"]
        == project["inputs"]["metadata"]["name"]
        == "kubeboard-platform"
    )
    assert project["urn"] in application["dependencies"]
    spec = project["inputs"]["spec"]
    assert spec["sourceRepos"] == [application["inputs"]["spec"]["source"]["repoURL"]]
    assert {d["namespace"] for d in spec["destinations"]} == {"dev", "prod", "common"}
    assert {d["server"] for d in spec["destinations"]} == {"https://kubernetes.default.svc"}
    kinds = {w["kind"] for w in spec["clusterResourceWhitelist"]}
    assert kinds == {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "IngressClass",
        "IngressClassParams",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
    assert "*" not in json.dumps(spec)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_front_pages_strategy_reaches_the_chart_with_the_stacks_prometheus(stack: str) -> None:
    config = stack_file(stack)["config"]
    strategy = config["kubeboard:addons"]["argoRollouts"]["frontPageStrategy"]
    assert strategy == {"dev": "canary", "prod": "blueGreen"}[stack]
    values = _root(plan_for(stack))["inputs"]["spec"]["source"]["helm"]["valuesObject"]
    namespace = config["kubeboard:observability"].get("namespace", "monitoring")
    assert values["rollout"] == {
        "strategy": strategy,
        "analysis": {"prometheusUrl": f"http://prometheus-operated.{namespace}.svc.cluster.local:9090"},
    }
    # The chart's stack values the chart tests render are these.
    chart_values = yaml.safe_load(
        (PROJECT_DIR / "tests" / "data" / "chart" / f"values-{stack}.yaml").read_text(encoding="utf-8")
    )
    assert chart_values["rollout"] == values["rollout"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_root_application_syncs_after_the_rollout_crd_exists(stack: str) -> None:
    plan = plan_for(stack)
    [rollouts] = [
        r
        for r in resources_of(plan, "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["name"] == "argo-rollouts"
    ]
    # Through Argo CD's release, which waits for what the chart's kinds need (a component's opts).
    by_urn = {r["urn"]: r for r in plan["resources"]}
    waited, todo = set(), list(_root(plan)["dependencies"])
    while todo:
        urn = todo.pop()
        if urn not in waited:
            waited.add(urn)
            todo += by_urn[urn]["dependencies"] if urn in by_urn else []
    assert rollouts["urn"] in waited
