"""Benchmark of the scan_findings Lambda handler on an image with 10,000 findings over 10 pages.

The AWS clients are stubbed in-process (ECR pages are pre-built dicts, S3 and SNS calls are recorded), so
the figures are the handler's own work: paging, normalising, counting, EMF metrics, report JSON, alert.
Network latency to AWS is not included. Targets: < 1 s handler CPU, < 128 MB peak memory.

Run: .venv/bin/python benchmarks/scan_findings_bench.py [--findings 10000] [--pages 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The function's package by the name the Lambda runtime gives it (the archive's root holds it).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas"))
# Quiet the function's INFO logs so the benchmark output stays readable; metrics are still produced.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from scan_findings import handler  # imported after the environment above is prepared

ACCOUNT = "123456789012"
REGION = "us-east-1"
REPOSITORY = "kubeboard/api"
DIGEST = "sha256:" + "5e" * 32
CPU_TARGET_S = 1.0
MEMORY_TARGET_MB = 128.0
SEVERITY_CYCLE = (
    "CRITICAL",
    "HIGH",
    "HIGH",
    "MEDIUM",
    "MEDIUM",
    "MEDIUM",
    "LOW",
    "LOW",
    "INFORMATIONAL",
    "UNTRIAGED",
)


def enhanced_finding(index: int) -> dict[str, Any]:
    """An Inspector finding as DescribeImageScanFindings returns it (realistic size, ~1.5 KB)."""
    cve = f"CVE-2026-{index:05d}"
    return {
        "awsAccountId": ACCOUNT,
        "description": f"{cve}: a heap overflow in libexample allows remote attackers to execute code. " * 3,
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/{index:032x}",
        "firstObservedAt": "2026-11-01T00:00:00Z",
        "lastObservedAt": "2026-11-02T00:00:00Z",
        "packageVulnerabilityDetails": {
            "cvss": [
                {
                    "baseScore": 7.5,
                    "scoringVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                    "source": "NVD",
                    "version": "3.1",
                }
            ],
            "referenceUrls": [f"https://nvd.nist.gov/vuln/detail/{cve}"],
            "source": "NVD",
            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{cve}",
            "vendorSeverity": "HIGH",
            "vulnerabilityId": cve,
            "vulnerablePackages": [
                {
                    "arch": "aarch64",
                    "name": f"libexample{index % 97}",
                    "packageManager": "OS",
                    "version": "1.2.3",
                    "fixedInVersion": "1.2.4",
                    "release": "1.el9",
                }
            ],
        },
        "remediation": {"recommendation": {"text": "Upgrade the package."}},
        "resources": [
            {
                "id": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{REPOSITORY}/{DIGEST}",
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }
        ],
        "score": 5.0 + (index % 50) / 10,
        "severity": SEVERITY_CYCLE[index % len(SEVERITY_CYCLE)],
        "status": "ACTIVE",
        "title": f"{cve} - libexample",
        "type": "PACKAGE_VULNERABILITY",
        "fixAvailable": "YES",
    }


def build_pages(total: int, pages: int) -> list[dict[str, Any]]:
    size = -(-total // pages)
    result = []
    for start in range(0, total, size):
        page: dict[str, Any] = {
            "registryId": ACCOUNT,
            "repositoryName": REPOSITORY,
            "imageId": {"imageDigest": DIGEST},
            "imageScanStatus": {"status": "ACTIVE", "description": "Continuous scan is selected."},
            "imageScanFindings": {
                "enhancedFindings": [enhanced_finding(i) for i in range(start, min(total, start + size))]
            },
        }
        if start + size < total:
            page["nextToken"] = f"token-{start + size}"
        result.append(page)
    return result


@dataclass
class StubEcr:
    pages: list[dict[str, Any]]

    def get_paginator(self, _name: str) -> StubEcr:
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return self.pages


class StubS3:
    def __init__(self) -> None:
        self.bytes_written = 0

    def put_object(self, *, Body: bytes, **_: Any) -> dict[str, str]:  # boto3's parameter name
        # Every conditional write succeeds: the alert ledger is claimed, so the alert goes out.
        self.bytes_written = len(Body)  # the report is the last write
        return {"ETag": '"stub"'}


class StubSns:
    def __init__(self) -> None:
        self.published = 0

    def publish(self, **_: Any) -> dict[str, str]:
        self.published += 1
        return {"MessageId": "stub"}


def event() -> dict[str, Any]:
    arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{REPOSITORY}"
    return {
        "version": "0",
        "id": "bench",
        "detail-type": "Inspector2 Scan",
        "source": "aws.inspector2",
        "account": ACCOUNT,
        "time": "2026-11-02T00:00:00Z",
        "region": REGION,
        "resources": [arn],
        "detail": {
            "scan-status": "INITIAL_SCAN_COMPLETE",
            "repository-name": arn,
            "image-digest": DIGEST,
            "image-tags": ["1.0.0"],
            "finding-severity-counts": {"CRITICAL": 1000, "HIGH": 2000},
        },
    }


class Context:
    function_name = "scan-findings"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:scan-findings"
    aws_request_id = "benchmark"


def invoke(clients: handler.Clients) -> tuple[dict[str, Any], int]:
    handler.aws_clients = lambda: clients  # type: ignore[method-assign]
    emf = io.StringIO()
    with contextlib.redirect_stdout(emf):  # EMF lines are printed; keep them out of the report
        result = handler.lambda_handler(event(), Context())
    return result, len(emf.getvalue().splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(
        {
            "FINDINGS_BUCKET": "kubeboard-scan-findings-bench",
            "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:image-scan-alerts",
            "MANAGED_REPOSITORIES": REPOSITORY,
            "CRITICAL_THRESHOLD": "1",
            "HIGH_THRESHOLD": "5",
            "POWERTOOLS_METRICS_NAMESPACE": "Kubeboard/ImageScan",
        }
    )

    pages = build_pages(args.findings, args.pages)
    baseline_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_times, wall_times = [], []
    s3, sns = StubS3(), StubSns()
    result: dict[str, Any] = {}
    emf_lines = 0
    for _ in range(args.runs):
        clients = handler.Clients(ecr=StubEcr(pages), s3=s3, sns=sns)
        cpu, wall = time.process_time(), time.perf_counter()
        result, emf_lines = invoke(clients)
        cpu_times.append(time.process_time() - cpu)
        wall_times.append(time.perf_counter() - wall)

    # Peak Python heap during one invocation, measured separately: tracemalloc slows the code it traces.
    tracemalloc.start()
    invoke(handler.Clients(ecr=StubEcr(pages), s3=StubS3(), sns=StubSns()))
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_mb = peak_bytes / 2**20
    cpu_best, cpu_median = min(cpu_times), statistics.median(cpu_times)

    print("scan_findings handler benchmark")
    print("  AWS clients are stubbed in-process (ECR pages pre-built, S3/SNS recorded): no network time")
    print(f"  input:            {args.findings} enhanced findings over {len(pages)} pages, {args.runs} runs")
    report_mb = s3.bytes_written / 2**20
    print(
        f"  outcome:          {result['outcome']}, pages read {result['pages']},"
        f" findings {result['finding_count']}, alerts {sns.published // args.runs} per run,"
        f" EMF records {emf_lines}, report {report_mb:.2f} MB"
    )
    print(
        f"  handler CPU:      median {cpu_median:.3f} s, best {cpu_best:.3f} s"
        f" (target < {CPU_TARGET_S:.0f} s)"
    )
    print(f"  handler wall:     median {statistics.median(wall_times):.3f} s")
    print(
        f"  peak heap:        {peak_mb:.1f} MB during one invocation"
        f" (tracemalloc; target < {MEMORY_TARGET_MB:.0f} MB)"
    )
    print(
        f"  process max RSS:  {peak_rss_mb:.1f} MB (interpreter, boto3 and the pre-built pages included;"
        f" {baseline_rss_mb:.1f} MB before the first run)"
    )
    ok = cpu_median < CPU_TARGET_S and peak_mb < MEMORY_TARGET_MB
    print(f"  verdict:          {'within targets' if ok else 'OVER TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
