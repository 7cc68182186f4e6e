"""The add-on contract, the IRSA helper and the Helm add-ons built on them (O4, D4, K7)."""

from __future__ import annotations

import hashlib
import json
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any

import pytest
import yaml

from kubeboard_infra.addons import (
    AddOnDependencyError,
    AddOnSpec,
    AddOnSwitch,
    argo_rollouts,
    aws_load_balancer_controller,
    check_dependencies,
    cluster_autoscaler,
    deep_merge,
    external_dns,
    metrics_server,
)
from kubeboard_infra.addons.catalog import CATALOG
from kubeboard_infra.addons.definition import AddOnContext
from kubeboard_infra.irsa import trust_policy
from kubeboard_infra.settings.addons import AddOnsSettings, FrontPageStrategy

from .conftest import PROJECT_DIR, plan_for, resources_of, stack_file

CHART_VALUES = PROJECT_DIR / "tests" / "data" / "chart-values"
# sha256 of docs/install/iam_policy.json at kubernetes-sigs/aws-load-balancer-controller tag v3.5.0.
UPSTREAM_LB_CONTROLLER_POLICY_SHA256 = "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
STACKS = ["dev", "prod"]


def context(*, is_prod: bool = True) -> AddOnContext:
    """A context for building specs; nothing here reaches the cluster itself."""
    return {
        "cluster": {
            "cluster_name": "kb",
            "provider": None,  # type: ignore[typeddict-item]
            "oidc_provider_arn": "arn:aws:iam::111122223333:oidc-provider/oidc.example",
            "oidc_issuer": "oidc.example",
            "node_security_group_id": "sg-1",
        },
        "cluster_name": "kb",
        "region": "ap-northeast-2",
        "vpc_id": "vpc-1",
        "kubernetes_version": "1.36",
        "is_prod": is_prod,
    }


DNS_OPTIONS = {"hosted_zone_id": "Z123", "domain_filters": ["kb.example.com"]}


def _specs() -> list[AddOnSpec]:
    options = {external_dns.NAME: DNS_OPTIONS}
    return [definition.spec_for(context(), options.get(definition.name)) for definition in CATALOG]


# --- contract -----------------------------------------------------------------------------------


def test_overrides_merge_deeply_over_defaults_without_touching_them() -> None:
    spec = metrics_server.DEFINITION.spec_for(context())
    merged = spec.with_overrides({"resources": {"limits": {"memory": "1Gi"}}, "args": ["--v=2"]})

    assert merged.values["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert merged.values["resources"]["requests"] == spec.values["resources"]["requests"]
    assert merged.values["args"] == ["--v=2"]
    assert spec.values["resources"]["limits"]["memory"] == "400Mi"  # the default is unchanged


def test_lists_replace_rather_than_append() -> None:
    assert deep_merge({"a": [1, 2], "b": {"c": 1}}, {"a": [3]}) == {"a": [3], "b": {"c": 1}}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("version", "^3.0", "exact x.y.z"),
        ("repository", "http://charts.example.com", "https://"),
        ("namespace", "Kube_System", "DNS label"),
    ],
)
def test_spec_refuses_loose_versions_and_bad_names(field: str, value: str, message: str) -> None:
    arguments: dict[str, Any] = {
        "name": "x",
        "chart": "x",
        "version": "1.0.0",
        "repository": "https://charts.example.com",
        "namespace": "x",
    }
    arguments[field] = value
    with pytest.raises(ValueError, match=message):
        AddOnSpec(**arguments)


def test_enabled_addon_with_disabled_dependency_names_the_key() -> None:
    switches = [
        AddOnSwitch("aws-load-balancer-controller", False, "addons.awsLoadBalancerController.enabled"),
        AddOnSwitch("external-dns", True, "addons.externalDns.enabled", ("aws-load-balancer-controller",)),
    ]
    with pytest.raises(AddOnDependencyError) as raised:
        check_dependencies(switches)
    [problem] = raised.value.problems
    assert problem.startswith("addons.externalDns.enabled: external-dns needs aws-load-balancer-controller")
    assert "addons.awsLoadBalancerController.enabled is false" in problem


