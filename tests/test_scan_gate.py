"""The delivery workflow's scan gate, against ECR scan findings served by moto."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

REGION = "ap-northeast-2"
REPO = "team-a/api"
TAG = "3f2c1a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"

_spec = importlib.util.spec_from_file_location(
    "scan_gate", Path(__file__).resolve().parents[1] / "scripts" / "scan_gate.py"
)
assert _spec and _spec.loader
scan_gate = importlib.util.module_from_spec(_spec)
sys.modules["scan_gate"] = scan_gate
_spec.loader.exec_module(scan_gate)


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    with mock_aws():
        client = boto3.client("ecr", region_name=REGION)
        client.create_repository(
            repositoryName=REPO,
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
        )
        client.put_image(repositoryName=REPO, imageTag=TAG, imageManifest=_manifest())
        yield client


def _manifest() -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + "a" * 64,
            },
            "layers": [],
        }
    )


def _basic(*severities: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"CVE-2026-{1000 + i}",
            "uri": f"https://nvd.nist.gov/vuln/detail/CVE-2026-{1000 + i}",
            "severity": severity,
            "attributes": [
                {"key": "package_name", "value": "openssl"},
                {"key": "package_version", "value": "3.0.2"},
            ],
        }
        for i, severity in enumerate(severities)
    ]


def _serve(
    ecr: Any,
    *,
    status: str = "COMPLETE",
    description: str = "The scan was completed successfully.",
    findings: list[dict[str, Any]] | None = None,
    enhanced: list[dict[str, Any]] | None = None,
) -> None:
    """Register the scan result moto returns for REPO:TAG (moto's documented custom-results API)."""
    body: dict[str, Any] = {"findingSeverityCounts": {}}
    if enhanced is not None:
        body["enhancedFindings"] = enhanced
    else:
        body["findings"] = findings or []
    for item in (enhanced or []) + (findings or []):
        body["findingSeverityCounts"][item["severity"]] = (
            body["findingSeverityCounts"].get(item["severity"], 0) + 1
        )
    result = {
        "registryId": "123456789012",
        "repositoryName": REPO,
        "imageId": {"imageTag": TAG},
        "imageScanStatus": {"status": status, "description": description},
        "imageScanFindings": body,
    }
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ecr/scan-finding-results",
        json={"results": [result], "region": REGION},
        timeout=5,
    )
    response.raise_for_status()
    ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": TAG})


def _gate(*extra: str) -> int:
    return scan_gate.main(
        ["--repository", REPO, "--image-tag", TAG, "--region", REGION, "--wait-timeout", "0", *extra]
    )


def test_clean_image_passes_and_prints_the_table(ecr: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _serve(ecr, findings=_basic("MEDIUM", "LOW", "LOW"))

    assert _gate() == 0

    out = capsys.readouterr().out
    assert f"Scan findings for {REPO}:{TAG} (BASIC scan, status COMPLETE)" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1]}
    assert rows["CRITICAL"] == ["0", "0", "ok"]
    assert rows["MEDIUM"] == ["1", "-", "-"]
    assert rows["LOW"] == ["2", "-", "-"]
    assert "passed" in out


