"""The observability namespace's NetworkPolicies as both plans create them: who may reach Loki,
Prometheus, Alertmanager, Grafana and the operator's webhook, judged with a model of NetworkPolicy
semantics, and the selectors checked against the pods the pinned charts really render."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.addons import argo_rollouts
from kubeboard_infra.observability import network_policies as netpol
from tests.chart.cluster_render import render_plan
from tests.chart.netpol_model import External, Pod, can_connect
from tests.conftest import STACKS, plan_for, resources_of, stack_file

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NS = "monitoring"
EXPORTER = Pod(
    "log-export", {"app.kubernetes.io/name": "log-exporter", "app.kubernetes.io/part-of": "kubeboard"}
)
PROMETHEUS = Pod(NS, {**netpol.PROMETHEUS, "operator.prometheus.io/name": "kube-prometheus-stack-prometheus"})
ALERTMANAGER = Pod(NS, netpol.ALERTMANAGER)
GRAFANA = Pod(NS, {**netpol.GRAFANA, "app.kubernetes.io/version": "13.2.0"})
LOKI = Pod(NS, {**netpol.LOKI, "app.kubernetes.io/component": "single-binary"})
ALLOY = Pod(NS, {**netpol.ALLOY, "app.kubernetes.io/instance": "alloy-logs"})
OPERATOR = Pod(NS, netpol.OPERATOR)
KUBE_STATE_METRICS = Pod(NS, {"app.kubernetes.io/name": "kube-state-metrics"})
TEAM_POD = Pod("dev", {"app": "anything"})


def _policies(stack: str) -> list[dict[str, Any]]:
    found = [
        {"metadata": r["inputs"]["metadata"], "spec": r["inputs"]["spec"]}
        for r in resources_of(plan_for(stack), NETPOL)
    ]
    assert any(p["metadata"]["namespace"] == NS for p in found)
    return found


def _network(stack: str) -> dict[str, Any]:
    network: dict[str, Any] = stack_file(stack)["config"]["kubeboard:network"]
    return network


def _host(cidr: str) -> str:
    # An address inside the range (the tenth host), as an ALB node or an ENI would have.
    return str(ipaddress.ip_network(cidr)[10])


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_of_the_namespace_denies_ingress_by_default(stack: str) -> None:
    mine = {p["metadata"]["name"]: p["spec"] for p in _policies(stack) if p["metadata"]["namespace"] == NS}
    assert mine["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert set(mine) == set(netpol.policy_specs(alb_cidrs=["10.0.0.0/24"], api_server_cidrs=["10.0.32.0/19"]))
    # A pod no rule names (kube-state-metrics) answers Prometheus only.
    policies = _policies(stack)
    assert not can_connect(policies, TEAM_POD, KUBE_STATE_METRICS, 8080)
    assert not can_connect(policies, GRAFANA, KUBE_STATE_METRICS, 8080)
    assert can_connect(policies, PROMETHEUS, KUBE_STATE_METRICS, 8080)


@pytest.mark.parametrize("stack", STACKS)
def test_loki_answers_alloy_grafana_prometheus_and_the_exporter_only(stack: str) -> None:
    policies = _policies(stack)
    port = 3100
    for client in (ALLOY, GRAFANA, PROMETHEUS, EXPORTER):
        assert can_connect(policies, client, LOKI, port), client
    for stranger in (TEAM_POD, KUBE_STATE_METRICS, ALERTMANAGER, Pod("prod", {"app": "x"})):
        assert not can_connect(policies, stranger, LOKI, port), stranger
    # The exporter's own namespace label is what admits it, not its pod labels alone.
    assert not can_connect(policies, Pod("dev", EXPORTER.labels), LOKI, port)
    # The private subnets hold every pod and node: an address there is not a Loki client either.
    assert not can_connect(policies, External(_host(_network(stack)["privateSubnetCidrs"][0])), LOKI, port)


@pytest.mark.parametrize("stack", STACKS)
def test_grafana_answers_the_alb_in_the_public_subnets_only(stack: str) -> None:
    policies = _policies(stack)
    network = _network(stack)
    assert network["publicSubnetCidrs"]
    for cidr in network["publicSubnetCidrs"]:
        assert can_connect(policies, External(_host(cidr)), GRAFANA, 3000)
    assert not can_connect(policies, External(_host(network["privateSubnetCidrs"][0])), GRAFANA, 3000)
    assert not can_connect(policies, TEAM_POD, GRAFANA, 3000)
    assert not can_connect(policies, External(_host(network["publicSubnetCidrs"][0])), GRAFANA, 6060)


@pytest.mark.parametrize("stack", STACKS)
def test_alertmanager_and_prometheus_answer_their_own_clients(stack: str) -> None:
    policies = _policies(stack)
    for sender in (PROMETHEUS, LOKI, GRAFANA):
        assert can_connect(policies, sender, ALERTMANAGER, 9093), sender
    assert can_connect(policies, ALERTMANAGER, ALERTMANAGER, 9094, "UDP")
    assert not can_connect(policies, ALLOY, ALERTMANAGER, 9093)
    assert not can_connect(policies, TEAM_POD, ALERTMANAGER, 9093)
    assert can_connect(policies, GRAFANA, PROMETHEUS, 9090)
    assert not can_connect(policies, ALLOY, PROMETHEUS, 9090)
    assert not can_connect(policies, TEAM_POD, PROMETHEUS, 9090)
    # Argo Rollouts' controller runs the front page's analysis queries; only it, from its namespace.
    rollouts = Pod(argo_rollouts.NAMESPACE, argo_rollouts.CONTROLLER_LABELS)
    assert can_connect(policies, rollouts, PROMETHEUS, 9090)
    assert not can_connect(policies, rollouts, LOKI, 3100)
    assert not can_connect(policies, Pod("dev", argo_rollouts.CONTROLLER_LABELS), PROMETHEUS, 9090)
    assert not can_connect(policies, Pod(argo_rollouts.NAMESPACE, {"app": "other"}), PROMETHEUS, 9090)


@pytest.mark.parametrize("stack", STACKS)
def test_the_operators_webhook_answers_the_control_plane_subnets(stack: str) -> None:
    policies = _policies(stack)
    network = _network(stack)
    for cidr in network["privateSubnetCidrs"]:
        assert can_connect(policies, External(_host(cidr)), OPERATOR, 10250)
    assert not can_connect(policies, External(_host(network["publicSubnetCidrs"][0])), OPERATOR, 10250)
    assert not can_connect(policies, TEAM_POD, OPERATOR, 10250)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"alb_cidrs": [], "api_server_cidrs": ["10.0.32.0/19"]}, "alb_cidrs"),
        ({"alb_cidrs": ["10.0.0.0/24"], "api_server_cidrs": []}, "api_server_cidrs"),
    ],
)
def test_missing_sources_are_refused_naming_the_arg(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=rf"^{key}: "):
        netpol.policy_specs(**kwargs)


def _labels_of_rendered_pods(tmp_path: Path) -> list[dict[str, str]]:
    """Pod template labels of the monitoring workloads, and Service selectors for the operator's pods."""
    found: list[dict[str, str]] = []
    for release in render_plan(plan_for("dev"), tmp_path):
        for obj in release.manifest:
            if obj.get("metadata", {}).get("namespace") != NS:
                continue
            if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
                found.append(obj["spec"]["template"]["metadata"].get("labels") or {})
            elif obj["kind"] == "Service" and obj["spec"].get("selector"):
                # Prometheus and Alertmanager pods are made by the operator, selected by these.
                found.append(obj["spec"]["selector"])
    return found


def test_every_selector_matches_pods_the_pinned_charts_render(tmp_path: Path) -> None:
    rendered = _labels_of_rendered_pods(tmp_path)
    assert rendered
    for name, selector in {
        "prometheus": netpol.PROMETHEUS,
        "alertmanager": netpol.ALERTMANAGER,
        "grafana": netpol.GRAFANA,
        "operator": netpol.OPERATOR,
        "loki": netpol.LOKI,
        "alloy": netpol.ALLOY,
    }.items():
        assert any(all(labels.get(k) == v for k, v in selector.items()) for labels in rendered), name
