"""Grafana's data sources and the dashboards kept in the repository.

Dashboards reference data sources by UID, so the UIDs are fixed here and given to the data
sources Grafana provisions; a test checks every dashboard only uses these.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

_PACKAGE = __package__ or "kubeboard_infra.observability"

PROMETHEUS_UID = "prometheus"
"""kube-prometheus-stack provisions its Prometheus data source with this UID (``sidecar.datasources.uid``)."""
LOKI_UID = "loki"
CLOUDWATCH_UID = "cloudwatch"

DATASOURCE_TYPES: dict[str, str] = {
    PROMETHEUS_UID: "prometheus",
    LOKI_UID: "loki",
    CLOUDWATCH_UID: "cloudwatch",
}
"""Data source UID -> plugin type, for every data source a dashboard may use."""

DASHBOARD_LABEL = "grafana_dashboard"
"""The label Grafana's dashboard sidecar (kube-prometheus-stack default) watches ConfigMaps for."""


def dashboards() -> dict[str, dict[str, Any]]:
    """The repository's dashboards (``dashboards/*.json``), keyed by file name."""
    root = resources.files(_PACKAGE) / "dashboards"
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            try:
                found[entry.name] = json.loads(entry.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise ValueError(f"dashboards/{entry.name}: not valid JSON ({error})") from None
    return found


def loki_datasource(url: str) -> dict[str, Any]:
    """Grafana's Loki data source, pointing at the in-cluster Loki service."""
    return {
        "name": "Loki",
        "uid": LOKI_UID,
        "type": "loki",
        "access": "proxy",
        "url": url,
        "isDefault": False,
        "editable": False,
        "jsonData": {"maxLines": 1000, "timeout": 60},
    }


def cloudwatch_datasource(region: str) -> dict[str, Any]:
    """Grafana's CloudWatch data source. ``authType: default`` uses the AWS SDK's credential chain,
    i.e. the web identity token IRSA mounts into the Grafana pod; no keys are stored."""
    return {
        "name": "CloudWatch",
        "uid": CLOUDWATCH_UID,
        "type": "cloudwatch",
        "access": "proxy",
        "isDefault": False,
        "editable": False,
        "jsonData": {"authType": "default", "defaultRegion": region},
    }