def test_one_critical_blocks_whatever_the_high_threshold(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(ecr, findings=_basic("CRITICAL", "MEDIUM"))

    assert _gate("--high-threshold", "100") == 1

    captured = capsys.readouterr()
    assert "1 CRITICAL finding(s); none are allowed" in captured.err
    assert "CVE-2026-1000" in captured.out
    assert "openssl 3.0.2" in captured.out


@pytest.mark.parametrize(("threshold", "expected"), [("2", 1), ("3", 0)])
def test_high_findings_block_only_above_the_threshold(
    ecr: Any, capsys: pytest.CaptureFixture[str], threshold: str, expected: int
) -> None:
    _serve(ecr, findings=_basic("HIGH", "HIGH", "HIGH"))

    assert _gate("--high-threshold", threshold) == expected

    if expected:
        assert "3 HIGH finding(s); at most 2 allowed" in capsys.readouterr().err


def test_failed_scan_gives_no_verdict_with_ecr_reason(ecr: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _serve(ecr, status="FAILED", description="UnsupportedImageError: The operating system is not supported")

    assert _gate() == 2

    err = capsys.readouterr().err
    assert "ended in status FAILED" in err
    assert "The operating system is not supported" in err
    assert "Traceback" not in err


def test_unsupported_image_is_not_passed(ecr: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _serve(ecr, status="UNSUPPORTED_IMAGE", description="distroless base is not supported")

    assert _gate() == 2
    assert "UNSUPPORTED_IMAGE" in capsys.readouterr().err


def test_enhanced_findings_are_gated_and_suppressed_ones_are_not_counted(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def enhanced(cve: str, severity: str, status: str) -> dict[str, Any]:
        return {
            "severity": severity,
            "status": status,
            "title": f"{cve} - glibc",
            "packageVulnerabilityDetails": {
                "vulnerabilityId": cve,
                "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{cve}",
                "vulnerablePackages": [{"name": "glibc", "version": "2.35"}],
            },
        }

    _serve(
        ecr,
        status="ACTIVE",
        enhanced=[
            enhanced("CVE-2026-0001", "HIGH", "ACTIVE"),
            enhanced("CVE-2026-0002", "CRITICAL", "SUPPRESSED"),
            enhanced("CVE-2026-0003", "UNTRIAGED", "ACTIVE"),
        ],
    )

    assert _gate("--high-threshold", "1") == 0
    out = capsys.readouterr().out
    assert "(ENHANCED scan, status ACTIVE)" in out
    assert "(1 suppressed finding(s) not counted)" in out
    assert "CVE-2026-0001" in out and "glibc 2.35" in out

    assert _gate("--high-threshold", "0") == 1


def test_markdown_summary_goes_to_the_step_summary(ecr: Any, tmp_path: Path) -> None:
    _serve(ecr, findings=_basic("CRITICAL"))
    summary = tmp_path / "summary.md"

    assert _gate("--summary-file", str(summary)) == 1

    text = summary.read_text()
    assert text.startswith("### Image scan gate: blocked: 1 CRITICAL finding(s)")
    assert "| CRITICAL | 1 | 0 | FAIL |" in text


def test_gate_waits_for_a_scan_that_has_not_started(ecr: Any) -> None:
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        # Scan on push begins a moment after the push: the first poll finds no scan.
        naps.append(seconds)
        _serve(ecr, findings=_basic("LOW"))

    status = scan_gate.wait_for_scan(
        ecr, REPO, {"imageTag": TAG}, registry_id=None, timeout=60, interval=5, sleep=sleep
    )

    assert status == "COMPLETE"
    assert naps == [5]


def test_scan_stuck_in_progress_times_out_without_a_verdict(ecr: Any) -> None:
    _serve(ecr, status="IN_PROGRESS", description="")
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(scan_gate.NoVerdictError, match=r"after 30s \(last status: IN_PROGRESS\)"):
        scan_gate.wait_for_scan(
            ecr,
            REPO,
            {"imageTag": TAG},
            registry_id=None,
            timeout=30,
            interval=10,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert now[0] == 30


@pytest.mark.usefixtures("ecr")
def test_unknown_repository_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    code = scan_gate.main(["--repository", "nope", "--image-tag", TAG, "--region", REGION])

    assert code == 2
    err = capsys.readouterr().err
    assert "RepositoryNotFoundException" in err
    assert "Traceback" not in err


def test_every_page_of_findings_is_counted() -> None:
    # moto serves one page only; the paging contract is checked against botocore's stubber.
    client = boto3.client("ecr", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    request = {"repositoryName": REPO, "imageId": {"imageTag": TAG}}
    page = {
        "repositoryName": REPO,
        "imageId": {"imageTag": TAG},
        "imageScanStatus": {"status": "COMPLETE"},
    }
    with Stubber(client) as stub:
        stub.add_response(
            "describe_image_scan_findings",
            {**page, "imageScanFindings": {"findings": _basic("HIGH", "LOW")}, "nextToken": "page-2"},
            request,
        )
        stub.add_response(
            "describe_image_scan_findings",
            {**page, "imageScanFindings": {"findings": _basic("CRITICAL", "HIGH")}},
            {**request, "nextToken": "page-2"},
        )
        result = scan_gate.collect_findings(client, REPO, {"imageTag": TAG}, None, "COMPLETE")

    assert result.counts() == {"HIGH": 2, "LOW": 1, "CRITICAL": 1}
    assert scan_gate.verdict(result.counts(), high_threshold=5) == ["1 CRITICAL finding(s); none are allowed"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--image-tag", TAG],
        ["--repository", REPO],
        ["--repository", REPO, "--image-tag", TAG, "--high-threshold", "-1"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        scan_gate.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("interval", ["0", "-5"])
def test_poll_interval_must_be_positive(interval: str, capsys: pytest.CaptureFixture[str]) -> None:
    # An interval of 0 would hammer the ECR API in a tight loop until the wait timeout.
    with pytest.raises(SystemExit) as exit_info:
        scan_gate.main(["--repository", REPO, "--image-tag", TAG, "--poll-interval", interval])
    assert exit_info.value.code == 2
    assert "must be > 0" in capsys.readouterr().err


@pytest.mark.parametrize(("blocking", "more"), [(25, None), (26, "  ... and 1 more")])
def test_the_listing_stops_at_25_findings_and_says_how_many_more(
    ecr: Any, capsys: pytest.CaptureFixture[str], blocking: int, more: str | None
) -> None:
    _serve(ecr, findings=_basic(*["HIGH"] * blocking))

    assert _gate("--high-threshold", "100") == 0

    out = capsys.readouterr().out
    assert sum("CVE-2026-" in line for line in out.splitlines()) == 25
    if more is None:
        assert "more" not in out
    else:
        assert more in out.splitlines()


def test_aws_region_wins_over_aws_default_region(ecr: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in the AWS CLI: a workflow that sets AWS_REGION is gated in that region, not the default one.
    _serve(ecr, findings=_basic("LOW"))
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    assert scan_gate.main(["--repository", REPO, "--image-tag", TAG, "--wait-timeout", "0"]) == 0


def test_enhanced_finding_without_a_vulnerability_id_is_listed_by_its_title(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(
        ecr,
        status="ACTIVE",
        enhanced=[{"severity": "HIGH", "status": "ACTIVE", "title": "GHSA-xxxx - requests"}],
    )

    assert _gate("--high-threshold", "1") == 0
    assert "GHSA-xxxx - requests" in capsys.readouterr().out


def test_the_smallest_poll_interval_and_wait_are_accepted() -> None:
    args = scan_gate._parser().parse_args(
        ["--repository", REPO, "--image-tag", TAG, "--poll-interval", "1", "--wait-timeout", "0"]
    )
    assert (args.poll_interval, args.wait_timeout) == (1, 0)


def test_defaults_block_any_high_finding_and_wait_15_minutes_polling_every_10_seconds(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    args = scan_gate._parser().parse_args(["--repository", REPO, "--image-tag", TAG])
    assert (args.high_threshold, args.wait_timeout, args.poll_interval) == (0, 900, 10)

    _serve(ecr, findings=_basic("HIGH"))
    assert _gate() == 1
    assert "1 HIGH finding(s); at most 0 allowed" in capsys.readouterr().err


def test_help_says_what_the_gate_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        scan_gate.main(["--help"])
    assert "Gate a freshly pushed image on its ECR scan result." in capsys.readouterr().out


def test_findings_after_a_suppressed_one_still_count(ecr: Any) -> None:
    def enhanced(severity: str, status: str) -> dict[str, Any]:
        return {"severity": severity, "status": status, "title": f"{severity} {status}"}

    _serve(
        ecr,
        status="ACTIVE",
        enhanced=[enhanced("HIGH", "ACTIVE"), enhanced("LOW", "SUPPRESSED"), enhanced("CRITICAL", "ACTIVE")],
    )

    assert _gate("--high-threshold", "1") == 1


def test_an_unreachable_ecr_gives_no_verdict_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(*_args: Any, **_kwargs: Any) -> str:
        raise EndpointConnectionError(endpoint_url=f"https://api.ecr.{REGION}.amazonaws.com/")

    monkeypatch.setattr(scan_gate, "wait_for_scan", unreachable)

    assert _gate() == 2
    err = capsys.readouterr().err
    assert "could not reach ECR" in err
    assert "Traceback" not in err
