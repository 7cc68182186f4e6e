"""Read every page of an image's scan findings and reduce them to one compact, uniform record per finding.

Basic scanning returns `findings` (name, uri, severity, attributes); enhanced scanning returns
`enhancedFindings` (Inspector's package-vulnerability shape). Both become the same small dict so the
report, the counts and the notification do not care which scanner produced them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .events import ScanEvent

# Most severe first; the index is the sort rank for "top findings".
SEVERITIES: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED", "UNDEFINED")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_DESCRIPTION_LIMIT = 1000


@dataclass(slots=True)
class ScanFindings:
    status: str
    status_description: str
    completed_at: str | None
    reported_counts: dict[str, int]
    findings: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    pages: int = 0


def _severity(value: Any) -> str:
    severity = value.upper() if isinstance(value, str) else ""
    return severity if severity in _RANK else "UNDEFINED"


def _text(value: Any, limit: int = 256) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _score(value: Any) -> float | None:
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if 0.0 <= score <= 10.0 else None


def _basic(raw: Mapping[str, Any]) -> dict[str, Any]:
    attributes = {
        item.get("key"): item.get("value")
        for item in raw.get("attributes") or ()
        if isinstance(item, Mapping)
    }
    return {
        "id": _text(raw.get("name")),
        "severity": _severity(raw.get("severity")),
        "title": _text(raw.get("name")),
        "description": _text(raw.get("description"), _DESCRIPTION_LIMIT),
        "uri": _text(raw.get("uri"), 2048),
        "package": _text(attributes.get("package_name")),
        "packageVersion": _text(attributes.get("package_version")),
        "fixedInVersion": None,
        "score": _score(attributes.get("CVSS3_SCORE") or attributes.get("CVSS2_SCORE")),
    }


def _enhanced(raw: Mapping[str, Any]) -> dict[str, Any]:
    details = raw.get("packageVulnerabilityDetails")
    details = details if isinstance(details, Mapping) else {}
    packages = details.get("vulnerablePackages")
    package = (
        packages[0] if isinstance(packages, list) and packages and isinstance(packages[0], Mapping) else {}
    )
    return {
        "id": _text(details.get("vulnerabilityId")) or _text(raw.get("findingArn"), 2048),
        "severity": _severity(raw.get("severity")),
        "title": _text(raw.get("title"), 512),
        "description": _text(raw.get("description"), _DESCRIPTION_LIMIT),
        "uri": _text(details.get("sourceUrl"), 2048),
        "package": _text(package.get("name")),
        "packageVersion": _text(package.get("version")),
        "fixedInVersion": _text(package.get("fixedInVersion")),
        "score": _score(raw.get("score")),
    }


def _timestamp(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return _text(value, 64)


def _add(result: ScanFindings, raw_findings: Any, normalise: Any) -> None:
    if not isinstance(raw_findings, list):
        return
    for raw in raw_findings:
        if isinstance(raw, Mapping):
            finding = normalise(raw)
            result.findings.append(finding)
            result.counts[finding["severity"]] += 1


def collect(pages: Iterable[Mapping[str, Any]]) -> ScanFindings:
    """Fold describe_image_scan_findings pages into one ScanFindings (status from the first page)."""
    result: ScanFindings | None = None
    for page in pages:
        body = page.get("imageScanFindings")
        body = body if isinstance(body, Mapping) else {}
        if result is None:
            status = page.get("imageScanStatus")
            status = status if isinstance(status, Mapping) else {}
            reported = body.get("findingSeverityCounts")
            result = ScanFindings(
                status=_text(status.get("status"), 64) or "UNKNOWN",
                status_description=_text(status.get("description"), 512) or "",
                completed_at=_timestamp(body.get("imageScanCompletedAt")),
                reported_counts=dict(reported) if isinstance(reported, Mapping) else {},
            )
        result.pages += 1
        _add(result, body.get("findings"), _basic)
        _add(result, body.get("enhancedFindings"), _enhanced)
    if result is None:
        return ScanFindings(
            status="UNKNOWN", status_description="no page returned", completed_at=None, reported_counts={}
        )
    return result


def fetch(ecr: Any, event: ScanEvent, page_size: int) -> ScanFindings:
    """Read every page for the event's image through the SDK paginator (it follows nextToken)."""
    paginator = ecr.get_paginator("describe_image_scan_findings")
    pages = paginator.paginate(
        registryId=event.registry_id,
        repositoryName=event.repository,
        imageId={"imageDigest": event.image_digest},
        PaginationConfig={"PageSize": page_size},
    )
    return collect(pages)


def top_findings(findings: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The `limit` most severe findings, highest score first within a severity, stable by id."""
    return heapq.nsmallest(
        limit,
        findings,
        key=lambda f: (_RANK[f["severity"]], -(f["score"] or 0.0), f["id"] or ""),
    )
