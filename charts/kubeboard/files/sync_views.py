"""Kubeboard views sync: the error-log reports and image-scan findings, from S3 to the front page.

The log-report Lambda writes ``reports/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.json`` and ``.html`` to
the processed bucket; the scan Lambda writes ``scan-findings/<repository>/<digest>.json`` to the
findings bucket (account stack). This job copies the most recent of them onto the shared volume the
front page serves, with one small index per view, so the browser never talks to S3 and the web pods
hold no AWS identity. Its IRSA role may only list and read those two prefixes.

Everything read is data, never markup: the indexes carry plain strings (cut to a bounded length) and
numbers; the page writes them with textContent; a report's HTML is served with a sandboxing CSP.

Runs in the log-exporter image (Python and boto3); reads its configuration from the environment:
  VIEWS_DIR         where the views live (default /data/views)
  AWS_REGION        the buckets' region
  REPORTS_BUCKET    the processed bucket of the error-log reports ("" leaves that view empty)
  REPORTS_PREFIX    default reports/
  FINDINGS_BUCKET   the image-scan findings bucket ("" leaves that view empty)
  FINDINGS_PREFIX   default scan-findings/
  MAX_REPORTS       the most recent report windows kept (default 1000)
  MAX_IMAGES        the most recently scanned images kept (default 500)
  TOP_FINDINGS      findings listed per image (default 10)
  MAX_OBJECT_BYTES  larger objects are skipped (default 16 MiB)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # in the image; the tests load this file with botocore installed too
    from botocore.exceptions import BotoCoreError, ClientError

    _READ_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover
    _READ_ERRORS = ()

SCHEMA_VERSION = 1
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED", "UNDEFINED")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
TEXT_LIMIT = 300
LONG_TEXT_LIMIT = 1000
TOP_SIGNATURES = 3
STATE_FILE = ".state.json"

# Exactly the layouts the two Lambdas write (lambdas/log_report/handler.py, lambdas/scan_findings/report.py).
_REPORT_KEY = re.compile(
    r"(?P<namespace>[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)/"
    r"(?P<year>\d{4})/(?P<month>\d\d)/(?P<day>\d\d)/(?P<hhmm>\d{4})\.(?P<kind>json|html)"
)
# The alert ledger beside the reports (<repository>/<digest>.alerts/<fingerprint>.json) never matches.
_FINDINGS_KEY = re.compile(
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)/(?P<digest>sha256:[0-9a-f]{64})\.json"
)
_URL = re.compile(r"^https?://[^\s\"'<>\\]{1,2040}$")


class SyncError(Exception):
    """A failure worth one clear line in the job's log."""


