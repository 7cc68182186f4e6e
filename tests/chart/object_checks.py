"""Checks on rendered Kubernetes objects: schema validity, and resource requests and limits (O4)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
from kubernetes_validate import utils
from packaging.version import Version
from referencing import Registry, Resource

POD_TEMPLATE_KINDS = {"Deployment", "Rollout", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def flatten(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`kind: List` documents (a chart may render one) replaced by their items."""
    flat: list[dict[str, Any]] = []
    for obj in objects:
        if obj.get("kind") == "List":
            flat.extend(flatten(obj.get("items") or []))
        else:
            flat.append(obj)
    return flat


def name_of(obj: dict[str, Any]) -> str:
    namespace = obj["metadata"].get("namespace")
    return f"{obj['kind']} {namespace + '/' if namespace else ''}{obj['metadata']['name']}"


# --- schemas -------------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """A CRD's structural schema as the API server applies it with strict field validation:
    fields it does not declare are errors, unless it preserves unknown fields there."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not strict.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    if strict.get("nullable"):
        # OpenAPI's `nullable: true` is JSON Schema's "or null".
        strict = {
            "anyOf": [{key: value for key, value in strict.items() if key != "nullable"}, {"type": "null"}]
        }
    if strict.get("x-kubernetes-int-or-string"):
        strict = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    return strict


def crd_schemas(crds: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict JSON schema of that custom resource version."""
    schemas = {}
    for crd in crds:
        spec = crd["spec"]
        for version in spec["versions"]:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if version.get("served", True) and schema:
                schemas[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = _strict(
                    copy.deepcopy(schema)
                )
    return schemas


def schema_error(
    obj: dict[str, Any], kubernetes_version: str, custom: dict[tuple[str, str], dict[str, Any]]
) -> str | None:
    """Why the API server of `kubernetes_version` would refuse `obj`, or None."""
    key = (obj["apiVersion"], obj["kind"])
    if key in custom:
        # The server sets apiVersion, kind and metadata itself; the schema describes the rest.
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        schema = {**custom[key], "properties": {**custom[key].get("properties", {})}}
        for k in ("apiVersion", "kind", "metadata"):
            schema["properties"].pop(k, None)
        error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(body))
        return None if error is None else f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
    validator = _builtin_validator(kubernetes_version, obj["apiVersion"], obj["kind"])
    if validator is None:
        return f"no schema for {obj['apiVersion']} {obj['kind']} in Kubernetes {kubernetes_version}"
    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    return None if error is None else f"{'.'.join(map(str, error.absolute_path))}: {error.message}"


@cache
def _builtin_validator(kubernetes_version: str, api_version: str, kind: str) -> jsonschema.Validator | None:
    """kubernetes-validate's strict schema of a built-in kind (what `validate(strict=True)` uses),
    loaded once instead of on every call."""
    minor = utils.major_minor(kubernetes_version)
    version = [v for v in utils.all_versions() if Version(utils.major_minor(v)) <= Version(minor)][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", kubernetes_version)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", kubernetes_version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


# --- containers --------------------------------------------------------------------------------


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The pod specs `obj` makes pods from (workloads, CronJobs, bare Pods)."""
    kind = obj["kind"]
    if kind in POD_TEMPLATE_KINDS:
        yield obj["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        yield obj["spec"]


def containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod.get("initContainers") or []
    yield from pod.get("containers") or []


def resource_gaps(obj: dict[str, Any]) -> list[str]:
    """Containers of `obj` without CPU and memory requests and a memory limit (requirement O4).

    Prometheus and Alertmanager resources count too: the operator makes their pods from
    `spec.resources` (its config reloader sidecar gets the operator's own defaults).
    """
    gaps = []
    if obj["kind"] in ("Prometheus", "Alertmanager"):
        gaps += [f"{name_of(obj)}: {problem}" for problem in _gaps(obj["spec"].get("resources") or {})]
    for pod in pod_specs(obj):
        for container in containers(pod):
            gaps += [
                f"{name_of(obj)} container {container['name']}: {problem}"
                for problem in _gaps(container.get("resources") or {})
            ]
    return gaps


def _gaps(resources: dict[str, Any]) -> list[str]:
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    missing = [f"no {what} request" for what in ("cpu", "memory") if what not in requests]
    if "memory" not in limits:
        missing.append("no memory limit")
    return missing
