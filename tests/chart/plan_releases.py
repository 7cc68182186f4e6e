"""The Helm releases of an offline plan, with their exact inputs, in the order a deploy installs them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
PACKAGES = Path(__file__).resolve().parents[1] / "data" / "chart-packages"


@dataclass(frozen=True)
class PlanRelease:
    urn: str
    name: str
    chart: str
    version: str
    namespace: str
    values: dict[str, Any]

    @property
    def package(self) -> Path:
        """The vendored chart archive of this chart version (tests/data/chart-packages)."""
        return PACKAGES / f"{self.chart}-{self.version}.tgz"

    def package_sha256(self) -> str:
        return hashlib.sha256(self.package.read_bytes()).hexdigest()


def _release(resource: dict[str, Any]) -> PlanRelease:
    inputs = resource["inputs"]
    return PlanRelease(
        urn=resource["urn"],
        name=inputs["name"],
        chart=inputs["chart"],
        version=inputs["version"],
        namespace=inputs["namespace"],
        values=inputs.get("values") or {},
    )


def waits_for(plan: dict[str, Any]) -> dict[str, set[str]]:
    """URN -> every resource URN it waits for before it is created, directly or transitively.

    A resource waits for its dependencies and for its parent's (a child registers only after its
    parent, which waits for its own dependencies); depending on a component waits for all of the
    component's children (depending on a custom resource waits for that resource alone).
    """
    by_urn = {r["urn"]: r for r in plan["resources"]}
    children: dict[str, list[str]] = {}
    for resource in plan["resources"]:
        if resource.get("parent"):
            children.setdefault(resource["parent"], []).append(resource["urn"])

    def subtree(urn: str) -> set[str]:
        found = {urn}
        if by_urn.get(urn, {}).get("custom", True):
            return found
        for child in children.get(urn, []):
            found |= subtree(child)
        return found

    def direct(urn: str) -> set[str]:
        waited: set[str] = set()
        node: str | None = urn
        while node in by_urn:
            for dependency in by_urn[node].get("dependencies") or []:
                waited |= subtree(dependency)
            node = by_urn[node].get("parent")
        return waited

    closure: dict[str, set[str]] = {}

    def resolve(urn: str, chain: tuple[str, ...]) -> set[str]:
        if urn in closure:
            return closure[urn]
        if urn in chain:
            raise ValueError(f"dependency cycle through {urn}")
        waited = set(direct(urn))
        for dependency in list(waited):
            waited |= resolve(dependency, (*chain, urn))
        closure[urn] = waited
        return waited

    return {urn: resolve(urn, ()) for urn in by_urn}


def releases_in_order(plan: dict[str, Any]) -> list[PlanRelease]:
    """Every Helm release of `plan`, each after the releases it waits for (else in plan order)."""
    releases = [_release(r) for r in plan["resources"] if r["type"] == RELEASE_TYPE]
    waited = waits_for(plan)
    ordered: list[PlanRelease] = []
    pending = list(releases)
    while pending:
        ready = next(r for r in pending if not any(o.urn in waited[r.urn] for o in pending if o is not r))
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def cluster_minor(plan: dict[str, Any]) -> str:
    """The Kubernetes minor version of the plan's EKS cluster (e.g. ``"34"``)."""
    versions = {
        r["inputs"]["version"]
        for r in plan["resources"]
        if r["type"] in ("eks:index:Cluster", "aws:eks/cluster:Cluster") and r["inputs"].get("version")
    }
    assert len(versions) == 1, f"expected one cluster version in the plan, found {versions}"
    major, minor = versions.pop().split(".")[:2]
    assert major == "1", major
    return minor


def pod_security_levels(plan: dict[str, Any]) -> dict[str, str]:
    """Namespace -> the Pod Security level it enforces; namespaces the plan does not label are absent."""
    levels = {}
    for resource in plan["resources"]:
        if resource["type"] == "kubernetes:core/v1:Namespace":
            metadata = resource["inputs"]["metadata"]
            level = (metadata.get("labels") or {}).get("pod-security.kubernetes.io/enforce")
            if level:
                levels[metadata["name"]] = level
    return levels