@dataclass(frozen=True)
class Config:
    views_dir: Path
    reports_bucket: str
    reports_prefix: str
    findings_bucket: str
    findings_prefix: str
    max_reports: int
    max_images: int
    top_findings: int
    max_object_bytes: int

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)

        def number(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip() or str(default)
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise SyncError(f"{name} must be an integer from {low} to {high}, got {raw!r}")
            return int(raw)

        def prefix(name: str, default: str) -> str:
            value = env.get(name, default).strip().strip("/")
            return f"{value}/" if value else ""

        return cls(
            views_dir=Path(env.get("VIEWS_DIR", "/data/views")),
            reports_bucket=env.get("REPORTS_BUCKET", "").strip(),
            reports_prefix=prefix("REPORTS_PREFIX", "reports/"),
            findings_bucket=env.get("FINDINGS_BUCKET", "").strip(),
            findings_prefix=prefix("FINDINGS_PREFIX", "scan-findings/"),
            max_reports=number("MAX_REPORTS", 1000, 1, 20000),
            max_images=number("MAX_IMAGES", 500, 1, 10000),
            top_findings=number("TOP_FINDINGS", 10, 0, 50),
            max_object_bytes=number("MAX_OBJECT_BYTES", 16 * 2**20, 1024, 256 * 2**20),
        )


# --- plain values out of untrusted JSON ------------------------------------------------------------


def text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A string for the page: non-strings become "", control characters spaces, cut to `limit`."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(" " if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) < 0xA0 else c for c in value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\u2026"


def count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 10.0 else None


def url(value: Any) -> str:
    """Only http(s) links reach the page (never javascript: or data:)."""
    return value if isinstance(value, str) and _URL.match(value) else ""


# --- the two summaries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportWindow:
    """One report window in S3: its JSON and HTML objects."""

    namespace: str
    start: str
    """``YYYY/MM/DD/HHMM`` from the key (UTC)."""
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``json`` / ``html`` -> the listing entry (Key, ETag, Size, LastModified)."""

    @property
    def path(self) -> str:
        return f"{self.namespace}/{self.start}"

    @property
    def start_iso(self) -> str:
        year, month, day, hhmm = self.start.split("/")
        return f"{year}-{month}-{day}T{hhmm[:2]}:{hhmm[2:]}:00Z"


def report_summary(window: ReportWindow, report: Any) -> dict[str, Any]:
    """What the reports view lists for one window (the key decides namespace and start)."""
    report = report if isinstance(report, dict) else {}
    totals = report.get("totals") if isinstance(report.get("totals"), dict) else {}
    groups = report.get("groups") if isinstance(report.get("groups"), list) else []
    window_info = report.get("window") if isinstance(report.get("window"), dict) else {}
    top = [
        {
            "signature": text(group.get("signature")),
            "app": text(group.get("app"), 128),
            "count": count(group.get("count")),
        }
        for group in groups[:TOP_SIGNATURES]
        if isinstance(group, dict)
    ]
    return {
        "namespace": window.namespace,
        "start": window.start_iso,
        "end": text(window_info.get("end"), 40),
        "generatedAt": text(report.get("generatedAt"), 40),
        "errors": count(totals.get("errors")),
        "lines": count(totals.get("lines")),
        "groups": count(totals.get("groups")),
        "malformed": count(totals.get("malformed")),
        "top": top,
        "html": f"files/{window.path}.html" if "html" in window.objects else "",
        "json": f"files/{window.path}.json",
    }


def namespace_summaries(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per namespace: its latest window and that window's errors, and the listed windows' total."""
    by_namespace: dict[str, dict[str, Any]] = {}
    for report in reports:  # newest first
        entry = by_namespace.setdefault(
            report["namespace"],
            {
                "namespace": report["namespace"],
                "latestStart": report["start"],
                "latestErrors": report["errors"],
                "reports": 0,
                "errors": 0,
            },
        )
        entry["reports"] += 1
        entry["errors"] += report["errors"]
    return sorted(by_namespace.values(), key=lambda n: n["namespace"])


def _finding(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    severity = raw.get("severity") if raw.get("severity") in _RANK else "UNDEFINED"
    return {
        "id": text(raw.get("id"), 128),
        "severity": severity,
        "title": text(raw.get("title"), LONG_TEXT_LIMIT),
        "package": text(raw.get("package"), 256),
        "packageVersion": text(raw.get("packageVersion"), 128),
        "fixedInVersion": text(raw.get("fixedInVersion"), 128),
        "score": score(raw.get("score")),
        "uri": url(raw.get("uri")),
    }


def top_findings(findings: Any, limit: int) -> list[dict[str, Any]]:
    """The `limit` most severe findings, highest score first within a severity (as the alert mail)."""
    cleaned = [f for f in map(_finding, findings if isinstance(findings, list) else []) if f]
    cleaned.sort(key=lambda f: (_RANK[f["severity"]], -(f["score"] or 0.0), f["id"]))
    return cleaned[:limit]


def image_summary(repository: str, digest: str, report: Any, top: int) -> dict[str, Any]:
    """What the image view lists for one image (the key decides repository and digest)."""
    report = report if isinstance(report, dict) else {}
    raw_counts = report.get("severityCounts") if isinstance(report.get("severityCounts"), dict) else {}
    tags = report.get("imageTags") if isinstance(report.get("imageTags"), list) else []
    return {
        "repository": repository,
        "digest": digest,
        "tags": [text(tag, 128) for tag in tags[:20] if isinstance(tag, str)],
        "scanType": text(report.get("scanType"), 32),
        "status": text(report.get("scanStatus"), 64),
        "completedAt": text(report.get("scanCompletedAt"), 40) or text(report.get("generatedAt"), 40),
        "counts": {severity: count(raw_counts.get(severity)) for severity in SEVERITIES},
        "findingCount": count(report.get("findingCount")),
        "top": top_findings(report.get("findings"), top),
        "json": f"files/{repository}/{digest.replace(':', '-')}.json",
    }


def repository_summaries(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_repository: dict[str, dict[str, Any]] = {}
    for image in images:
        entry = by_repository.setdefault(
            image["repository"],
            {"repository": image["repository"], "images": 0, "counts": dict.fromkeys(SEVERITIES, 0)},
        )
        entry["images"] += 1
        for severity, value in image["counts"].items():
            entry["counts"][severity] += value
    return sorted(by_repository.values(), key=lambda r: r["repository"])


# --- files ----------------------------------------------------------------------------------------


def write_atomically(path: Path, body: bytes) -> None:
    """Readers (nginx, over NFS) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sync-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, document: Any) -> None:
    write_atomically(path, json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())


def prune(root: Path, keep: set[Path]) -> int:
    """Delete every file under `root` not in `keep` (windows and images that left the selection)."""
    removed = 0
    if not root.exists():
        return 0
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


# --- S3 -------------------------------------------------------------------------------------------


def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents") or ()


def read_object(s3: Any, bucket: str, key: str, limit: int) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        data: bytes = body.read(limit + 1)
    finally:
        body.close()
    if len(data) > limit:
        raise SyncError(f"s3://{bucket}/{key} is larger than {limit} bytes; skipped")
    return data


@dataclass
class Outcome:
    listed: int = 0
    fetched: int = 0
    reused: int = 0
    skipped: list[str] = field(default_factory=list)
    removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "listed": self.listed,
            "fetched": self.fetched,
            "reused": self.reused,
            "skipped": len(self.skipped),
            "removed": self.removed,
        }


class Syncer:
    """One run: both views, each from its bucket, reusing what an earlier run already copied."""

    def __init__(self, s3: Any, config: Config, now: dt.datetime | None = None) -> None:
        self.s3 = s3
        self.config = config
        self.now = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
        state_path = config.views_dir / STATE_FILE
        try:
            self.state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}
        self.next_state: dict[str, Any] = {}

    def _copy(self, bucket: str, entry: dict[str, Any], target: Path, outcome: Outcome) -> bytes | None:
        """The object's bytes, fetched only when its ETag changed; None when it cannot be read."""
        key, etag = entry["Key"], entry.get("ETag", "")
        state_key = f"{bucket}/{key}"
        known = self.state.get(state_key)
        if isinstance(known, dict) and known.get("etag") == etag and etag and target.exists():
            self.next_state[state_key] = known
            outcome.reused += 1
            return None
        if count(entry.get("Size")) > self.config.max_object_bytes:
            outcome.skipped.append(f"{key}: {entry.get('Size')} bytes, over MAX_OBJECT_BYTES")
            return None
        try:
            data = read_object(self.s3, bucket, key, self.config.max_object_bytes)
        except SyncError as error:
            outcome.skipped.append(str(error))
            return None
        except _READ_ERRORS as error:  # deleted since the listing, or unreadable: keep the rest going
            outcome.skipped.append(f"{key}: {type(error).__name__}: {error}")
            return None
        write_atomically(target, data)
        self.next_state[state_key] = {"etag": etag}
        outcome.fetched += 1
        return data

    def _summary(self, bucket: str, key: str, data: bytes | None, build: Any) -> dict[str, Any] | None:
        state_key = f"{bucket}/{key}"
        if data is None:
            known = self.next_state.get(state_key)
            return known.get("summary") if isinstance(known, dict) else None
        try:
            document = json.loads(data)
        except ValueError:
            document = None
        summary: dict[str, Any] = build(document)
        self.next_state[state_key]["summary"] = summary
        return summary

    def sync_reports(self) -> Outcome:
        config, outcome = self.config, Outcome()
        root = config.views_dir / "reports"
        windows: dict[tuple[str, str], ReportWindow] = {}
        if config.reports_bucket:
            head = config.reports_prefix
            for entry in list_objects(self.s3, config.reports_bucket, head):
                match = (
                    _REPORT_KEY.fullmatch(entry["Key"], len(head)) if entry["Key"].startswith(head) else None
                )
                if match is None:
                    continue
                outcome.listed += 1
                start = f"{match['year']}/{match['month']}/{match['day']}/{match['hhmm']}"
                window = windows.setdefault(
                    (match["namespace"], start), ReportWindow(match["namespace"], start)
                )
                window.objects[match["kind"]] = entry
        ordered = sorted(
            (w for w in windows.values() if "json" in w.objects),
            key=lambda w: (w.start, w.namespace),
            reverse=True,
        )
        selected = ordered[: config.max_reports]
        keep: set[Path] = set()
        reports = []
        for window in selected:
            html, document = (root / "files" / f"{window.path}.{kind}" for kind in ("html", "json"))
            if "html" in window.objects:
                self._copy(config.reports_bucket, window.objects["html"], html, outcome)
            data = self._copy(config.reports_bucket, window.objects["json"], document, outcome)
            summary = self._summary(
                config.reports_bucket,
                window.objects["json"]["Key"],
                data,
                lambda parsed, w=window: report_summary(w, parsed),
            )
            keep.update(path for path in (html, document) if path.exists())
            if summary is not None and document.exists():
                reports.append(summary if html.exists() else {**summary, "html": ""})
        keep.add(root / "index.json")
        write_json(
            root / "index.json",
            {
                "schemaVersion": SCHEMA_VERSION,
                "generatedAt": self.now,
                "configured": bool(config.reports_bucket),
                "windowsInBucket": len(ordered),
                "reports": reports,
                "namespaces": namespace_summaries(reports),
            },
        )
        outcome.removed = prune(root, keep)
        return outcome

    def sync_images(self) -> Outcome:
        config, outcome = self.config, Outcome()
        root = config.views_dir / "images"
        found: list[tuple[str, str, dict[str, Any]]] = []
        if config.findings_bucket:
            head = config.findings_prefix
            for entry in list_objects(self.s3, config.findings_bucket, head):
                match = (
                    _FINDINGS_KEY.fullmatch(entry["Key"], len(head))
                    if entry["Key"].startswith(head)
                    else None
                )
                if match is None:
                    continue
                outcome.listed += 1
                found.append((match["repository"], match["digest"], entry))
        # The most recently scanned images (a rescan rewrites the object).
        found.sort(key=lambda item: (str(item[2].get("LastModified", "")), item[1]), reverse=True)
        keep: set[Path] = set()
        images = []
        for repository, digest, entry in found[: config.max_images]:
            target = root / "files" / repository / f"{digest.replace(':', '-')}.json"
            data = self._copy(config.findings_bucket, entry, target, outcome)
            summary = self._summary(
                config.findings_bucket,
                entry["Key"],
                data,
                lambda document, r=repository, d=digest: image_summary(r, d, document, config.top_findings),
            )
            if summary is not None and target.exists():
                keep.add(target)
                images.append(summary)
        keep.add(root / "index.json")
        write_json(
            root / "index.json",
            {
                "schemaVersion": SCHEMA_VERSION,
                "generatedAt": self.now,
                "configured": bool(config.findings_bucket),
                "imagesInBucket": len(found),
                "images": images,
                "repositories": repository_summaries(images),
            },
        )
        outcome.removed = prune(root, keep)
        return outcome

    def run(self) -> dict[str, Any]:
        reports = self.sync_reports()
        images = self.sync_images()
        write_json(self.config.views_dir / STATE_FILE, self.next_state)
        return {
            "reports": reports.as_dict(),
            "images": images.as_dict(),
            "skipped": reports.skipped + images.skipped,
        }


def main() -> int:
    try:
        import boto3

        config = Config.from_env()
        s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION") or None)
        summary = Syncer(s3, config).run()
    except SyncError as error:
        print(f"kubeboard-views: {error}", file=sys.stderr)
        return 1
    except (*_READ_ERRORS, OSError) as error:
        # Listing failed (no access, no network): the previous copy stays served as it was.
        print(f"kubeboard-views: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for problem in summary["skipped"]:
        print(f"kubeboard-views: skipped {problem}", file=sys.stderr)
    print(f"kubeboard-views: {json.dumps({k: summary[k] for k in ('reports', 'images')}, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
