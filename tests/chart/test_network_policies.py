"""Zero-trust networking (O8, H3): dev and prod are isolated, both reach common, the ALB reaches the UI."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart_render import STACKS, Rendered, stack_values
from tests.chart.netpol_model import External, Pod, can_connect

DEV_APP = Pod("dev", {"app": "api"})
PROD_APP = Pod("prod", {"app": "api"})
COMMON_SVC = Pod("common", {"app": "shared-cache"})
WEB = Pod("common", {"app.kubernetes.io/name": "kubeboard-web", "app.kubernetes.io/instance": "kubeboard"})
COLLECTOR = Pod(
    "common", {"app.kubernetes.io/name": "kubeboard-collector", "app.kubernetes.io/instance": "kubeboard"}
)
COREDNS = Pod("kube-system", {"k8s-app": "kube-dns"})
OTHER_KUBE_SYSTEM = Pod("kube-system", {"k8s-app": "metrics-server"})
INTERNET = External("203.0.113.10")


def policies(rendered: Rendered) -> list[dict[str, Any]]:
    return rendered.of_kind("NetworkPolicy")


@pytest.fixture(params=STACKS)
def stack(
    request: pytest.FixtureRequest, rendered_stacks: dict[str, Rendered]
) -> tuple[str, list[dict[str, Any]]]:
    return request.param, policies(rendered_stacks[request.param])


def test_every_namespace_denies_all_traffic_by_default(rendered_default: Rendered) -> None:
    for namespace in ("dev", "prod", "common"):
        deny = rendered_default.one("NetworkPolicy", "default-deny-all", namespace)
        assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_dev_and_prod_cannot_reach_each_other(stack: tuple[str, list[dict[str, Any]]]) -> None:
    _, rules = stack
    for port in (80, 443, 5432, 8080):
        assert not can_connect(rules, DEV_APP, PROD_APP, port)
        assert not can_connect(rules, PROD_APP, DEV_APP, port)


def test_both_team_namespaces_reach_common_but_common_does_not_reach_them(
    stack: tuple[str, list[dict[str, Any]]],
) -> None:
    _, rules = stack
    assert can_connect(rules, DEV_APP, COMMON_SVC, 6379)
    assert can_connect(rules, PROD_APP, COMMON_SVC, 6379)
    assert can_connect(rules, PROD_APP, WEB, 8080)
    assert not can_connect(rules, COMMON_SVC, DEV_APP, 8080)
    assert not can_connect(rules, WEB, PROD_APP, 8080)


def test_pods_talk_inside_their_own_namespace(stack: tuple[str, list[dict[str, Any]]]) -> None:
    _, rules = stack
    assert can_connect(rules, DEV_APP, Pod("dev", {"app": "db"}), 5432)
    assert can_connect(rules, PROD_APP, Pod("prod", {"app": "db"}), 5432)


def test_dns_is_allowed_to_coredns_only(stack: tuple[str, list[dict[str, Any]]]) -> None:
    _, rules = stack
    for pod in (DEV_APP, PROD_APP, WEB, COLLECTOR):
        assert can_connect(rules, pod, COREDNS, 53, "UDP")
        assert can_connect(rules, pod, COREDNS, 53, "TCP")
        assert not can_connect(rules, pod, OTHER_KUBE_SYSTEM, 53, "UDP")
        assert not can_connect(rules, pod, COREDNS, 9153)


def test_the_alb_reaches_the_front_page_only(stack: tuple[str, list[dict[str, Any]]]) -> None:
    name, rules = stack
    network = stack_values(name)["network"]
    public = network["albSubnetCidrs"][-1]
    alb = External(public.split("/")[0][:-1] + "25")  # an ALB node in a public subnet
    pod_in_the_vpc = External(network["vpcCidr"].split("/")[0][:-3] + "40.7")  # a private-subnet address
    assert can_connect(rules, alb, WEB, 8080)
    assert not can_connect(rules, pod_in_the_vpc, WEB, 8080)
    assert not can_connect(rules, alb, WEB, 9090)
    assert not can_connect(rules, INTERNET, WEB, 8080)
    assert not can_connect(rules, alb, DEV_APP, 8080)
    assert not can_connect(rules, alb, PROD_APP, 8080)
    assert not can_connect(rules, alb, COLLECTOR, 8080)


def test_only_the_collector_reaches_the_api_server(stack: tuple[str, list[dict[str, Any]]]) -> None:
    _, rules = stack
    api_service = External("172.20.0.1")
    assert can_connect(rules, COLLECTOR, api_service, 443)
    assert not can_connect(rules, WEB, api_service, 443)
    assert not can_connect(rules, DEV_APP, api_service, 443)
    assert not can_connect(rules, COLLECTOR, INTERNET, 443)


def test_the_model_sees_an_open_namespace_as_open() -> None:
    # Without the chart's policies everything is reachable: the isolation above comes from them.
    assert can_connect([], DEV_APP, PROD_APP, 8080)
