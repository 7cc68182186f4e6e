"""Entry point: a finished image scan -> metrics, a findings report in S3 and, over the thresholds, an alert.

Every property of the *event* (malformed, failed scan, unknown repository, image or scan gone) ends in a
logged outcome counted in the `ScanEvents` metric, never in an exception. Faults of the *deployment* or of
AWS (bad environment, throttling, access denied) are raised on purpose: the asynchronous invocation is then
retried and finally parked in the dead-letter queue, so the scan result is not lost.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from . import alert_ledger, findings, metrics, notify, report
from .config import Config, load_config
from .events import MalformedEvent, ScanEvent, ScanType, parse_event

logger = Logger(service="scan-findings")

# Statuses in the event that mean "findings are ready", per event kind.
_COMPLETE_EVENT_STATUS = {ScanType.BASIC: "COMPLETE", ScanType.ENHANCED: "INITIAL_SCAN_COMPLETE"}
# DescribeImageScanFindings statuses that mean the scan will not produce findings.
_FAILED_SCAN_STATUSES = frozenset(
    {"FAILED", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED", "FINDINGS_UNAVAILABLE", "LIMIT_EXCEEDED"}
)
_PENDING_SCAN_STATUSES = frozenset({"IN_PROGRESS", "PENDING"})


class Outcome(StrEnum):
    PROCESSED = "processed"
    MALFORMED_EVENT = "malformed_event"
    SCAN_FAILED = "scan_failed"
    SCAN_NOT_COMPLETE = "scan_not_complete"
    UNKNOWN_REPOSITORY = "unknown_repository"
    IMAGE_NOT_FOUND = "image_not_found"
    SCAN_NOT_FOUND = "scan_not_found"
    FOREIGN_REPOSITORY = "foreign_repository"


# ECR error codes that describe the event's image, not a fault worth retrying.
_CLIENT_ERROR_OUTCOMES = {
    "RepositoryNotFoundException": Outcome.UNKNOWN_REPOSITORY,
    "ImageNotFoundException": Outcome.IMAGE_NOT_FOUND,
    "ScanNotFoundException": Outcome.SCAN_NOT_FOUND,
    # ECR refuses a digest or tag it cannot parse; no retry changes the event.
    "InvalidParameterException": Outcome.IMAGE_NOT_FOUND,
}
# Longest Lambda timeout: the lease of an alert claim when the invocation's own deadline is unknown.
_MAX_INVOCATION_SECONDS = 900


@dataclass(frozen=True, slots=True)
class Home:
    """Where this function runs: only repositories of this account and region are read."""

    region: str
    account: str
    deadline: float
    """Epoch seconds after which this invocation can no longer be running."""

    @classmethod
    def of(cls, context: Any) -> Home | None:
        parts = str(getattr(context, "invoked_function_arn", "")).split(":")
        if len(parts) < 6 or parts[2] != "lambda":
            return None
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        seconds = remaining() / 1000 if callable(remaining) else _MAX_INVOCATION_SECONDS
        return cls(region=parts[3], account=parts[4], deadline=time.time() + seconds)


@dataclass(frozen=True, slots=True)
class Clients:
    ecr: Any
    s3: Any
    sns: Any


@functools.cache
def aws_clients() -> Clients:
    """Created once per execution environment and reused by warm invocations."""
    retries = BotoConfig(retries={"mode": "standard", "max_attempts": 5})
    return Clients(
        ecr=boto3.client("ecr", config=retries),
        s3=boto3.client("s3", config=retries),
        sns=boto3.client("sns", config=retries),
    )


def _finish(config: Config, outcome: Outcome, level: str = "info", **details: Any) -> dict[str, Any]:
    getattr(logger, level)(
        f"scan event outcome: {outcome.value}", extra={"outcome": outcome.value, **details}
    )
    metrics.emit_count(
        config.metrics_namespace, metrics.METRIC_SCAN_EVENTS, {metrics.DIMENSION_OUTCOME: outcome}
    )
    return {"outcome": outcome.value, **details}


def _alert_if_needed(
    config: Config,
    clients: Clients,
    event: ScanEvent,
    scan: findings.ScanFindings,
    key: str,
    *,
    deadline: float,
) -> tuple[str | None, str]:
    """Return (fingerprint of the alerted set, what happened to the alert)."""
    if not notify.should_alert(scan.counts, config.critical_threshold, config.high_threshold):
        return None, "below_thresholds"
    fingerprint = report.alert_fingerprint(event, scan)
    entry = alert_ledger.Entry(
        config.findings_bucket,
        alert_ledger.ledger_key(config.findings_prefix, event.repository, event.image_digest, fingerprint),
    )
    claim, held = alert_ledger.claim(clients.s3, entry, deadline)
    if held is None:
        logger.info("alert not sent by this delivery", extra={"alert": claim.value, "ledger": entry.key})
        return fingerprint, claim.value
    top = findings.top_findings(scan.findings, config.top_findings)
    message = notify.body(event, scan, top, f"s3://{config.findings_bucket}/{key}")
    try:
        message_id = notify.publish(clients.sns, config.alert_topic_arn, event, scan, message)
    except Exception:
        alert_ledger.release(clients.s3, held)
        raise
    alert_ledger.mark_sent(clients.s3, held, message_id)
    metrics.emit_count(
        config.metrics_namespace,
        metrics.METRIC_NOTIFICATIONS,
        {metrics.DIMENSION_REPOSITORY: event.repository},
    )
    logger.info("alert published", extra={"message_id": message_id})
    return fingerprint, "sent"


def process(raw_event: Any, config: Config, clients: Clients, home: Home | None = None) -> dict[str, Any]:
    """Handle one EventBridge event; returns the outcome and what was done."""
    try:
        event = parse_event(raw_event)
    except MalformedEvent as error:
        return _finish(config, Outcome.MALFORMED_EVENT, "warning", reason=str(error))
    logger.append_keys(
        repository=event.repository, image_digest=event.image_digest, scan_type=event.scan_type
    )
    if event.ignored_tags:
        logger.warning("image tags outside ECR's grammar ignored", extra={"ignored_tags": event.ignored_tags})
    if event.scan_status == "FAILED":
        return _finish(config, Outcome.SCAN_FAILED, "warning", reason="the event reports a failed scan")
    if event.scan_status != _COMPLETE_EVENT_STATUS[event.scan_type]:
        return _finish(config, Outcome.SCAN_NOT_COMPLETE, reason=f"scan status {event.scan_status}")
    if event.repository not in config.managed_repositories:
        return _finish(config, Outcome.UNKNOWN_REPOSITORY, "warning", reason="repository is not managed here")
    if home is not None and (event.registry_id != home.account or event.region not in (None, home.region)):
        # A repository of the same name elsewhere is not ours: reading ours instead would report wrongly.
        return _finish(
            config,
            Outcome.FOREIGN_REPOSITORY,
            "warning",
            reason=f"repository in account {event.registry_id}, region {event.region}",
        )

    try:
        scan = findings.fetch(clients.ecr, event, config.page_size)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code not in _CLIENT_ERROR_OUTCOMES:
            raise  # throttling, access denied, service errors: let Lambda retry, then the DLQ keep it
        return _finish(config, _CLIENT_ERROR_OUTCOMES[code], "warning", reason=code)
    if scan.status in _FAILED_SCAN_STATUSES:
        return _finish(
            config, Outcome.SCAN_FAILED, "warning", reason=f"{scan.status}: {scan.status_description}"
        )
    if scan.status in _PENDING_SCAN_STATUSES:
        return _finish(config, Outcome.SCAN_NOT_COMPLETE, reason=f"scan status {scan.status}")

    metrics.emit_findings(config.metrics_namespace, event.repository, scan.counts)
    key = report.report_key(config.findings_prefix, event.repository, event.image_digest)
    deadline = home.deadline if home else time.time() + _MAX_INVOCATION_SECONDS
    fingerprint, alert = _alert_if_needed(config, clients, event, scan, key, deadline=deadline)
    # Written after the alert: a failure here is retried, and the ledger keeps the retry from mailing again.
    report.write_report(
        clients.s3, config.findings_bucket, key, report.build_report(event, scan), fingerprint
    )
    return _finish(
        config,
        Outcome.PROCESSED,
        report_key=key,
        pages=scan.pages,
        finding_count=len(scan.findings),
        severity_counts=scan.counts,
        alerted=alert == "sent",
        alert=alert,
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process(event, load_config(), aws_clients(), Home.of(context))
