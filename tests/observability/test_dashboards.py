"""Dashboards as code: valid JSON, unique, and wired only to the data sources Grafana provisions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.observability import grafana, rule_files
from scan_findings import config as scan_config
from scan_findings import metrics as scan_metrics

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "components" / "observability" / "dashboards"
DASHBOARDS = grafana.dashboards()


def _datasource_refs(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``datasource`` object anywhere in a dashboard (panels, targets, variables)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield value
            yield from _datasource_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _datasource_refs(item)


def _targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_three_dashboards_are_shipped_as_valid_json() -> None:
    assert set(DASHBOARDS) == {
        "infrastructure-overview.json",
        "error-logs-by-namespace.json",
        "image-vulnerabilities.json",
    }
    for path in DASHBOARD_DIR.glob("*.json"):
        json.loads(path.read_text())  # raises on invalid JSON


def test_dashboard_uids_and_titles_are_unique() -> None:
    uids = [dashboard["uid"] for dashboard in DASHBOARDS.values()]
    titles = [dashboard["title"] for dashboard in DASHBOARDS.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    assert all(len(uid) <= 40 for uid in uids)  # Grafana's UID limit


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboards_use_only_the_provisioned_datasource_uids(name: str) -> None:
    refs = list(_datasource_refs(DASHBOARDS[name]))
    assert refs, "a dashboard without data source references cannot show anything"
    for ref in refs:
        assert isinstance(ref, dict), f"{name}: data source given by name ({ref!r}), not by UID"
        assert ref["uid"] in grafana.DATASOURCE_TYPES, f"{name}: unknown data source UID {ref['uid']}"
        assert grafana.DATASOURCE_TYPES[ref["uid"]] == ref["type"], f"{name}: {ref} has the wrong type"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_has_a_query_and_a_place(name: str) -> None:
    ids = []
    assert DASHBOARDS[name]["panels"]
    for panel in DASHBOARDS[name]["panels"]:
        ids.append(panel["id"])
        assert panel["targets"], f"{name}: panel {panel['title']!r} has no query"
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel["targets"]:
            assert target.get("expr") or target.get("metricName"), panel["title"]
    assert len(ids) == len(set(ids))


def test_error_log_dashboard_counts_the_same_lines_the_loki_alert_counts() -> None:
    (rule,) = [r for g in rule_files.loki_rule_files()["error-logs"]["groups"] for r in g["rules"]]
    alert_filter = re.search(r'\|~ "((?:[^"\\]|\\.)*)"', rule["expr"])
    assert alert_filter
    exprs = [target["expr"] for target in _targets(DASHBOARDS["error-logs-by-namespace.json"])]
    counting = [expr for expr in exprs if "count_over_time" in expr]
    assert counting and all(f'|~ "{alert_filter.group(1)}"' in expr for expr in counting)
    assert all("sum by (namespace" in expr for expr in counting)


def test_vulnerability_dashboard_reads_what_the_scan_lambda_emits() -> None:
    targets = _targets(DASHBOARDS["image-vulnerabilities.json"])
    findings = [target for target in targets if target["metricName"] == scan_metrics.METRIC_FINDINGS]
    assert findings
    for target in targets:
        assert target["namespace"] == scan_config.DEFAULT_NAMESPACE
    for target in findings:
        assert set(target["dimensions"]) == {
            scan_metrics.DIMENSION_REPOSITORY,
            scan_metrics.DIMENSION_SEVERITY,
        }
    variables = {
        item["name"]: item for item in DASHBOARDS["image-vulnerabilities.json"]["templating"]["list"]
    }
    assert variables["repository"]["query"]["dimensionKey"] == scan_metrics.DIMENSION_REPOSITORY
    from scan_findings.findings import SEVERITIES

    assert variables["severity"]["query"].split(",") == list(SEVERITIES)


def test_a_dashboard_with_a_foreign_datasource_is_caught() -> None:
    broken = json.loads(json.dumps(DASHBOARDS["infrastructure-overview.json"]))
    broken["panels"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    assert any(ref["uid"] not in grafana.DATASOURCE_TYPES for ref in _datasource_refs(broken))
