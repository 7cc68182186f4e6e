"""Security contexts the platform's charts are given, and how a pod says why it needs more.

Every add-on pod meets the Pod Security Standard `restricted` unless it carries
`NEEDS_ANNOTATION`: the level it needs and why (e.g. node-exporter reads the host). The tests
render every release and hold each pod to the level it states, and its namespace to admitting it.
"""

from __future__ import annotations

from typing import Any

NEEDS_ANNOTATION = "pod-security.kubeboard.io/needs"
NOBODY = 65534


def restricted_container(*, read_only_root: bool = True) -> dict[str, Any]:
    """A container `securityContext` meeting `restricted` (a new dict each call: values get merged)."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_pod(uid: int = NOBODY, gid: int = NOBODY) -> dict[str, Any]:
    """A pod `securityContext` meeting `restricted`, running as `uid`:`gid`."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": gid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def needs(level: str, reason: str) -> dict[str, str]:
    """Pod annotations recording that a pod needs Pod Security `level`, and why."""
    return {NEEDS_ANNOTATION: f"{level}: {reason}"}
