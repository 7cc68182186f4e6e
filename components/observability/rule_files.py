"""The alert rules shipped as data files: Prometheus rule groups and the Loki ruler's LogQL rules.

The YAML files are the single source: promtool checks and unit-tests them in the test suite,
and the component hands the very same documents to kube-prometheus-stack and to Loki's ruler.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

_PACKAGE = __package__ or "kubeboard_infra.observability"


def _yaml_documents(folder: str) -> dict[str, dict[str, Any]]:
    """Every ``*.yaml`` file of a data folder, keyed by file stem, in name order."""
    root: Traversable = resources.files(_PACKAGE) / folder
    documents: dict[str, dict[str, Any]] = {}
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yaml"):
            continue
        document = yaml.safe_load(entry.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
            raise ValueError(f"{folder}/{entry.name}: a rule file must be a mapping with a 'groups' list")
        documents[entry.name.removesuffix(".yaml")] = document
    return documents


def prometheus_rule_files() -> dict[str, dict[str, Any]]:
    """Prometheus rule files (``rules/*.yaml``) keyed by name, e.g. ``{"platform": {"groups": [...]}}``.

    This is exactly the shape of kube-prometheus-stack's ``additionalPrometheusRulesMap``.
    """
    return _yaml_documents("rules")


def loki_rule_files() -> dict[str, dict[str, Any]]:
    """Loki ruler rule files (``loki_rules/*.yaml``, LogQL expressions) keyed by name."""
    return _yaml_documents("loki_rules")


def loki_rule_texts() -> dict[str, str]:
    """The Loki rule files as YAML text, keyed by file name, for the ruler's rules ConfigMap."""
    root = resources.files(_PACKAGE) / "loki_rules"
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(root.iterdir(), key=lambda item: item.name)
        if entry.name.endswith(".yaml")
    }
