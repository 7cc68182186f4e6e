"""Lambda entry point: an S3 object-created event for an error export in, a report (JSON + HTML) out."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from .aggregate import aggregate
from .metrics import emit_counts
from .reader import iter_line_batches
from .render import render_html
from .report import build_report

logger = Logger(service="log-report")

# <raw prefix>/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.jsonl.gz, as the exporter writes them
_EXPORT_KEY = re.compile(
    r"^(?:.+/)?(?P<namespace>[a-z0-9][-a-z0-9]*)/(?P<day>\d{4}/\d\d/\d\d)/(?P<hh>\d\d)(?P<mm>\d\d)\.jsonl\.gz$"
)
_s3: Any = None


def _client() -> Any:
    global _s3  # noqa: PLW0603 - one client per container, reused across invocations
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def report_keys(raw_key: str, report_prefix: str) -> tuple[str, str] | None:
    """`<report prefix>/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.json` and `.html` for an export key."""
    match = _EXPORT_KEY.match(raw_key)
    if not match:
        return None
    base = f"{report_prefix}/{match['namespace']}/{match['day']}/{match['hh']}{match['mm']}"
    return f"{base}.json", f"{base}.html"


def process_object(bucket: str, key: str) -> dict[str, Any] | None:
    processed_bucket = os.environ["PROCESSED_BUCKET"]
    report_prefix = os.environ.get("REPORT_PREFIX", "reports").strip("/")
    metrics_namespace = os.environ.get("METRICS_NAMESPACE", "Kubeboard/LogReports")
    targets = report_keys(key, report_prefix)
    match = _EXPORT_KEY.match(key)
    if targets is None or match is None:
        logger.warning("ignored: not an error export key", extra={"bucket": bucket, "key": key})
        return None
    s3 = _client()
    obj = s3.get_object(Bucket=bucket, Key=key)
    metadata = obj.get("Metadata") or {}
    agg = aggregate(iter_line_batches(obj["Body"]))  # streamed: the object is never whole in memory
    namespace = match["namespace"]
    # The exporter records the window in the object's metadata; the key alone gives its start.
    start = f"{match['day'].replace('/', '-')}T{match['hh']}:{match['mm']}:00+00:00"
    window = {
        "namespace": namespace,
        "start": metadata.get("window-start", start),
        "end": metadata.get("window-end", ""),
    }
    report = build_report(agg, bucket=bucket, key=key, window=window, generated_at=datetime.now(UTC))
    json_key, html_key = targets
    s3.put_object(
        Bucket=processed_bucket,
        Key=json_key,
        Body=json.dumps(report, ensure_ascii=False, indent=1).encode(),
        ContentType="application/json; charset=utf-8",
    )
    s3.put_object(
        Bucket=processed_bucket,
        Key=html_key,
        Body=render_html(report).encode(),
        ContentType="text/html; charset=utf-8",
    )
    counts = dict(agg.per_namespace)
    counts.setdefault(namespace, 0)
    emit_counts(metrics_namespace, counts, agg.malformed, namespace)
    logger.info(
        "report written",
        extra={
            "source": f"s3://{bucket}/{key}",
            "report": f"s3://{processed_bucket}/{json_key}",
            **report["totals"],
        },
    )
    return report["totals"]


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001
    processed = []
    for record in event.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
        totals = process_object(bucket, key)
        if totals is not None:
            processed.append({"key": key, **totals})
    return {"processed": processed}
