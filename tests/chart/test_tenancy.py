"""Tenancy on the edge: team namespaces publish only through their own IngressClass, behind the WAF,
and the admission policy's CEL refuses every way out, evaluated offline on the rendered policy."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.chart.admission import refusals, selects
from tests.chart.chart_render import Rendered, Renderer, stack_values, with_change
from tests.chart.custom_resources import validate_custom_resource

RESERVED = ["grafana.kubeboard.example.com", "argocd.kubeboard.example.com"]
WAF = "alb.ingress.kubernetes.io/wafv2-acl-arn"


@pytest.fixture(scope="module")
def prod(render: Renderer) -> Rendered:
    return render(with_change(stack_values("prod"), "tenancy.reservedHosts", RESERVED))


@pytest.fixture(scope="module")
def acl_arn(prod: Rendered) -> str:
    arn: str = prod.one("IngressClassParams", "kubeboard-teams")["spec"]["wafv2AclArn"]
    return arn


def team_ingress(acl_arn: str, **changes: Any) -> dict[str, Any]:
    ingress: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "dev", "annotations": {WAF: acl_arn}},
        "spec": {
            "ingressClassName": "kubeboard-teams",
            "rules": [{"host": "shop.kubeboard.example.com", "http": {"paths": []}}],
            "tls": [{"hosts": ["shop.kubeboard.example.com"]}],
        },
    }
    for dotted, value in changes.items():
        node = ingress
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return ingress


def _ingress_policy(prod: Rendered) -> dict[str, Any]:
    return prod.one("ValidatingAdmissionPolicy", "kubeboard-team-ingress")


def test_a_well_formed_team_ingress_is_admitted(prod: Rendered, acl_arn: str) -> None:
    assert refusals(_ingress_policy(prod), team_ingress(acl_arn)) == []
    joined = team_ingress(acl_arn)
    joined["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"] = "teams"
    assert refusals(_ingress_policy(prod), joined) == []


def _annotated(acl_arn: str, **annotations: str) -> dict[str, Any]:
    ingress = team_ingress(acl_arn)
    ingress["metadata"]["annotations"].update(annotations)
    return ingress


REFUSED: dict[str, Any] = {
    "the platform's class": (
        "use the IngressClass",
        lambda arn: team_ingress(arn, spec__ingressClassName="alb"),
    ),
    "no class": ("use the IngressClass", lambda arn: team_ingress(arn, spec__ingressClassName=None)),
    "the legacy class annotation": (
        "kubernetes.io/ingress.class",
        lambda arn: _annotated(arn, **{"kubernetes.io/ingress.class": "alb"}),
    ),
    "the platform's group": (
        "another ALB group",
        lambda arn: _annotated(arn, **{"alb.ingress.kubernetes.io/group.name": "platform"}),
    ),
    "no WAF": ("WAF ACL", lambda arn: team_ingress(arn, metadata__annotations={})),
    "no annotations at all": ("WAF ACL", lambda arn: team_ingress(arn, metadata__annotations=None)),
    "another WAF": ("WAF ACL", lambda arn: _annotated(arn, **{WAF: arn.replace("kubeboard-prod", "open")})),
    "a WAF by name": (
        "WAF ACL",
        lambda arn: _annotated(arn, **{"alb.ingress.kubernetes.io/wafv2-acl-name": "open"}),
    ),
    "an internal scheme": (
        "ALB scheme",
        lambda arn: _annotated(arn, **{"alb.ingress.kubernetes.io/scheme": "internal"}),
    ),
    "Grafana's hostname": (
        "names its own host",
        lambda arn: team_ingress(arn, spec__rules=[{"host": RESERVED[0]}]),
    ),
    "the front page's hostname": (
        "names its own host",
        lambda arn: team_ingress(arn, spec__rules=[{"host": "kubeboard.example.com"}]),
    ),
    "a wildcard host": (
        "names its own host",
        lambda arn: team_ingress(arn, spec__rules=[{"host": "*.kubeboard.example.com"}]),
    ),
    "a rule without host": (
        "names its own host",
        lambda arn: team_ingress(arn, spec__rules=[{"http": {"paths": []}}]),
    ),
    "a default backend": (
        "names its own host",
        lambda arn: team_ingress(
            arn, spec__defaultBackend={"service": {"name": "shop", "port": {"number": 80}}}
        ),
    ),
    "a reserved TLS host": ("tls.hosts", lambda arn: team_ingress(arn, spec__tls=[{"hosts": [RESERVED[1]]}])),
}


@pytest.mark.parametrize("label", REFUSED)
def test_the_admission_policy_refuses(label: str, prod: Rendered, acl_arn: str) -> None:
    reason, build = REFUSED[label]
    refused = refusals(_ingress_policy(prod), build(acl_arn))
    assert refused, f"{label} was admitted"
    assert all(reason in message for message in refused), refused


@pytest.mark.parametrize(
    ("spec", "admitted"),
    [
        ({"type": "LoadBalancer"}, False),
        ({"type": "NodePort"}, False),
        ({"type": "ClusterIP", "externalIPs": ["203.0.113.10"]}, False),
        ({"type": "ClusterIP"}, True),
        ({}, True),
    ],
)
def test_team_services_stay_inside_the_cluster(prod: Rendered, spec: dict[str, Any], admitted: bool) -> None:
    policy = prod.one("ValidatingAdmissionPolicy", "kubeboard-team-services")
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "dev"},
        "spec": spec,
    }
    assert (refusals(policy, service) == []) is admitted


def test_bindings_deny_in_team_namespaces_only(prod: Rendered) -> None:
    namespaces = {n["metadata"]["name"]: n for n in prod.of_kind("Namespace")}
    bindings = prod.of_kind("ValidatingAdmissionPolicyBinding")
    assert {b["spec"]["policyName"] for b in bindings} == {
        "kubeboard-team-ingress",
        "kubeboard-team-services",
    }
    for binding in bindings:
        assert binding["spec"]["validationActions"] == ["Deny"]
        chosen = {name for name, namespace in namespaces.items() if selects(binding, namespace)}
        assert chosen == {"dev", "prod"}


def test_the_platforms_own_ingresses_are_not_bound(prod: Rendered) -> None:
    """The front page (common) keeps the platform class and group: no binding selects its namespace."""
    namespaces = {n["metadata"]["name"]: n for n in prod.of_kind("Namespace")}
    [front_page] = prod.of_kind("Ingress")
    home = namespaces[front_page["metadata"]["namespace"]]
    assert not any(selects(b, home) for b in prod.of_kind("ValidatingAdmissionPolicyBinding"))
    # and would have been refused had it been written in a team namespace: the group is the platform's
    assert refusals(_ingress_policy(prod), front_page)


def test_the_team_class_fixes_group_scheme_tls_and_waf(prod: Rendered, acl_arn: str) -> None:
    params = prod.one("IngressClassParams", "kubeboard-teams")["spec"]
    [front_page] = prod.of_kind("Ingress")
    annotations = front_page["metadata"]["annotations"]
    assert params["group"] == {"name": "teams"}
    assert params["group"]["name"] != annotations["alb.ingress.kubernetes.io/group.name"]
    assert params["namespaceSelector"] == {"matchLabels": {"kubeboard.io/tier": "team"}}
    assert params["scheme"] == "internet-facing"
    assert acl_arn == annotations[WAF]
    assert params["certificateArn"] == [annotations["alb.ingress.kubernetes.io/certificate-arn"]]
    ingress_class = prod.one("IngressClass", "kubeboard-teams")
    assert ingress_class["spec"]["parameters"]["name"] == "kubeboard-teams"


def test_custom_resource_validation_would_catch_a_misspelt_field(prod: Rendered) -> None:
    params = copy.deepcopy(prod.one("IngressClassParams", "kubeboard-teams"))
    params["spec"]["wafv2AclArns"] = params["spec"].pop("wafv2AclArn")
    assert validate_custom_resource(params)


def test_without_a_waf_no_team_class_exists_and_every_team_ingress_is_refused(
    rendered_default: Rendered,
) -> None:
    assert rendered_default.of_kind("IngressClassParams") == []
    policy = rendered_default.one("ValidatingAdmissionPolicy", "kubeboard-team-ingress")
    assert refusals(policy, team_ingress("arn:aws:wafv2:ap-northeast-2:1:regional/webacl/x/y"))


def test_the_team_group_may_not_be_the_platforms(render: Renderer) -> None:
    message = render.error(with_change(stack_values("prod"), "tenancy.groupName", "platform"))
    assert "tenancy.groupName: must differ from ingress.groupName" in message
