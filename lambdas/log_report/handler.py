"""Lambda entry point: an S3 object-created event for an error export in, a report (JSON + HTML) out.

Input is classified, never trusted: a malformed event or record, a key outside the export layout, an
object deleted before it was read and a corrupt export are each counted (metric and log) and the rest of
the work goes on. Only faults a retry can cure (S3 unavailable or throttling, a read cut short) and
deployment faults (access denied) are raised, so the invocation is retried and finally dead-lettered.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from .aggregate import aggregate
from .metrics import IgnoredReason, emit_corrupt_export, emit_counts, emit_ignored
from .reader import CorruptExport, iter_line_batches
from .render import render_html
from .report import build_report

logger = Logger(service="log-report")

# <export prefix>/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.jsonl.gz, exactly as the exporter writes them.
_EXPORT_PATH = re.compile(
    r"(?P<namespace>[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)/"
    r"(?P<year>\d{4})/(?P<month>\d\d)/(?P<day>\d\d)/(?P<hh>\d\d)(?P<mm>\d\d)\.jsonl\.gz"
)
# S3 error codes for an object that is gone: nothing a retry could read.
_GONE = frozenset({"NoSuchKey", "404", "NotFound"})
_s3: Any = None


def _client() -> Any:
    global _s3  # noqa: PLW0603 - one client per container, reused across invocations
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


@dataclass(frozen=True, slots=True)
class ExportKey:
    namespace: str
    start: datetime

    def report_keys(self, report_prefix: str) -> tuple[str, str]:
        """`<report prefix>/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.json` and `.html`."""
        base = f"{report_prefix}/{self.namespace}/{self.start:%Y/%m/%d/%H%M}"
        return f"{base}.json", f"{base}.html"


def parse_export_key(key: str, export_prefix: str) -> ExportKey | None:
    """The namespace and window start of an export key; None for any other key."""
    head = f"{export_prefix}/"
    if not key.startswith(head):
        return None
    match = _EXPORT_PATH.fullmatch(key, len(head))
    if match is None:
        return None
    try:
        year, month, day, hour, minute = (int(match[part]) for part in ("year", "month", "day", "hh", "mm"))
        start = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:  # 2026/02/30 or 2460 is no window start
        return None
    return ExportKey(match["namespace"], start)


def report_keys(raw_key: str, report_prefix: str, export_prefix: str = "errors") -> tuple[str, str] | None:
    export = parse_export_key(raw_key, export_prefix)
    return None if export is None else export.report_keys(report_prefix)


@dataclass(frozen=True, slots=True)
class Settings:
    processed_bucket: str
    report_prefix: str
    export_prefix: str
    metrics_namespace: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            processed_bucket=os.environ["PROCESSED_BUCKET"],
            report_prefix=os.environ.get("REPORT_PREFIX", "reports").strip("/"),
            export_prefix=os.environ.get("EXPORT_PREFIX", "errors").strip("/"),
            metrics_namespace=os.environ.get("METRICS_NAMESPACE", "Kubeboard/LogReports"),
        )


def _ignore(settings: Settings, reason: IgnoredReason, **details: Any) -> None:
    logger.warning(f"ignored: {reason.value}", extra={"reason": reason.value, **details})
    emit_ignored(settings.metrics_namespace, reason)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encoded(text: str) -> bytes:
    """UTF-8 of a report; lone surrogates (a JSON "\\ud800" in a log line) become U+FFFD, not a crash."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode()


def process_object(bucket: str, key: str, settings: Settings | None = None) -> dict[str, Any] | None:
    settings = settings or Settings.from_env()
    export = parse_export_key(key, settings.export_prefix)
    if export is None:
        _ignore(settings, IgnoredReason.NOT_AN_EXPORT, bucket=bucket, key=key)
        return None
    s3 = _client()
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) not in _GONE:
            raise
        _ignore(settings, IgnoredReason.OBJECT_GONE, bucket=bucket, key=key)
        return None
    metadata = obj.get("Metadata") or {}
    try:
        agg = aggregate(iter_line_batches(obj["Body"]))  # streamed: the object is never whole in memory
    except CorruptExport as error:
        # No retry can read it: recorded once (metric and its alarm), not raised.
        logger.error("corrupt export", extra={"bucket": bucket, "key": key, "reason": str(error)})
        emit_corrupt_export(settings.metrics_namespace)
        return None
    # The exporter records the window in the object's metadata; the key alone gives its start.
    window = {
        "namespace": export.namespace,
        "start": metadata.get("window-start", export.start.isoformat()),
        "end": metadata.get("window-end", ""),
    }
    report = build_report(agg, bucket=bucket, key=key, window=window, generated_at=datetime.now(UTC))
    json_key, html_key = export.report_keys(settings.report_prefix)
    s3.put_object(
        Bucket=settings.processed_bucket,
        Key=json_key,
        Body=_encoded(json.dumps(report, ensure_ascii=False, indent=1)),
        ContentType="application/json; charset=utf-8",
    )
    s3.put_object(
        Bucket=settings.processed_bucket,
        Key=html_key,
        Body=_encoded(render_html(report)),
        ContentType="text/html; charset=utf-8",
    )
    counts = dict(agg.per_namespace)
    counts.setdefault(export.namespace, 0)
    emit_counts(settings.metrics_namespace, counts, agg.malformed, export.namespace)
    logger.info(
        "report written",
        extra={
            "source": f"s3://{bucket}/{key}",
            "report": f"s3://{settings.processed_bucket}/{json_key}",
            "malformed_reasons": report["malformedReasons"],
            **report["totals"],
        },
    )
    return report["totals"]


def _object_ref(record: Any) -> tuple[str, str] | None:
    """(bucket, key) of an S3 object-created record, or None for anything else."""
    try:
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
    except (KeyError, TypeError):
        return None
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        return None
    return bucket, unquote_plus(key)  # keys arrive URL-encoded


@logger.inject_lambda_context
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001
    settings = Settings.from_env()
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        _ignore(settings, IgnoredReason.MALFORMED_EVENT, detail="no Records list")
        return {"processed": []}
    processed = []
    for record in records:
        if isinstance(record, dict) and not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        ref = _object_ref(record)
        if ref is None:
            _ignore(settings, IgnoredReason.MALFORMED_EVENT, detail="record without an S3 bucket and key")
            continue
        totals = process_object(*ref, settings=settings)
        if totals is not None:
            processed.append({"key": ref[1], **totals})
    return {"processed": processed}
