"""Custom resources validated against their CRD's openAPIV3Schema, strictly (unknown fields refused),
as the API server does with field validation `Strict`."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRDS = Path(__file__).resolve().parents[1] / "data" / "crds"


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Objects that list their properties admit no others, unless the CRD preserves unknown fields."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


@cache
def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict schema of that version's objects (metadata left to the server)."""
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {"type": "object"}
            schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


CUSTOM_RESOURCES = frozenset(kind for _, kind in _schemas())


def validate_custom_resource(doc: dict[str, Any]) -> list[str]:
    """Problems of ``doc`` against its CRD (one line each); a kind or version without a CRD is one."""
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    schema = _schemas().get((doc["apiVersion"], doc["kind"]))
    if schema is None:
        return [f"{name}: no CRD for {doc['apiVersion']} in {CRDS}"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
