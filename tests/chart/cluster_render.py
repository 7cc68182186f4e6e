"""Every Helm release of a plan installed, in the plan's order, into one empty (stub) cluster.

Each release is installed with the real Helm engine (helm-sdkpy) from its vendored chart package
with exactly the plan's values, against a stateful API stub: CRDs an earlier release installs are
known to later ones, hook Jobs complete, and objects two releases both create conflict.

Rendering is slow (seconds per release), so each release's result is kept on disk under
build/chart-renders/, keyed by everything it depends on: the chart package, the values, the
namespace, the Kubernetes version, the objects the cluster already holds, and this code. A lock
file lets parallel test workers share the work instead of repeating it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_sdkpy
import yaml

from tests.chart.kube_api_stub import ApiStub, running_stub
from tests.chart.object_checks import flatten
from tests.chart.plan_releases import PlanRelease, cluster_minor, releases_in_order

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "chart-renders"
HOOK_ANNOTATION = "helm.sh/hook"
KEEP_UNUSED_SECONDS = 7 * 24 * 3600
# Generous: a cold machine runs kube-prometheus-stack's hooks in well under a minute.
HELM_TIMEOUT_SECONDS = 180
# kube-prometheus-stack's manifest is megabytes of YAML: libyaml parses it many times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RenderedRelease:
    release: PlanRelease
    manifest: list[dict[str, Any]]
    """The release's objects, as `helm template` prints them (`kind: List` documents unpacked)."""
    hooks: list[dict[str, Any]]
    """Hook objects (e.g. admission-webhook Jobs), as the engine created them."""
    crds: list[dict[str, Any]]
    """CustomResourceDefinitions from the chart's crds/ folders, installed before the rest."""
    seconds: float
    """How long the engine took (0 when the result came from the cache)."""

    @property
    def objects(self) -> list[dict[str, Any]]:
        return [*self.crds, *self.hooks, *self.manifest]

    def counts(self) -> Counter[str]:
        return Counter(o["kind"] for o in self.objects)


def _source_digest() -> str:
    here = Path(__file__).resolve().parent
    sources = ("cluster_render.py", "kube_api_stub.py", "plan_releases.py")
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in sources)).hexdigest()


def _cache_key(release: PlanRelease, minor: str, existing: list[str]) -> str:
    material = {
        "release": [release.name, release.chart, release.version, release.namespace],
        "package": release.package_sha256(),
        "values": release.values,
        "kubernetes": minor,
        "existing": existing,
        "code": _source_digest(),
        "engine": helm_sdkpy.__version__ if hasattr(helm_sdkpy, "__version__") else "",
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@contextmanager
def _locked() -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prune() -> None:
    """Drop results no render has used for a week (each values change leaves one behind)."""
    cutoff = time.time() - KEEP_UNUSED_SECONDS
    for entry in CACHE.glob("*.json"):
        if entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)


def _write(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(tmp, path)


class ReleaseRenderError(Exception):
    """Helm refused a release of the plan (its values, its templates, or a conflict in the cluster)."""


def _install(stub: ApiStub, kubeconfig: Path, release: PlanRelease) -> dict[str, Any]:
    try:
        return _engine_install(stub, kubeconfig, release)
    except helm_sdkpy.HelmError as error:
        raise ReleaseRenderError(
            f"{release.name} ({release.chart} {release.version}): {error}\n  release: {release.urn}"
        ) from error


def _engine_install(stub: ApiStub, kubeconfig: Path, release: PlanRelease) -> dict[str, Any]:
    before = len(stub.created)
    started = time.monotonic()
    config = helm_sdkpy.Configuration(namespace=release.namespace, kubeconfig=str(kubeconfig))
    result = asyncio.run(
        helm_sdkpy.Install(config).run(
            release.name,
            str(release.package),
            values=release.values,
            # The stub holds the namespace already (see `render_plan`): Helm's own namespace
            # creation would validate it against the server's OpenAPI, which the stub does not serve.
            create_namespace=False,
            wait=False,
            timeout=HELM_TIMEOUT_SECONDS,
        )
    )
    created = [o for o in stub.created[before:] if o.get("metadata", {}).get("name")]
    manifest = flatten([d for d in yaml.load_all(result["manifest"], Loader=_YAML_LOADER) if d])
    templated = {o["metadata"]["name"] for o in manifest if o["kind"] == "CustomResourceDefinition"}
    return {
        "manifest": manifest,
        "hooks": [o for o in created if HOOK_ANNOTATION in (o["metadata"].get("annotations") or {})],
        # From the charts' crds/ folders; CRDs a chart templates are in its manifest already.
        "crds": [
            o
            for o in created
            if o.get("kind") == "CustomResourceDefinition" and o["metadata"]["name"] not in templated
        ],
        "created": created,
        "seconds": time.monotonic() - started,
    }


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _restore(stub: ApiStub, objects: list[dict[str, Any]]) -> None:
    """Put a cached release's objects into the stub, as if the engine had just created them."""
    for obj in objects:
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = _plural(stub, group, version, obj["kind"])
        stub.store(group, plural, obj["metadata"].get("namespace", ""), obj)


def _plural(stub: ApiStub, group: str, version: str, kind: str) -> str:
    for plural, served_kind, _ in stub.resources().get((group, version), []):
        if served_kind == kind:
            return plural
    raise KeyError(f"{group}/{version} {kind} is not served")


def render_plan(plan: dict[str, Any], workdir: Path) -> list[RenderedRelease]:
    """Install every release of `plan` in order into one empty stub cluster; cached per release."""
    minor = cluster_minor(plan)
    rendered: list[RenderedRelease] = []
    with running_stub(ApiStub(stateful=True).with_version(minor)) as stub:
        kubeconfig = stub.kubeconfig(workdir / "kubeconfig")
        for release in releases_in_order(plan):
            # The plan creates each namespace (Pulumi, or the release's createNamespace) before the release.
            stub.store("", "namespaces", "", _namespace(release.namespace))
            existing = sorted("/".join(key) for key in stub.objects)
            path = CACHE / f"{_cache_key(release, minor, existing)}.json"
            with _locked():
                if path.exists():
                    result = json.loads(path.read_text(encoding="utf-8"))
                    _restore(stub, result["created"])
                    result["seconds"] = 0.0
                    os.utime(path)
                else:
                    result = _install(stub, kubeconfig, release)
                    _write(path, result)
                    _prune()
            rendered.append(
                RenderedRelease(
                    release, result["manifest"], result["hooks"], result["crds"], result["seconds"]
                )
            )
    return rendered


def summary(stack: str, rendered: list[RenderedRelease]) -> str:
    """A markdown table of each release's rendered objects by kind (and the engine's time)."""
    lines = [
        f"## {stack}: {sum(len(r.objects) for r in rendered)} objects from {len(rendered)} releases",
        "",
        "| release | chart | objects | by kind | render (s) |",
        "|---|---|---:|---|---:|",
    ]
    for r in rendered:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(r.counts().items()))
        lines.append(
            f"| {r.release.name} | {r.release.chart} {r.release.version} | {len(r.objects)} | {kinds} | {r.seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """`python -m tests.chart.cluster_render dev prod`: render each stack's releases, print the counts."""
    from tests.conftest import plan_for

    with tempfile.TemporaryDirectory() as workdir:
        for stack in argv or ["dev", "prod"]:
            print(summary(stack, render_plan(plan_for(stack), Path(workdir))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
