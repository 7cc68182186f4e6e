"""Who may connect to what in the observability namespace (NetworkPolicies, enforced by the VPC CNI).

Loki runs with ``auth_enabled: false`` and Alertmanager and Prometheus have no sign-in of their
own: the network is their boundary. Ingress is denied to every pod of the namespace, then each
flow the stack needs is allowed by itself. Egress stays open (Prometheus scrapes the whole cluster,
Grafana and Alertmanager call AWS). The node's own address (kubelet probes) is always admitted by
the CNI's network policy agent, and host-network pods (node exporter) are outside any policy.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from . import kube_prometheus_stack, loki
from .args import PodPeer

PROMETHEUS = {"app.kubernetes.io/name": "prometheus"}
ALERTMANAGER = {"app.kubernetes.io/name": "alertmanager"}
GRAFANA = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": kube_prometheus_stack.NAME}
OPERATOR = {
    "app.kubernetes.io/component": "prometheus-operator",
    "app.kubernetes.io/instance": kube_prometheus_stack.NAME,
}
LOKI = {"app.kubernetes.io/name": loki.NAME, "app.kubernetes.io/instance": loki.NAME}
ALLOY = {"app.kubernetes.io/name": "alloy"}
"""Pod labels as the pinned charts and the operator set them (tests render the charts to check)."""

GRAFANA_PORT = 3000
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
ALERTMANAGER_MESH_PORT = 9094
LOKI_GRPC_PORT = 9095
LOKI_MEMBERLIST_PORT = 7946
OPERATOR_WEBHOOK_PORT = 10250
"""The prometheus-operator's admission webhook (the Service's ``https`` target)."""


def _pods(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": dict(labels)}}


def _peer(peer: PodPeer) -> dict[str, Any]:
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer["namespace"]}},
        "podSelector": {"matchLabels": dict(peer.get("labels") or {})},
    }


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _ingress(selected: Mapping[str, str], *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "podSelector": {"matchLabels": dict(selected)},
        "policyTypes": ["Ingress"],
        "ingress": list(rules),
    }


def policy_specs(
    *,
    alb_cidrs: Sequence[str],
    api_server_cidrs: Sequence[str],
    loki_readers: Sequence[PodPeer] = (),
    prometheus_readers: Sequence[PodPeer] = (),
) -> dict[str, dict[str, Any]]:
    """NetworkPolicy name -> spec, for the observability namespace.

    ``alb_cidrs``: the public subnets, where the ALB's nodes reach Grafana (target type ip) from.
    ``api_server_cidrs``: where the EKS control plane's ENIs sit (they call the operator's webhook).
    """
    if not alb_cidrs:
        raise ValueError("alb_cidrs: name the public subnets the ALB reaches Grafana from")
    if not api_server_cidrs:
        raise ValueError("api_server_cidrs: name the subnets of the control plane's ENIs (admission webhook)")
    return {
        "default-deny-ingress": {"podSelector": {}, "policyTypes": ["Ingress"]},
        # Every pod here exposes metrics; only Prometheus collects them (any port: each has its own).
        "allow-prometheus-scrape": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [_pods(PROMETHEUS)]}],
        },
        "grafana-from-alb": _ingress(
            GRAFANA,
            {"from": [{"ipBlock": {"cidr": cidr}} for cidr in alb_cidrs], "ports": _tcp(GRAFANA_PORT)},
        ),
        "prometheus-from-grafana": _ingress(
            PROMETHEUS,
            # Grafana, and the named readers (Argo Rollouts' analysis of a new front page version).
            {
                "from": [_pods(GRAFANA), *(_peer(reader) for reader in prometheus_readers)],
                "ports": _tcp(PROMETHEUS_PORT),
            },
        ),
        "alertmanager-from-alerting": _ingress(
            ALERTMANAGER,
            # Prometheus and Loki's ruler send alerts; Grafana reads and silences them.
            {"from": [_pods(PROMETHEUS), _pods(GRAFANA), _pods(LOKI)], "ports": _tcp(ALERTMANAGER_PORT)},
            # Replicas gossip silences and notifications among themselves.
            {
                "from": [_pods(ALERTMANAGER)],
                "ports": [*_tcp(ALERTMANAGER_MESH_PORT), {"protocol": "UDP", "port": ALERTMANAGER_MESH_PORT}],
            },
        ),
        "loki-from-clients": _ingress(
            LOKI,
            # Alloy pushes, Grafana queries, and the named readers (the error-log exporter) query.
            {
                "from": [_pods(ALLOY), _pods(GRAFANA), *(_peer(reader) for reader in loki_readers)],
                "ports": _tcp(loki.HTTP_PORT),
            },
            {"from": [_pods(LOKI)], "ports": _tcp(LOKI_GRPC_PORT, LOKI_MEMBERLIST_PORT)},
        ),
        "operator-webhook-from-api-server": _ingress(
            OPERATOR,
            {
                "from": [{"ipBlock": {"cidr": cidr}} for cidr in api_server_cidrs],
                "ports": _tcp(OPERATOR_WEBHOOK_PORT),
            },
        ),
    }
