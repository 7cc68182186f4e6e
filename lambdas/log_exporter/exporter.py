"""One export run: plan the missing windows, pull each from Loki, write each to S3 once.

Each namespace and window stands alone: a namespace Loki keeps refusing, or an S3 failure on one
window, is recorded and the run goes on with the others; the CLI then exits non-zero. A failed window
stays missing, so the next run backfills it.
"""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from .classify import ErrorRecord, group_errors
from .loki import LokiClient, LokiError
from .retry import Backoff
from .settings import ExporterSettings
from .sink import AlreadyExported, S3Sink
from .windows import Window, candidate_windows, latest_closed_window, object_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    namespace: str
    window_start: str | None
    """None: the namespace's existing exports could not be listed, so none of its windows was tried."""
    reason: str


@dataclass
class ExportResult:
    written: list[str] = field(default_factory=list)
    skipped_existing: int = 0
    lines: int = 0
    """Error records exported (a multi-line trace is one record)."""
    failed: list[Failure] = field(default_factory=list)


def run_export(
    settings: ExporterSettings,
    *,
    s3_client: Any,
    now: datetime | None = None,
    backoff: Backoff | None = None,
) -> ExportResult:
    """Export every missing window of the backfill range for every namespace, oldest first."""
    backoff = backoff or Backoff(
        max_attempts=settings.max_attempts,
        base_seconds=settings.backoff_base_seconds,
        max_seconds=settings.backoff_max_seconds,
    )
    loki = LokiClient(
        settings.loki_url, tenant=settings.tenant, timeout=settings.http_timeout_seconds, backoff=backoff
    )
    sink = S3Sink(s3_client, settings.bucket, settings.prefix, backoff)
    latest = latest_closed_window(now or datetime.now(UTC), settings.window, settings.delay)
    windows = candidate_windows(latest, settings.backfill_windows)
    result = ExportResult()
    for namespace in settings.namespaces:
        try:
            existing = sink.existing_keys(namespace, (w.start for w in windows))
        except (BotoCoreError, ClientError) as exc:
            _record_failure(result, namespace, None, f"S3 list failed: {exc}")
            continue
        for window in windows:
            key = object_key(settings.prefix, namespace, window)
            if key in existing:
                result.skipped_existing += 1
                continue
            try:
                count = _export_window(settings, loki, sink, namespace=namespace, window=window, key=key)
            except LokiError as exc:
                _record_failure(result, namespace, window, str(exc))
                continue
            except (BotoCoreError, ClientError) as exc:
                _record_failure(result, namespace, window, f"S3 write failed: {exc}")
                continue
            if count is None:
                result.skipped_existing += 1
            else:
                result.written.append(key)
                result.lines += count
    return result


def _record_failure(result: ExportResult, namespace: str, window: Window | None, reason: str) -> None:
    start = window.start.isoformat() if window else None
    log.error("namespace %s, window %s: %s", namespace, start or "(all)", reason)
    result.failed.append(Failure(namespace, start, reason))


def _export_window(
    settings: ExporterSettings, loki: LokiClient, sink: S3Sink, *, namespace: str, window: Window, key: str
) -> int | None:
    """Spool the window to a temporary gzip file (memory stays flat) and upload it; None if it existed."""
    with tempfile.TemporaryFile() as spool:
        entries = loki.iter_window(
            settings.logql(namespace), window.start_ns, window.end_ns, settings.page_limit
        )
        errors = group_errors(
            ((entry.stream, entry.ts_ns, entry.line) for entry in entries),
            error_line=settings.classifier_pattern,
        )
        count = _write_jsonl_gz(spool, (_record(error, namespace, settings.app_labels) for error in errors))
        metadata = {
            "namespace": namespace,
            "window-start": window.start.isoformat(),
            "window-end": window.end.isoformat(),
            "lines": str(count),
        }
        try:
            # An empty window is written too: the object records that the window is done.
            sink.put_once(key, spool, metadata)
        except AlreadyExported:
            log.info("s3://%s/%s was written by another run; left as is", settings.bucket, key)
            return None
    log.info("exported %d lines to s3://%s/%s", count, settings.bucket, key)
    return count


def _record(error: ErrorRecord, namespace: str, app_labels: tuple[str, ...]) -> dict[str, Any]:
    labels = dict(error.stream)
    app = next((labels[name] for name in app_labels if labels.get(name)), "unknown")
    return {
        "ts": error.ts_ns,
        "namespace": labels.get("namespace", namespace),
        "app": app,
        "pod": labels.get("pod", ""),
        "container": labels.get("container", ""),
        "line": error.text,
    }


def _write_jsonl_gz(spool: IO[bytes], records: Any) -> int:
    count = 0
    # mtime=0 makes the bytes depend on the content only.
    with gzip.GzipFile(fileobj=spool, mode="wb", compresslevel=6, mtime=0) as gz:
        for record in records:
            gz.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
            count += 1
    return count
