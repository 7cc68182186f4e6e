#!/usr/bin/env python3
"""Gate a freshly pushed image on its ECR scan result.

Waits until ECR has scanned the image (basic scanning, or Amazon Inspector enhanced scanning),
pages through every finding, prints a summary table and fails when the image carries a CRITICAL
finding or more HIGH findings than the threshold allows.

Exit codes: 0 the image may be deployed; 1 the image has too many vulnerabilities;
2 no verdict was possible (the scan failed, is unsupported, timed out, or AWS refused the call).

Only the standard library and boto3: the delivery workflow runs this file straight from a
checkout, without installing the platform package.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

EXIT_PASS = 0
EXIT_VULNERABLE = 1
EXIT_NO_VERDICT = 2

# Most severe first; basic scanning reports UNDEFINED, enhanced scanning UNTRIAGED.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED", "UNTRIAGED")

# Basic scans end in COMPLETE; enhanced (continuous) scans settle in ACTIVE.
DONE_STATUSES = frozenset({"COMPLETE", "ACTIVE"})
PENDING_STATUSES = frozenset({"IN_PROGRESS", "PENDING"})
# Everything else (FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED,
# LIMIT_EXCEEDED, IMAGE_ARCHIVED, IMAGE_SIZE_EXCEEDED, and any status added later) means no
# findings will come: the gate must not pass an image nobody looked at.

MAX_LISTED_FINDINGS = 25


class NoVerdictError(Exception):
    """The scan produced no findings the gate can judge."""


@dataclass(frozen=True)
class Finding:
    severity: str
    vulnerability: str
    package: str
    url: str


@dataclass(frozen=True)
class ScanResult:
    scan_type: str
    status: str
    findings: tuple[Finding, ...]
    suppressed: int
    summary_counts: dict[str, int]

    def counts(self) -> Counter[str]:
        """Severity counts from the paged findings; ECR's own summary only if no finding came back."""
        if self.findings:
            return Counter(f.severity for f in self.findings)
        return Counter(self.summary_counts)


