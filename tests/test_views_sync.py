"""The front page's views sync (charts/kubeboard/files/sync_views.py) against (moto) S3, and the
read-only identity it runs with (components/report_reader.py) in both stacks' plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.chart.views_site import START, sample_findings, sample_reports, sync_module

from .conftest import STACKS, plan_for, resources_of

sync = sync_module()
REGION = "ap-northeast-2"


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for bucket in ("reports", "findings"):
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


def put(s3: Any, bucket: str, key: str, body: Any) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body if isinstance(body, bytes) else json.dumps(body).encode())


def run(s3: Any, views: Path, **env: str) -> dict[str, Any]:
    config = sync.Config.from_env(
        {"VIEWS_DIR": str(views), "REPORTS_BUCKET": "reports", "FINDINGS_BUCKET": "findings", **env}
    )
    result: dict[str, Any] = sync.Syncer(s3, config, now=START).run()
    return result


def index(views: Path, view: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((views / view / "index.json").read_text(encoding="utf-8"))
    return document


def test_copies_reports_and_findings_with_an_index_each(s3: Any, tmp_path: Path) -> None:
    for suffix, report in sample_reports(6):
        put(s3, "reports", f"reports/{suffix}.json", report)
        put(s3, "reports", f"reports/{suffix}.html", b"<p>report</p>")
    for suffix, findings in sample_findings(4):
        put(s3, "findings", f"scan-findings/{suffix}.json", findings)
        put(s3, "findings", f"scan-findings/{suffix}.alerts/{'a' * 64}.json", {"state": "sent"})
    # Keys outside the layouts the Lambdas write are not views.
    put(s3, "reports", "reports/dev/2026/05/04/1200.txt", b"x")
    put(s3, "reports", "reports/Dev/2026/05/04/1200.json", {})
    put(s3, "findings", "scan-findings/kubeboard/api/latest.json", {})

    outcome = run(s3, tmp_path)

    assert outcome["reports"]["fetched"] == 12 and outcome["images"]["fetched"] == 4
    reports = index(tmp_path, "reports")
    assert [r["start"] for r in reports["reports"]][:3] == ["2026-05-04T12:00:00Z"] * 3
    assert {r["namespace"] for r in reports["reports"]} == {"common", "dev", "prod"}
    assert [n["reports"] for n in reports["namespaces"]] == [2, 2, 2]
    assert (tmp_path / "reports" / reports["reports"][0]["html"]).read_text() == "<p>report</p>"
    images = index(tmp_path, "images")
    assert len(images["images"]) == 4  # the alert ledger entries are not images
    assert {r["repository"]: r["images"] for r in images["repositories"]} == {
        "kubeboard/api": 2,
        "kubeboard/log-exporter": 1,
        "kubeboard/web": 1,
    }
    first = next(i for i in images["images"] if i["digest"].endswith("0" * 64))
    assert [f["severity"] for f in first["top"]] == ["CRITICAL", "HIGH", "MEDIUM"]
    assert (tmp_path / "images" / first["json"]).exists()


def test_hostile_values_become_plain_bounded_text(s3: Any, tmp_path: Path) -> None:
    digest = "sha256:" + "b" * 64
    put(
        s3,
        "findings",
        f"scan-findings/kubeboard/api/{digest}.json",
        {
            "imageTags": ["1.0", 7, "\x1b[31mred"],
            "severityCounts": {"CRITICAL": "9", "HIGH": -1, "LOW": True, "MEDIUM": 2},
            "findingCount": 2,
            "findings": [
                {"id": "CVE-1", "severity": "CRITICAL", "uri": "javascript:alert(1)", "title": "t" * 5000},
                {"id": "CVE-2", "severity": "BOGUS", "uri": "https://example.com/CVE-2", "score": 99},
                "not a finding",
            ],
        },
    )
    put(s3, "reports", "reports/dev/2026/05/04/1200.json", b"not json")

    run(s3, tmp_path)

    [image] = index(tmp_path, "images")["images"]
    assert image["tags"] == ["1.0", " [31mred"]
    assert image["counts"]["CRITICAL"] == 0 and image["counts"]["HIGH"] == 0 and image["counts"]["LOW"] == 0
    assert image["counts"]["MEDIUM"] == 2
    first, second = image["top"]
    assert first["uri"] == "" and len(first["title"]) == sync.LONG_TEXT_LIMIT
    assert second["severity"] == "UNDEFINED" and second["score"] is None
    assert second["uri"] == "https://example.com/CVE-2"
    [report] = index(tmp_path, "reports")["reports"]
    assert report["errors"] == 0 and report["html"] == ""  # unreadable JSON: listed, with nothing in it


def test_keeps_the_newest_and_prunes_what_left_the_selection(s3: Any, tmp_path: Path) -> None:
    for suffix, report in sample_reports(9):
        put(s3, "reports", f"reports/{suffix}.json", report)
    run(s3, tmp_path, MAX_REPORTS="9")
    assert len(list((tmp_path / "reports" / "files").rglob("*.json"))) == 9

    outcome = run(s3, tmp_path, MAX_REPORTS="3")

    kept = index(tmp_path, "reports")["reports"]
    assert [r["start"] for r in kept] == ["2026-05-04T12:00:00Z"] * 3
    assert outcome["reports"]["removed"] == 6
    assert len(list((tmp_path / "reports" / "files").rglob("*.json"))) == 3
    assert index(tmp_path, "reports")["windowsInBucket"] == 9


def test_an_unchanged_object_is_not_fetched_again(s3: Any, tmp_path: Path) -> None:
    for suffix, findings in sample_findings(3):
        put(s3, "findings", f"scan-findings/{suffix}.json", findings)
    assert run(s3, tmp_path)["images"]["fetched"] == 3
    again = run(s3, tmp_path)
    assert again["images"] == {"listed": 3, "fetched": 0, "reused": 3, "skipped": 0, "removed": 0}
    assert len(index(tmp_path, "images")["images"]) == 3
    # A rescan rewrites the object: its ETag changes and it is fetched again.
    suffix, findings = sample_findings(1)[0]
    put(s3, "findings", f"scan-findings/{suffix}.json", {**findings, "findingCount": 42})
    third = run(s3, tmp_path)
    assert third["images"]["fetched"] == 1
    assert 42 in [i["findingCount"] for i in index(tmp_path, "images")["images"]]


def test_an_oversized_object_is_skipped_and_said(s3: Any, tmp_path: Path) -> None:
    digest = "sha256:" + "c" * 64
    put(s3, "findings", f"scan-findings/kubeboard/api/{digest}.json", b" " * 4096)
    outcome = run(s3, tmp_path, MAX_OBJECT_BYTES="1024")
    assert outcome["images"]["skipped"] == 1 and "MAX_OBJECT_BYTES" in outcome["skipped"][0]
    assert index(tmp_path, "images")["images"] == []


def test_a_view_without_its_bucket_is_empty_not_broken(s3: Any, tmp_path: Path) -> None:
    config = sync.Config.from_env({"VIEWS_DIR": str(tmp_path), "REPORTS_BUCKET": "reports"})
    sync.Syncer(s3, config).run()
    images = index(tmp_path, "images")
    assert images["configured"] is False and images["images"] == []


@pytest.mark.parametrize(
    ("key", "value"), [("MAX_REPORTS", "0"), ("TOP_FINDINGS", "51"), ("MAX_IMAGES", "many")]
)
def test_configuration_errors_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(sync.SyncError, match=key):
        sync.Config.from_env({key: value})


# --- the reader's identity in the plans ------------------------------------------------------------


def _reader_policy(plan: dict[str, Any]) -> dict[str, Any]:
    [policy] = [
        p for p in resources_of(plan, "aws:iam/policy:Policy") if p["name"] == "report-reader-views-sync-read"
    ]
    document: dict[str, Any] = json.loads(policy["inputs"]["policy"])
    return document


@pytest.mark.parametrize("stack", STACKS)
def test_the_reader_may_only_list_and_read_the_two_prefixes(stack: str) -> None:
    plan = plan_for(stack)
    statements = _reader_policy(plan)["Statement"]
    actions = {
        action
        for s in statements
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    assert all(s["Effect"] == "Allow" for s in statements)
    reads = sorted(s["Resource"] for s in statements if s["Action"] == "s3:GetObject")
    processed = plan["outputs"]["errorReportBucket"]
    shared = plan_for("shared")["outputs"]["imageScanFindingsBucket"]
    assert reads == sorted([f"arn:aws:s3:::{processed}/reports/*", f"arn:aws:s3:::{shared}/scan-findings/*"])
    lists = {
        s["Resource"]: s["Condition"]["StringLike"]["s3:prefix"]
        for s in statements
        if s["Action"] == "s3:ListBucket"
    }
    assert lists == {
        f"arn:aws:s3:::{processed}": ["reports/*"],
        f"arn:aws:s3:::{shared}": ["scan-findings/*"],
    }
    [decrypt] = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}
    assert plan_for("shared")["outputs"]["imageScanFindingsKeyArn"] in decrypt["Resource"]
    # Only the views sync's ServiceAccount may assume it.
    [role] = [r for r in resources_of(plan, "aws:iam/role:Role") if r["name"] == "report-reader-views-sync"]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:common:kubeboard-views-sync" in trust.values()


@pytest.mark.parametrize("stack", STACKS)
def test_the_root_application_hands_the_chart_the_views(stack: str) -> None:
    plan = plan_for(stack)
    [root] = [r for r in plan["resources"] if r["name"] == "gitops-root-application"]
    views = root["inputs"]["spec"]["source"]["helm"]["valuesObject"]["views"]
    assert views["enabled"] is True
    assert views["roleArn"] == plan["outputs"]["viewsSyncRoleArn"]
    assert views["reports"] == {"bucket": plan["outputs"]["errorReportBucket"], "prefix": "reports/"}
    assert views["images"]["bucket"] == plan_for("shared")["outputs"]["imageScanFindingsBucket"]
    assert (
        views["image"]["repository"].endswith("/kubeboard/log-exporter") and views["image"]["tag"] == "0.1.0"
    )