def test_disabled_addon_may_depend_on_anything_and_unknown_dependencies_are_refused() -> None:
    check_dependencies([AddOnSwitch("a", False, "x.a.enabled", ("missing",))])
    with pytest.raises(AddOnDependencyError, match="does not know"):
        check_dependencies([AddOnSwitch("a", True, "x.a.enabled", ("missing",))])


# --- IRSA ---------------------------------------------------------------------------------------


def test_trust_policy_admits_exactly_one_service_account_for_sts() -> None:
    issuer = "oidc.eks.ap-northeast-2.amazonaws.com/id/ABC"
    provider = f"arn:aws:iam::111122223333:oidc-provider/{issuer}"
    [statement] = trust_policy(provider, f"https://{issuer}", "kube-system", "external-dns")["Statement"]

    assert statement["Principal"] == {"Federated": provider}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:kube-system:external-dns",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }


def _irsa_roles(plan: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    roles = []
    for role in resources_of(plan, ROLE):
        document = json.loads(role["inputs"]["assumeRolePolicy"])
        # web identity from the cluster's issuer (GitHub Actions roles federate elsewhere)
        if any(
            s["Action"] == "sts:AssumeRoleWithWebIdentity"
            and "oidc.eks." in str(s["Principal"].get("Federated"))
            for s in document["Statement"]
        ):
            roles.append((role, document))
    return roles


@pytest.mark.parametrize("stack", STACKS)
def test_every_irsa_role_trusts_exactly_one_service_account_with_the_sts_audience(stack: str) -> None:
    plan = plan_for(stack)
    issuer = plan["outputs"]["oidcIssuer"]
    roles = _irsa_roles(plan)

    # vpc-cni, EBS CSI, EFS CSI + LB controller, cluster-autoscaler, external-dns at least
    assert len(roles) >= 6
    for role, document in roles:
        [statement] = document["Statement"]
        assert statement["Principal"]["Federated"] == plan["outputs"]["oidcProviderArn"], role["name"]
        equals = statement["Condition"]["StringEquals"]
        assert set(statement["Condition"]) == {"StringEquals"}
        assert equals[f"{issuer}:aud"] == "sts.amazonaws.com"
        subject = equals[f"{issuer}:sub"]
        assert isinstance(subject, str) and subject.count(":") == 3 and "*" not in subject


# --- the Helm add-ons in the plans ------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_helm_addons_are_pinned_atomic_releases_with_requests_and_limits(stack: str) -> None:
    releases = {r["inputs"]["name"]: r["inputs"] for r in resources_of(plan_for(stack), RELEASE)}
    expected = {
        "aws-load-balancer-controller": "3.5.0",
        "cluster-autoscaler": "9.59.0",
        "metrics-server": "3.13.1",
        "external-dns": "1.21.1",
    }
    for name, version in expected.items():
        release = releases[name]
        assert release["version"] == version
        assert release["repositoryOpts"]["repo"].startswith("https://")
        assert release["atomic"] is True and release["cleanupOnFail"] is True
        assert release["createNamespace"] is True
        resources = release["values"]["resources"]
        assert set(resources) == {"requests", "limits"}
        assert {"cpu", "memory"} <= resources["requests"].keys() and {"cpu", "memory"} <= resources[
            "limits"
        ].keys()


@pytest.mark.parametrize("stack", STACKS)
def test_service_account_annotation_is_the_role_that_trusts_it(stack: str) -> None:
    plan = plan_for(stack)
    issuer = plan["outputs"]["oidcIssuer"]
    trusted = {}
    for role, document in _irsa_roles(plan):
        trusted[role["name"]] = document["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:sub"]
    assert resources_of(plan, RELEASE)
    for release in resources_of(plan, RELEASE):
        inputs = release["inputs"]
        account = inputs["values"].get("serviceAccount") or inputs["values"].get("rbac", {}).get(
            "serviceAccount"
        )
        if not account or "annotations" not in account:
            continue
        arn = account["annotations"]["eks.amazonaws.com/role-arn"]
        role_name = arn.rsplit("/", 1)[-1].rsplit("-", 1)[0]  # the mock appends a suffix
        assert trusted[role_name] == f"system:serviceaccount:{inputs['namespace']}:{account['name']}"


def test_load_balancer_controller_policy_is_the_upstream_file_of_its_version() -> None:
    shipped = (
        resources.files("kubeboard_infra.addons")
        .joinpath("data", aws_load_balancer_controller.IAM_POLICY_FILE)
        .read_bytes()
    )
    assert aws_load_balancer_controller.CONTROLLER_VERSION == "v3.5.0"
    assert aws_load_balancer_controller.IAM_POLICY_FILE.endswith("-v3.5.0.json")
    # byte for byte the upstream file: a hand edit changes the digest
    assert hashlib.sha256(shipped).hexdigest() == UPSTREAM_LB_CONTROLLER_POLICY_SHA256
    assert aws_load_balancer_controller.iam_policy() == json.loads(shipped)


@pytest.mark.parametrize("stack", STACKS)
def test_load_balancer_controller_knows_cluster_region_and_vpc(stack: str) -> None:
    plan = plan_for(stack)
    [release] = [
        r for r in resources_of(plan, RELEASE) if r["inputs"]["name"] == "aws-load-balancer-controller"
    ]
    values = release["inputs"]["values"]
    assert values["clusterName"] == plan["outputs"]["clusterName"]
    assert values["region"] == stack_file(stack)["config"]["aws:region"]
    assert values["vpcId"] == plan["outputs"]["vpcId"]


def test_cluster_autoscaler_may_scale_only_groups_tagged_as_this_clusters() -> None:
    document = cluster_autoscaler.iam_policy("kubeboard-prod")
    writes = [s for s in document["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"]]
    [statement] = writes
    assert statement["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/kubeboard-prod": "owned"}
    }
    assert all(
        not a.startswith(("autoscaling:Set", "autoscaling:Terminate"))
        for s in document["Statement"][1:]
        for a in s["Action"]
    )


