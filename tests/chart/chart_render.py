"""Renders charts/kubeboard with the real Helm engine (helm-sdkpy) against a loopback API stub."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_sdkpy
import pytest
import yaml

from tests.chart.kube_api_stub import ApiStub

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubeboard"
STACK_VALUES = ROOT / "tests" / "data" / "chart"
STACKS = ("dev", "prod")
RELEASE_NAMESPACE = "common"
# The cluster's Kubernetes minor (components/settings pins the EKS version; 1.33 today).
KUBERNETES_VERSION = "1.33.0"


@dataclass(frozen=True)
class Rendered:
    manifest: str
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        found = [
            d
            for d in self.of_kind(kind)
            if d["metadata"]["name"] == name
            and (namespace is None or d["metadata"].get("namespace") == namespace)
        ]
        assert len(found) == 1, f"expected one {kind} {namespace}/{name}, found {len(found)}"
        return found[0]


class Renderer:
    """`helm install --dry-run`, the offline way: Install(...).run(wait=False) against the stub."""

    def __init__(self, stub: ApiStub, kubeconfig: Path) -> None:
        self.stub = stub
        self.kubeconfig = kubeconfig

    def __call__(self, values: dict[str, Any] | None = None) -> Rendered:
        config = helm_sdkpy.Configuration(namespace=RELEASE_NAMESPACE, kubeconfig=str(self.kubeconfig))
        result = asyncio.run(
            helm_sdkpy.Install(config).run("kubeboard", str(CHART), values=values, wait=False)
        )
        docs = [d for d in yaml.safe_load_all(result["manifest"]) if d]
        return Rendered(result["manifest"], docs)

    def error(self, values: dict[str, Any]) -> str:
        """The message Helm refuses `values` with; fails the test if Helm accepts them."""
        with pytest.raises(helm_sdkpy.HelmError) as caught:
            self(values)
        return str(caught.value)


def stack_values(stack: str) -> dict[str, Any]:
    return yaml.safe_load((STACK_VALUES / f"values-{stack}.yaml").read_text(encoding="utf-8"))


def default_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


def with_change(values: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of `values` with `a.b.c` set to `value` (missing maps are created)."""
    changed = copy.deepcopy(values)
    *parents, leaf = dotted.split(".")
    node = changed
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return changed
