"""Edges of the chart's security templates that the main suites do not reach: namespaces outside the
platform, admission policies that must hold on update and fail closed, and what Argo CD may prune."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart_render import STACKS, Rendered, Renderer, stack_values, with_change
from tests.chart.netpol_model import External, Pod, can_connect

TEAM_AND_COMMON = (Pod("dev", {"app": "api"}), Pod("prod", {"app": "api"}), Pod("common", {"app": "cache"}))
# A namespace the chart does not manage (an add-on's): no NetworkPolicy of its own, so open.
OUTSIDER = Pod("monitoring", {"app": "exporter"})


@pytest.fixture(params=STACKS)
def rules(request: pytest.FixtureRequest, rendered_stacks: dict[str, Rendered]) -> list[dict[str, Any]]:
    return rendered_stacks[request.param].of_kind("NetworkPolicy")


def test_pods_of_other_namespaces_reach_no_platform_pod(rules: list[dict[str, Any]]) -> None:
    for pod in TEAM_AND_COMMON:
        for port in (80, 443, 8080):
            assert not can_connect(rules, OUTSIDER, pod, port), f"{OUTSIDER.namespace} -> {pod.namespace}"


def test_platform_pods_reach_no_pod_of_other_namespaces(rules: list[dict[str, Any]]) -> None:
    for pod in TEAM_AND_COMMON:
        for port in (53, 443, 8080):
            assert not can_connect(rules, pod, OUTSIDER, port), f"{pod.namespace} -> {OUTSIDER.namespace}"


@pytest.mark.parametrize("name", ["kubeboard-team-ingress", "kubeboard-team-services"])
def test_admission_policies_fail_closed_and_judge_every_create_and_update(
    rendered_default: Rendered, name: str
) -> None:
    spec = rendered_default.one("ValidatingAdmissionPolicy", name)["spec"]
    assert spec["failurePolicy"] == "Fail"  # an API server that cannot evaluate them admits nothing
    assert spec["matchConstraints"]["resourceRules"]
    for rule in spec["matchConstraints"]["resourceRules"]:
        # a compliant object created and then edited must be judged again
        assert set(rule["operations"]) >= {"CREATE", "UPDATE"}


def test_argo_cd_never_prunes_the_platform_namespaces(rendered_default: Rendered) -> None:
    namespaces = rendered_default.of_kind("Namespace")
    assert {n["metadata"]["name"] for n in namespaces} == {"dev", "prod", "common"}
    for namespace in namespaces:
        assert namespace["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"


def test_the_collector_reaches_the_api_server_on_https_only(rules: list[dict[str, Any]]) -> None:
    collector = Pod(
        "common", {"app.kubernetes.io/name": "kubeboard-collector", "app.kubernetes.io/instance": "kubeboard"}
    )
    api_service = External("172.20.0.1")
    assert can_connect(rules, collector, api_service, 443)
    for port in (80, 10250, 2379):  # plain HTTP, the kubelets, etcd
        assert not can_connect(rules, collector, api_service, port)


def test_both_sides_of_the_scaling_bounds(render: Renderer) -> None:
    values = stack_values("dev")
    fixed = with_change(
        with_change(values, "web.autoscaling.minReplicas", 3), "web.autoscaling.maxReplicas", 3
    )
    # a fixed size (min == max) is a valid choice, not an error
    assert render(fixed).one("HorizontalPodAutoscaler", "kubeboard-web")["spec"]["maxReplicas"] == 3
    # the budget must leave one replica to drain: minAvailable == minReplicas is refused, one less is not
    at_bound = with_change(fixed, "web.podDisruptionBudget.minAvailable", 3)
    assert "web.podDisruptionBudget.minAvailable: must be <" in render.error(at_bound)
    render(with_change(fixed, "web.podDisruptionBudget.minAvailable", 2))


def test_a_distinct_team_group_is_accepted_and_tenancy_off_skips_the_check(render: Renderer) -> None:
    values = stack_values("prod")
    platform_group = values["ingress"]["groupName"]
    render(with_change(values, "tenancy.groupName", platform_group + "-teams"))
    off = with_change(with_change(values, "tenancy.enabled", False), "tenancy.groupName", platform_group)
    assert render(off).of_kind("ValidatingAdmissionPolicy") == []
