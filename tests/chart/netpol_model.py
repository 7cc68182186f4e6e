"""A small model of Kubernetes NetworkPolicy semantics, to ask "may A talk to B on port P?".

Covers what the chart uses: pod and namespace selectors with matchLabels, ipBlock peers,
protocol/port lists, and policy types. A connection is allowed when the source's egress and the
target's ingress both allow it; a pod no policy of a direction selects is open in that direction.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class External:
    """A peer outside the pod network, e.g. the ALB's address in the VPC."""

    ip: str


Peer = Pod | External


def _matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    assert set(selector or {}) <= {"matchLabels"}, f"model does not cover {selector}"
    wanted = (selector or {}).get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def _peer_matches(rule_peer: dict[str, Any], peer: Peer, policy_namespace: str) -> bool:
    if "ipBlock" in rule_peer:
        if not isinstance(peer, External):
            return False
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        inside = address in ipaddress.ip_network(block["cidr"])
        return inside and not any(address in ipaddress.ip_network(c) for c in block.get("except", []))
    if not isinstance(peer, Pod):
        return False
    if "namespaceSelector" in rule_peer:
        namespace_ok = _matches(rule_peer["namespaceSelector"], _namespace_labels(peer.namespace))
    else:
        namespace_ok = peer.namespace == policy_namespace
    return namespace_ok and _matches(rule_peer.get("podSelector"), peer.labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def _allowed(
    policies: list[dict[str, Any]], subject: Pod, peer: Peer, *, port: int, protocol: str, direction: str
) -> bool:
    kind, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and direction in p["spec"].get("policyTypes", ["Ingress"])
        and _matches(p["spec"]["podSelector"], subject.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(kind) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(_peer_matches(rp, peer, subject.namespace) for rp in peers)
            if peer_ok and _port_matches(rule.get("ports"), port, protocol):
                return True
    return False


def can_connect(
    policies: list[dict[str, Any]], source: Peer, target: Peer, port: int, protocol: str = "TCP"
) -> bool:
    egress_ok = not isinstance(source, Pod) or _allowed(
        policies, source, target, port=port, protocol=protocol, direction="Egress"
    )
    ingress_ok = not isinstance(target, Pod) or _allowed(
        policies, target, source, port=port, protocol=protocol, direction="Ingress"
    )
    return egress_ok and ingress_ok
