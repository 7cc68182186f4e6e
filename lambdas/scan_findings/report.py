"""The findings report in S3: one object per image, keyed by repository and digest, so a retried or
repeated scan overwrites the same object instead of adding another."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from .events import ScanEvent
from .findings import ScanFindings

REPORT_SCHEMA_VERSION = 1
# Object metadata recording which CRITICAL/HIGH set was already announced for this image.
ALERT_FINGERPRINT_METADATA = "alert-fingerprint"


def report_key(prefix: str, repository: str, image_digest: str) -> str:
    return f"{prefix}{repository}/{image_digest}.json"


def build_report(
    event: ScanEvent, scan: ScanFindings, generated_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "generatedAt": (generated_at or datetime.now(UTC)).isoformat(),
        "scanType": event.scan_type.value,
        "registryId": event.registry_id,
        "repository": event.repository,
        "imageDigest": event.image_digest,
        "imageTags": list(event.image_tags),
        "scanStatus": scan.status,
        "scanCompletedAt": scan.completed_at,
        "severityCounts": scan.counts,
        "reportedSeverityCounts": scan.reported_counts,
        "findingCount": len(scan.findings),
        "findings": scan.findings,
    }


def alert_fingerprint(event: ScanEvent, scan: ScanFindings) -> str:
    """Identifies the set of CRITICAL/HIGH findings of one image: equal sets need one alert, not two."""
    ids = sorted(f["id"] or "" for f in scan.findings if f["severity"] in ("CRITICAL", "HIGH"))
    digest = hashlib.sha256(event.image_digest.encode())
    for finding_id in ids:
        digest.update(b"\0" + finding_id.encode())
    return digest.hexdigest()


def write_report(s3: Any, bucket: str, key: str, report: dict[str, Any], fingerprint: str | None) -> None:
    body = json.dumps(report, separators=(",", ":"), default=str).encode()
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
        Metadata={ALERT_FINGERPRINT_METADATA: fingerprint} if fingerprint else {},
    )