def wait_for_scan(
    ecr: Any,
    repository: str,
    image_id: dict[str, str],
    *,
    registry_id: str | None,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Poll until the scan of `image_id` is done; return its final status."""
    deadline = clock() + timeout
    last = "not started"
    while True:
        try:
            response = ecr.describe_image_scan_findings(
                **_request(repository, image_id, registry_id), maxResults=1
            )
        except ClientError as error:
            # Scan-on-push starts a moment after the push; until then there is no scan to read.
            if error.response.get("Error", {}).get("Code") != "ScanNotFoundException":
                raise
        else:
            scan_status = response.get("imageScanStatus", {})
            last = str(scan_status.get("status", "UNKNOWN"))
            if last in DONE_STATUSES:
                return last
            if last not in PENDING_STATUSES:
                description = scan_status.get("description") or "no description from ECR"
                raise NoVerdictError(
                    f"the scan of {repository}:{_label(image_id)} ended in status {last}: {description}. "
                    "The image was not judged, so it is not deployed."
                )
        if clock() >= deadline:
            raise NoVerdictError(
                f"no scan result for {repository}:{_label(image_id)} after {timeout:.0f}s "
                f"(last status: {last}). Is scan on push (or enhanced scanning) enabled for the repository?"
            )
        sleep(interval)


def collect_findings(
    ecr: Any, repository: str, image_id: dict[str, str], registry_id: str | None, status: str
) -> ScanResult:
    """Page through every finding of a finished scan (basic and enhanced)."""
    findings: list[Finding] = []
    suppressed = 0
    scan_type = "BASIC"
    summary: dict[str, int] = {}
    paginator = ecr.get_paginator("describe_image_scan_findings")
    for page in paginator.paginate(**_request(repository, image_id, registry_id)):
        body = page.get("imageScanFindings", {})
        summary = body.get("findingSeverityCounts") or summary
        findings.extend(_basic(body.get("findings") or ()))
        if "enhancedFindings" in body:
            scan_type = "ENHANCED"
        for item in body.get("enhancedFindings") or ():
            # Inspector suppression rules are how an organisation accepts a risk; honour them.
            if item.get("status", "ACTIVE") != "ACTIVE":
                suppressed += 1
                continue
            findings.append(_enhanced(item))
    return ScanResult(scan_type, status, tuple(findings), suppressed, dict(summary))


def verdict(counts: Counter[str], high_threshold: int) -> list[str]:
    """Reasons to block the image; empty when it may be deployed."""
    reasons = []
    if counts["CRITICAL"] > 0:
        reasons.append(f"{counts['CRITICAL']} CRITICAL finding(s); none are allowed")
    if counts["HIGH"] > high_threshold:
        reasons.append(f"{counts['HIGH']} HIGH finding(s); at most {high_threshold} allowed")
    return reasons


def summary_rows(counts: Counter[str], high_threshold: int) -> list[tuple[str, int, str, str]]:
    limits = {"CRITICAL": 0, "HIGH": high_threshold}
    rows = []
    for severity in SEVERITIES:
        limit = limits.get(severity)
        if limit is None:
            rows.append((severity, counts[severity], "-", "-"))
        else:
            rows.append(
                (severity, counts[severity], str(limit), "FAIL" if counts[severity] > limit else "ok")
            )
    return rows


def render_text(image: str, result: ScanResult, high_threshold: int) -> str:
    counts = result.counts()
    lines = [f"Scan findings for {image} ({result.scan_type} scan, status {result.status})", ""]
    lines.append(f"{'SEVERITY':<14}{'COUNT':>7}{'LIMIT':>7}  RESULT")
    for severity, count, limit, outcome in summary_rows(counts, high_threshold):
        lines.append(f"{severity:<14}{count:>7}{limit:>7}  {outcome}")
    if result.suppressed:
        lines.append(f"({result.suppressed} suppressed finding(s) not counted)")
    blocking = [f for f in result.findings if f.severity in ("CRITICAL", "HIGH")]
    if blocking:
        lines += ["", "CRITICAL and HIGH findings:"]
        for finding in blocking[:MAX_LISTED_FINDINGS]:
            lines.append(
                f"  {finding.severity:<9} {finding.vulnerability:<22} {finding.package}  {finding.url}"
            )
        if len(blocking) > MAX_LISTED_FINDINGS:
            lines.append(f"  ... and {len(blocking) - MAX_LISTED_FINDINGS} more")
    return "\n".join(lines)


def render_markdown(image: str, result: ScanResult, high_threshold: int, reasons: Sequence[str]) -> str:
    outcome = "blocked: " + "; ".join(reasons) if reasons else "passed"
    lines = [
        f"### Image scan gate: {outcome}",
        "",
        f"`{image}` ({result.scan_type} scan, status {result.status})",
        "",
        "| Severity | Count | Limit | Result |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {s} | {c} | {limit} | {o} |" for s, c, limit, o in summary_rows(result.counts(), high_threshold)
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    image_id = {"imageDigest": args.image_digest} if args.image_digest else {"imageTag": args.image_tag}
    image = f"{args.repository}:{_label(image_id)}"
    try:
        ecr = boto3.client("ecr", region_name=args.region)
        status = wait_for_scan(
            ecr,
            args.repository,
            image_id,
            registry_id=args.registry_id,
            timeout=args.wait_timeout,
            interval=args.poll_interval,
        )
        result = collect_findings(ecr, args.repository, image_id, args.registry_id, status)
    except NoVerdictError as error:
        print(f"scan gate: {error}", file=sys.stderr)
        return EXIT_NO_VERDICT
    except ClientError as error:
        info = error.response.get("Error", {})
        print(
            f"scan gate: ECR refused the request for {image}: {info.get('Code')}: {info.get('Message')}",
            file=sys.stderr,
        )
        return EXIT_NO_VERDICT
    except BotoCoreError as error:
        print(f"scan gate: could not reach ECR for {image}: {error}", file=sys.stderr)
        return EXIT_NO_VERDICT

    reasons = verdict(result.counts(), args.high_threshold)
    print(render_text(image, result, args.high_threshold))
    if args.summary_file:
        with open(args.summary_file, "a", encoding="utf-8") as summary:
            summary.write(render_markdown(image, result, args.high_threshold, reasons))
    if reasons:
        print(f"\nscan gate: {image} is blocked: " + "; ".join(reasons), file=sys.stderr)
        return EXIT_VULNERABLE
    print(f"\nscan gate: {image} passed.")
    return EXIT_PASS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository", required=True, help="ECR repository name (not the URL)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--image-tag")
    target.add_argument("--image-digest")
    parser.add_argument("--registry-id", help="AWS account of the registry (default: the caller's)")
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    parser.add_argument(
        "--high-threshold",
        type=_non_negative,
        default=0,
        help="HIGH findings allowed (default 0); any CRITICAL always blocks",
    )
    parser.add_argument(
        "--wait-timeout", type=_non_negative, default=900, help="seconds to wait for the scan"
    )
    parser.add_argument("--poll-interval", type=_positive, default=10, help="seconds between polls")
    parser.add_argument(
        "--summary-file",
        default=os.environ.get("GITHUB_STEP_SUMMARY"),
        help="append a Markdown summary here (default: $GITHUB_STEP_SUMMARY)",
    )
    return parser


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _request(repository: str, image_id: dict[str, str], registry_id: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {"repositoryName": repository, "imageId": image_id}
    if registry_id:
        request["registryId"] = registry_id
    return request


def _label(image_id: dict[str, str]) -> str:
    return image_id.get("imageTag") or image_id.get("imageDigest", "")


def _basic(items: Iterable[dict[str, Any]]) -> Iterable[Finding]:
    for item in items:
        attributes = {a.get("key"): a.get("value", "") for a in item.get("attributes", ())}
        package = " ".join(filter(None, (attributes.get("package_name"), attributes.get("package_version"))))
        yield Finding(item.get("severity", "UNDEFINED"), item.get("name", "?"), package, item.get("uri", ""))


def _enhanced(item: dict[str, Any]) -> Finding:
    details = item.get("packageVulnerabilityDetails", {})
    packages = ", ".join(
        " ".join(filter(None, (p.get("name"), p.get("version"))))
        for p in details.get("vulnerablePackages", ())
    )
    return Finding(
        item.get("severity", "UNTRIAGED"),
        details.get("vulnerabilityId") or item.get("title", "?"),
        packages,
        details.get("sourceUrl", ""),
    )


if __name__ == "__main__":
    sys.exit(main())