def test_external_dns_changes_records_only_in_the_configured_zone() -> None:
    document = external_dns.iam_policy("Z0EXAMPLE", ["kb.example.com"])
    changes = [s for s in document["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    assert len(changes) == 1
    assert changes[0]["Resource"] == ["arn:aws:route53:::hostedzone/Z0EXAMPLE"]
    spec = external_dns.DEFINITION.spec_for(
        context(), {"hosted_zone_id": "Z0EXAMPLE", "domain_filters": ["kb.example.com."]}
    )
    # sync: destroying an Ingress deletes its records, only those this cluster's TXT records own.
    assert spec.values["policy"] == "sync"
    assert spec.values["registry"] == "txt"
    assert spec.values["txtOwnerId"] == "kb"
    assert spec.values["domainFilters"] == ["kb.example.com"]


def _change_conditions(domains: list[str], policy: str = "upsert-only") -> dict[str, Any]:
    [change] = [
        s
        for s in external_dns.iam_policy("Z0", domains, policy)["Statement"]
        if "route53:ChangeResourceRecordSets" in s["Action"]
    ]
    return change["Condition"]


def test_external_dns_may_change_only_its_own_environments_names() -> None:
    """A dev cluster must not rewrite prod's names or add ACM validation records for them."""
    names = _change_conditions(["Dev.KB.example.com."])["ForAllValues:StringLike"][
        "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    ]
    # Route 53 compares normalised names: lowercase, no trailing dot.
    assert names == [
        "dev.kb.example.com",
        "*.dev.kb.example.com",
        "a-dev.kb.example.com",
        "aaaa-dev.kb.example.com",
        "cname-dev.kb.example.com",
    ]
    prod_names = ["grafana.kb.example.com", "kb.example.com", "_acm1234.kb.example.com"]
    assert not any(fnmatchcase(name, pattern) for name in prod_names for pattern in names)
    assert all(
        any(fnmatchcase(name, pattern) for pattern in names)
        for name in ["dev.kb.example.com", "grafana.dev.kb.example.com", "a-grafana.dev.kb.example.com"]
    )


@pytest.mark.parametrize(
    ("policy", "actions"),
    [
        ("upsert-only", ["CREATE", "UPSERT"]),
        ("create-only", ["CREATE"]),
        ("sync", ["CREATE", "UPSERT", "DELETE"]),
    ],
)
def test_external_dns_record_kinds_and_actions_follow_its_policy(policy: str, actions: list[str]) -> None:
    exact = _change_conditions(["kb.example.com"], policy)["ForAllValues:StringEquals"]
    assert exact["route53:ChangeResourceRecordSetsActions"] == actions
    assert exact["route53:ChangeResourceRecordSetsRecordTypes"] == ["A", "AAAA", "CNAME", "TXT"]


# --- values against the upstream charts ---------------------------------------------------------


# Maps the charts pass through as they are: cluster-autoscaler renders each extraArgs entry as
# --<key>=<value>; `resources` and the security contexts are Kubernetes types whatever the chart's example.
FREE_FORM = {"extraArgs", "resources", "securityContext", "containerSecurityContext", "podSecurityContext"}


def _unknown_keys(values: dict[str, Any], reference: Any, path: str = "") -> list[str]:
    """Keys of `values` that the chart's values.yaml does not have (free-form maps excepted)."""
    unknown = []
    if path in FREE_FORM or not isinstance(reference, dict) or not reference:
        return []  # an empty or free-form map in the chart: anything goes below it
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in reference:
            unknown.append(where)
        elif isinstance(value, dict) and isinstance(reference[key], dict):
            unknown.extend(_unknown_keys(value, reference[key], where))
    return unknown


@pytest.mark.parametrize("spec", _specs(), ids=lambda s: s.name)
def test_every_value_key_exists_in_the_pinned_chart(spec: AddOnSpec) -> None:
    chart_dir = CHART_VALUES / f"{spec.chart}-{spec.version}"
    reference = yaml.safe_load((chart_dir / "values.yaml").read_text())
    # Helm silently ignores a misspelt key: every key we set must be one the chart reads.
    values = spec.values
    if spec.irsa:
        values = deep_merge(
            values, _nested(spec.irsa.service_account_path, {"create": True, "name": "x", "annotations": {}})
        )
    assert _unknown_keys(values, reference) == []
    schema = chart_dir / "values.schema.json"
    if schema.exists():
        import jsonschema

        merged = deep_merge(reference, values)
        jsonschema.validate(json.loads(json.dumps(merged, default=str)), json.loads(schema.read_text()))


def _nested(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


def test_value_checker_catches_a_misspelt_key() -> None:
    reference = yaml.safe_load((CHART_VALUES / "metrics-server-3.13.1" / "values.yaml").read_text())
    assert _unknown_keys({"replica": 2, "podDisruptionBudget": {"enable": True}}, reference) == [
        "replica",
        "podDisruptionBudget.enable",
    ]


# --- argo-rollouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "replicas"), [("dev", 1), ("prod", 2)])
def test_argo_rollouts_runs_pinned_with_a_standby_and_pdb_in_prod(stack: str, replicas: int) -> None:
    releases = {r["inputs"]["name"]: r["inputs"] for r in resources_of(plan_for(stack), RELEASE)}
    release = releases["argo-rollouts"]
    assert release["version"] == "2.41.0"
    assert release["repositoryOpts"]["repo"] == "https://argoproj.github.io/argo-helm"
    assert release["atomic"] is True
    controller = release["values"]["controller"]
    assert controller["replicas"] == replicas
    assert controller["pdb"]["enabled"] is (replicas == 2)
    resources = controller["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys() and {"cpu", "memory"} <= resources[
        "limits"
    ].keys()
    # Metrics on, scraped through kube-prometheus-stack's ServiceMonitor (the release needs no CRD of it).
    assert controller["metrics"]["enabled"] is True
    assert controller["metrics"]["serviceMonitor"]["enabled"] is False
    monitors = releases["kube-prometheus-stack"]["values"]["prometheus"]["additionalServiceMonitors"]
    [monitor] = [m for m in monitors if m["name"] == "argo-rollouts"]
    assert monitor["namespaceSelector"] == {"matchNames": [release["namespace"]]}
    assert release["values"]["dashboard"]["enabled"] is False
    # RBAC for the one traffic router the platform uses, none for the meshes it does not run.
    providers = release["values"]["providerRBAC"]["providers"]
    assert [name for name, on in providers.items() if on] == ["awsLoadBalancerController"]


def test_argo_rollouts_may_only_describe_the_load_balancers_it_verifies() -> None:
    spec = argo_rollouts.DEFINITION.spec_for(context(is_prod=False))
    assert spec.values["controller"]["awsVerifyTargetGroup"] is True
    assert spec.irsa is not None and spec.irsa.service_account == argo_rollouts.SERVICE_ACCOUNT
    [statement] = argo_rollouts.iam_policy()["Statement"]
    assert statement["Action"] and all(
        action.startswith("elasticloadbalancing:Describe") for action in statement["Action"]
    )


def test_argo_rollouts_service_monitor_selects_the_charts_metrics_service() -> None:
    """The labels and port name the chart gives its metrics Service (templates/controller/metrics-service.yaml)."""
    monitor = argo_rollouts.service_monitor()
    assert monitor["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "argo-rollouts",
        "app.kubernetes.io/instance": "argo-rollouts",
        "app.kubernetes.io/component": "rollouts-controller",
    }
    values = yaml.safe_load((CHART_VALUES / "argo-rollouts-2.41.0" / "values.yaml").read_text())
    assert values["controller"]["component"] == "rollouts-controller"
    assert monitor["endpoints"][0]["port"] == values["controller"]["metrics"]["service"]["portName"]


def test_front_page_strategy_defaults_to_a_deployment_and_blue_green_needs_no_alb_controller() -> None:
    assert (
        AddOnsSettings().options(argo_rollouts.DEFINITION)["front_page_strategy"]
        is FrontPageStrategy.DEPLOYMENT
    )
    assert AddOnsSettings().enabled(argo_rollouts.DEFINITION) is True
    blue_green = AddOnsSettings.model_validate_json(
        '{"awsLoadBalancerController": {"enabled": false}, "argoRollouts": {"frontPageStrategy": "blueGreen"}}'
    )
    assert blue_green.options(argo_rollouts.DEFINITION)["front_page_strategy"] is FrontPageStrategy.BLUE_GREEN
    assert blue_green.strategy_problem(prometheus=True) is None
    assert "it needs observability.enabled" in str(blue_green.strategy_problem(prometheus=False))
    canary = AddOnsSettings.model_validate_json(
        '{"awsLoadBalancerController": {"enabled": false}, "argoRollouts": {"frontPageStrategy": "canary"}}'
    )
    assert str(canary.strategy_problem(prometheus=True)).startswith(
        "addons.argoRollouts.frontPageStrategy: canary shifts traffic through the ALB"
    )
    # Off with the default strategy is fine: nothing needs it.
    off = AddOnsSettings.model_validate_json('{"argoRollouts": {"enabled": false}}')
    assert off.strategy_problem(prometheus=False) is None
