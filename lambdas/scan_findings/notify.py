"""The e-mail-friendly SNS notification for an image whose CRITICAL/HIGH counts reach the thresholds."""

from __future__ import annotations

from typing import Any

from .events import ScanEvent
from .findings import ScanFindings

_SUBJECT_LIMIT = 100  # SNS rejects longer subjects


def should_alert(counts: dict[str, int], critical_threshold: int, high_threshold: int) -> bool:
    return counts.get("CRITICAL", 0) >= critical_threshold or counts.get("HIGH", 0) >= high_threshold


def subject(event: ScanEvent, counts: dict[str, int]) -> str:
    critical, high = counts.get("CRITICAL", 0), counts.get("HIGH", 0)
    text = f"Image scan: {critical} CRITICAL, {high} HIGH in {event.repository}"
    # SNS subjects must be printable ASCII on one line; repository names already are.
    return text if len(text) <= _SUBJECT_LIMIT else text[: _SUBJECT_LIMIT - 3] + "..."


def body(event: ScanEvent, scan: ScanFindings, top: list[dict[str, Any]], report_uri: str) -> str:
    counts = ", ".join(f"{severity} {count}" for severity, count in scan.counts.items() if count)
    lines = [
        f"Repository:  {event.repository} (registry {event.registry_id})",
        f"Image tags:  {', '.join(event.image_tags) or '(untagged)'}",
        f"Digest:      {event.image_digest}",
        f"Scan:        {event.scan_type.value}, {scan.status}, completed {scan.completed_at or 'unknown'}",
        f"Counts:      {counts or 'none'}",
        f"Report:      {report_uri}",
        "",
        f"Top {len(top)} findings:" if top else "No individual findings were returned.",
    ]
    for finding in top:
        package = " ".join(p for p in (finding["package"], finding["packageVersion"]) if p)
        fixed = f", fixed in {finding['fixedInVersion']}" if finding["fixedInVersion"] else ""
        score = f" score {finding['score']:g}" if finding["score"] is not None else ""
        lines.append(
            f"- [{finding['severity']}{score}] {finding['id'] or 'unnamed'} {package}{fixed}".rstrip()
        )
        if finding["uri"]:
            lines.append(f"  {finding['uri']}")
    return "\n".join(lines)


def publish(sns: Any, topic_arn: str, event: ScanEvent, scan: ScanFindings, message: str) -> str:
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject(event, scan.counts),
        Message=message,
        # Attributes let subscribers filter (e.g. CRITICAL only) without parsing the text.
        MessageAttributes={
            "repository": {"DataType": "String", "StringValue": event.repository},
            "critical": {"DataType": "Number", "StringValue": str(scan.counts.get("CRITICAL", 0))},
            "high": {"DataType": "Number", "StringValue": str(scan.counts.get("HIGH", 0))},
        },
    )
    return str(response.get("MessageId", ""))
