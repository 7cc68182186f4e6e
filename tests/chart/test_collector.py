"""The collector script (charts/kubeboard/files/collect.py) against the API stub: what the front
page shows is what the cluster holds."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.chart.chart_render import CHART
from tests.chart.kube_api_stub import ApiStub, running_stub

SCRIPT = CHART / "files" / "collect.py"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def load_collector() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kubeboard_collect", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


collect = load_collector()


def ago(minutes: int) -> str:
    return (NOW - dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def node(name: str, ready: bool) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {
                "eks.amazonaws.com/nodegroup": "general",
                "topology.kubernetes.io/zone": "ap-northeast-2a",
            },
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "nodeInfo": {"kubeletVersion": "v1.33.5-eks-1"},
            "allocatable": {"cpu": "1930m", "memory": "7Gi", "pods": "29", "ephemeral-storage": "18Gi"},
        },
    }


def deployment(namespace: str, name: str, replicas: int, ready: int) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": f"{name}:1.0"}]}}},
        "status": {"readyReplicas": ready},
    }


def event(namespace: str, reason: str, minutes_ago: int, kind: str = "Warning") -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": f"{reason}.1"},
        "type": kind,
        "reason": reason,
        "message": f"<script>{reason}</script> " + "x" * 600,
        "involvedObject": {"kind": "Pod", "name": f"{reason.lower()}-pod"},
        "lastTimestamp": ago(minutes_ago),
        "count": 3,
    }


def seeded_stub() -> ApiStub:
    return ApiStub(
        lists={
            ("", "nodes"): [node("ip-10-10-1-10", True), node("ip-10-10-2-20", False)],
            ("apps", "deployments"): [deployment("prod", "api", 3, 3), deployment("dev", "api", 2, 1)],
            ("apps", "daemonsets"): [
                {
                    "metadata": {"namespace": "kube-system", "name": "aws-node"},
                    "spec": {"template": {"spec": {"containers": [{"image": "amazon-k8s-cni:v1.20"}]}}},
                    "status": {"desiredNumberScheduled": 2, "numberReady": 2},
                }
            ],
            ("batch", "cronjobs"): [
                {
                    "metadata": {"namespace": "common", "name": "kubeboard-collector"},
                    "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {}}}}},
                    "status": {"lastScheduleTime": ago(3)},
                }
            ],
            ("", "events"): [
                event("prod", "BackOff", 5),
                event("dev", "FailedScheduling", 30),
                event("dev", "Stale", 600),
                event("dev", "Scheduled", 1, kind="Normal"),
            ],
            ("", "pods"): [
                {"metadata": {"namespace": "prod"}, "status": {"phase": "Running"}},
                {"metadata": {"namespace": "prod"}, "status": {"phase": "Running"}},
                {"metadata": {"namespace": "dev"}, "status": {"phase": "Pending"}},
            ],
        }
    )


def test_snapshot_summarises_nodes_workloads_and_recent_warnings() -> None:
    with running_stub(seeded_stub()) as stub:
        snapshot = collect.build_snapshot(collect.ApiClient(stub.url, "t", None), NOW, 60, 200)
    assert snapshot["cluster"]["version"].startswith("v1.33")
    assert snapshot["summary"] == {
        "nodes": 2,
        "readyNodes": 1,
        "workloads": 4,
        "unhealthyWorkloads": 1,
        "warningEvents": 2,
        "pods": 3,
    }
    unhealthy = [w for w in snapshot["workloads"] if not w["healthy"]]
    assert [(w["namespace"], w["name"], w["ready"], w["desired"]) for w in unhealthy] == [
        ("dev", "api", 1, 2)
    ]
    # Newest first, older than the window dropped, Normal events never included, messages capped.
    assert [e["reason"] for e in snapshot["events"]] == ["BackOff", "FailedScheduling"]
    assert all(len(e["message"]) <= 500 for e in snapshot["events"])
    assert snapshot["nodes"][0]["allocatable"] == {"cpu": "1930m", "memory": "7Gi", "pods": "29"}
    assert snapshot["podPhases"] == {"dev": {"Pending": 1}, "prod": {"Running": 2}}


def test_event_limit_keeps_the_newest() -> None:
    with running_stub(seeded_stub()) as stub:
        snapshot = collect.build_snapshot(collect.ApiClient(stub.url, "t", None), NOW, 60, 1)
    assert [e["reason"] for e in snapshot["events"]] == ["BackOff"]


def test_lists_are_paged_with_continue_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [
        {"items": [{"n": 1}], "metadata": {"continue": "abc"}},
        {"items": [{"n": 2}], "metadata": {}},
    ]
    seen: list[dict[str, str] | None] = []

    def fake_get(_self: Any, _path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        seen.append(params)
        return pages[len(seen) - 1]

    monkeypatch.setattr(collect.ApiClient, "get", fake_get)
    items = collect.ApiClient("http://unused", "t", None).list_all("/api/v1/pods")
    assert items == [{"n": 1}, {"n": 2}]
    assert seen[1] is not None and seen[1]["continue"] == "abc"


def run_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_script_writes_the_snapshot_file_atomically(tmp_path: Path) -> None:
    sa_dir = tmp_path / "sa"
    sa_dir.mkdir()
    (sa_dir / "token").write_text("stub-token\n")
    target = tmp_path / "data" / "snapshot.json"
    with running_stub(seeded_stub()) as stub:
        result = run_script(
            {"API_SERVER": stub.url, "SERVICE_ACCOUNT_DIR": str(sa_dir), "SNAPSHOT_PATH": str(target)}
        )
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(target.read_text())
    assert snapshot["summary"]["nodes"] == 2
    assert [p.name for p in target.parent.iterdir()] == ["snapshot.json"]  # no temp file left behind
    assert "wrote" in result.stdout


def test_script_fails_with_one_clear_line_when_the_api_is_unreachable(tmp_path: Path) -> None:
    sa_dir = tmp_path / "sa"
    sa_dir.mkdir()
    (sa_dir / "token").write_text("stub-token")
    result = run_script(
        {
            "API_SERVER": "http://127.0.0.1:9",
            "SERVICE_ACCOUNT_DIR": str(sa_dir),
            "SNAPSHOT_PATH": str(tmp_path / "s"),
        }
    )
    assert result.returncode == 1
    assert result.stderr.startswith("kubeboard-collector: GET /version:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EVENTS_WINDOW_MINUTES": "0"}, "EVENTS_WINDOW_MINUTES must be a positive integer"),
        ({}, "cannot read the ServiceAccount token"),
        ({"API_SERVER": ""}, "not in a cluster"),
    ],
)
def test_script_reports_bad_configuration(tmp_path: Path, env: dict[str, str], message: str) -> None:
    base = {"API_SERVER": "http://127.0.0.1:9", "SERVICE_ACCOUNT_DIR": str(tmp_path / "missing")}
    result = run_script({**base, **env})
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
