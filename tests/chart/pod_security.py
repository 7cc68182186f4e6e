"""The Pod Security Standards (baseline and restricted), as Kubernetes' admission plugin checks them.

Ported from the checks of k8s.io/pod-security-admission (policy/check_*.go) for the fields charts
set: a pod spec meets `baseline` when none of the baseline checks fail, `restricted` when none of
either fail. Windows-only and AppArmor-annotation checks are left out (no Windows nodes; no chart
sets AppArmor annotations).
"""

from __future__ import annotations

from typing import Any

LEVELS = ("restricted", "baseline", "privileged")
"""Strictest first."""

BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
    "secret", "image",
}  # fmt: skip


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *(pod.get("initContainers") or []),
        *(pod.get("containers") or []),
        *(pod.get("ephemeralContainers") or []),
    ]


def baseline_violations(pod: dict[str, Any]) -> list[str]:
    found = [f"{field}: true" for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field)]
    found += [f"volume {v['name']}: hostPath" for v in pod.get("volumes") or [] if "hostPath" in v]
    pod_context = pod.get("securityContext") or {}
    found += _selinux(pod_context, "pod")
    if (pod_context.get("seccompProfile") or {}).get("type") == "Unconfined":
        found.append("pod seccompProfile: Unconfined")
    found += [
        f"sysctl {s['name']}: not a safe sysctl"
        for s in pod_context.get("sysctls") or []
        if s["name"] not in SAFE_SYSCTLS
    ]
    for container in _containers(pod):
        where = f"container {container['name']}"
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            found.append(f"{where}: privileged")
        added = set((context.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if added:
            found.append(f"{where}: adds capabilities {sorted(added)}")
        found += [
            f"{where}: hostPort {port['hostPort']}"
            for port in container.get("ports") or []
            if port.get("hostPort")
        ]
        found += _selinux(context, where)
        if context.get("procMount", "Default") != "Default":
            found.append(f"{where}: procMount {context['procMount']}")
        if (context.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"{where}: seccompProfile Unconfined")
        if (context.get("appArmorProfile") or {}).get("type") == "Unconfined":
            found.append(f"{where}: appArmorProfile Unconfined")
    return found


def _selinux(context: dict[str, Any], where: str) -> list[str]:
    options = context.get("seLinuxOptions") or {}
    found = []
    if options.get("type", "") not in SELINUX_TYPES:
        found.append(f"{where}: seLinuxOptions.type {options['type']}")
    found += [f"{where}: seLinuxOptions.{key} set" for key in ("user", "role") if options.get(key)]
    return found


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """What `restricted` forbids beyond `baseline` (hostPath volumes are baseline's already)."""
    found = [
        f"volume {v['name']}: {kind}"
        for v in pod.get("volumes") or []
        for kind in v
        if kind not in ("name", "hostPath") and kind not in RESTRICTED_VOLUMES
    ]
    pod_context = pod.get("securityContext") or {}
    pod_non_root = pod_context.get("runAsNonRoot")
    pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
    if pod_context.get("runAsUser") == 0:
        found.append("pod runAsUser: 0")
    for container in _containers(pod):
        where = f"container {container['name']}"
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where}: allowPrivilegeEscalation is not false")
        non_root = context.get("runAsNonRoot", pod_non_root)
        if non_root is not True:
            found.append(f"{where}: runAsNonRoot is not true")
        if context.get("runAsUser") == 0:
            found.append(f"{where}: runAsUser 0")
        seccomp = (context.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{where}: seccompProfile is not RuntimeDefault or Localhost")
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"{where}: does not drop ALL capabilities")
        added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            found.append(f"{where}: adds capabilities {sorted(added)}")
    return found


def violations(pod: dict[str, Any], level: str) -> list[str]:
    """What keeps `pod` from meeting `level`."""
    if level == "privileged":
        return []
    found = baseline_violations(pod)
    if level == "restricted":
        found += restricted_violations(pod)
    return found


def level_of(pod: dict[str, Any]) -> str:
    """The strictest level `pod` meets."""
    return next(level for level in LEVELS if not violations(pod, level))


def allows(enforced: str, needed: str) -> bool:
    """Whether a namespace enforcing `enforced` admits a pod that meets `needed`."""
    return LEVELS.index(enforced) >= LEVELS.index(needed)
