"""ApplicationSet generation offline: the cluster, list and matrix generators over the hub plan's
cluster secrets, and each template rendered by the real Go template engine (Helm's, with sprig).

Argo CD renders a goTemplate ApplicationSet field by field: each string of ``spec.template`` is a
Go template executed with one parameter set as ``.``. Here each string becomes a named template
(``define``) of a throwaway chart and is executed with ``include`` for every parameter set, so
``index``, pipelines and sprig functions behave exactly as Go's. ``missingkey=error`` is checked
the way Helm reports a missing key outside strict mode: as ``<no value>``.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from pathlib import Path
from typing import Any

import helm_sdkpy
import yaml

IN_CLUSTER = "https://kubernetes.default.svc"


def cluster_params(secret: dict[str, Any], server: str) -> dict[str, Any]:
    """What Argo CD's cluster generator gives a template for one cluster secret (goTemplate)."""
    metadata = secret["metadata"]
    name = secret["metadata"]["name"].removeprefix("cluster-")
    return {
        "name": name,
        "nameNormalized": name,
        "server": server,
        "project": "",
        "metadata": {
            "labels": dict(metadata.get("labels") or {}),
            "annotations": dict(metadata.get("annotations") or {}),
        },
    }


def selected(labels: dict[str, str], selector: dict[str, Any]) -> bool:
    """A Kubernetes label selector (matchLabels and In/NotIn/Exists/DoesNotExist expressions)."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def generate_params(generator: dict[str, Any], clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if "clusters" in generator:
        selector = generator["clusters"].get("selector") or {}
        return [c for c in clusters if selected(c["metadata"]["labels"], selector)]
    if "list" in generator:
        return [dict(element) for element in generator["list"]["elements"]]
    if "matrix" in generator:
        first, second = (generate_params(g, clusters) for g in generator["matrix"]["generators"])
        return [{**a, **b} for a, b in itertools.product(first, second)]
    raise ValueError(f"generator not modelled here: {sorted(generator)}")


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [(path, value)] if isinstance(value, str) else []


def _set(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def render_applications(
    template: dict[str, Any], params: list[dict[str, Any]], workdir: Path, kubeconfig: Path, release: str
) -> list[dict[str, Any]]:
    """The Application each parameter set yields from ``template``, rendered by Go's text/template."""
    leaves = _leaves(template)
    chart = workdir / "generate"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: generate\nversion: 0.1.0\n")
    defines = "".join(
        f'{{{{- define "leaf{i}" }}}}{text}{{{{ end }}}}\n' for i, (_, text) in enumerate(leaves)
    )
    body = "".join(f'    leaf{i}: {{{{ include "leaf{i}" $params | toJson }}}}\n' for i in range(len(leaves)))
    (chart / "templates" / "generated.yaml").write_text(
        defines
        + "{{- range $index, $params := .Values.params }}\n---\napiVersion: v1\nkind: ConfigMap\n"
        + "metadata:\n  name: generated-{{ $index }}\ndata:\n"
        + body
        + "{{- end }}\n"
    )
    config = helm_sdkpy.Configuration(namespace="argocd", kubeconfig=str(kubeconfig))
    result = asyncio.run(
        helm_sdkpy.Install(config).run(release, str(chart), values={"params": params}, wait=False)
    )
    maps = sorted(
        (d for d in yaml.safe_load_all(result["manifest"]) if d),
        key=lambda d: int(d["metadata"]["name"].rsplit("-", 1)[1]),
    )
    applications = []
    for generated in maps:
        application = copy.deepcopy(template)
        for i, (path, _) in enumerate(leaves):
            text = generated["data"][f"leaf{i}"]  # toJson's string, read back by YAML
            if "<no value>" in text:
                raise ValueError(f"missing key in {'.'.join(map(str, path))}: {text!r}")
            _set(application, path, text)
        applications.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **application})
    return applications


def rolling_step(application: dict[str, Any], strategy: dict[str, Any]) -> int | None:
    """The RollingSync step (0-based) an Application belongs to: the first whose selector matches its labels."""
    labels = application["metadata"].get("labels") or {}
    for index, step in enumerate(strategy["rollingSync"]["steps"]):
        if selected(labels, {"matchExpressions": step["matchExpressions"]}):
            return index
    return None
