"""Command line: `python -m lambdas.log_exporter [--dry-run]`; settings come from the environment."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from .exporter import run_export
from .settings import ExporterSettings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kubeboard-log-exporter",
        description="Export Loki error lines of closed 10-minute windows to S3, one object per namespace.",
        epilog="Settings: LOKI_URL, EXPORT_BUCKET, EXPORT_NAMESPACES (required); EXPORT_PREFIX, LOKI_TENANT, "
        "WINDOW_MINUTES, DELAY_MINUTES, BACKFILL_WINDOWS, PAGE_LIMIT, LINE_FILTER, APP_LABELS, "
        "EXTRA_SELECTOR, MAX_ATTEMPTS, BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, HTTP_TIMEOUT_SECONDS.",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    try:
        settings = ExporterSettings.from_env()
    except SettingsError as exc:
        print(f"log-exporter: configuration error: {exc}", file=sys.stderr)
        return 2

    import boto3  # imported late so `--help` and configuration errors need no AWS SDK set-up
    from botocore.config import Config

    # Retries are ours (retry.py), so botocore makes a single attempt per call.
    s3 = boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 1}))
    result = run_export(settings, s3_client=s3)
    summary = {
        "written": len(result.written),
        "skippedExisting": result.skipped_existing,
        "lines": result.lines,
        "failed": [
            {"namespace": f.namespace, "windowStart": f.window_start, "reason": f.reason[:500]}
            for f in result.failed
        ],
    }
    print(json.dumps(summary))
    if result.failed:
        print(
            f"log-exporter: {len(result.failed)} namespace windows failed; see the summary", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
