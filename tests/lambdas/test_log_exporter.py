"""The log exporter against a local server speaking Loki's `query_range` format, and moto S3."""

from __future__ import annotations

import gzip
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import hypothesis
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from hypothesis import strategies as st
from moto import mock_aws

from lambdas.log_exporter import ExporterSettings, SettingsError, run_export
from lambdas.log_exporter.__main__ import main
from lambdas.log_exporter.classify import LINE_FILTER
from lambdas.log_exporter.retry import Backoff
from lambdas.log_exporter.sink import AlreadyExported, S3Sink
from lambdas.log_exporter.windows import Window, candidate_windows, latest_closed_window, object_key

BUCKET = "raw-error-logs"
NS = 1_000_000_000
MIN = 60 * NS


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ns(text: str) -> int:
    return int(utc(text).timestamp()) * NS


# --------------------------------------------------------------------------- fake Loki


class FakeLoki:
    """Holds log entries and answers /loki/api/v1/query_range as Loki documents it.

    start is inclusive, end exclusive; `limit` caps the entries of the whole answer; with
    direction=forward the oldest entries win; the `|~` filter is applied as a regular expression.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[dict[str, str], int, str]] = []
        self.requests: list[dict[str, str]] = []
        # Faults to answer before behaving: an HTTP status, (status, headers), or "cut" (a body cut short).
        self.fail_next: list[int | tuple[int, dict[str, str]] | str] = []
        self.refused_namespaces: set[str] = set()  # always answered with 500
        self.raw_values: list[list[Any]] | None = None  # answer these values verbatim
        self.lock = threading.Lock()

    def add(self, labels: dict[str, str], ts: int, line: str) -> None:
        self.entries.append((labels, ts, line))

    def answer(self, params: dict[str, str]) -> tuple[int | str, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.requests.append(params)
            if self.fail_next:
                fault = self.fail_next.pop(0)
                if fault == "cut":
                    return "cut", {}, {}
                status, headers = fault if isinstance(fault, tuple) else (fault, {})
                return status, {"status": "error", "error": "injected failure"}, headers
        query = params["query"]
        match = re.fullmatch(r'\{namespace="([^"]+)"\} \|~ `(.*)`', query)
        if not match:
            return 400, {"status": "error", "error": f"parse error: {query}"}, {}
        namespace, pattern = match.group(1), re.compile(match.group(2))
        if namespace in self.refused_namespaces:
            return 500, {"status": "error", "error": "too many outstanding requests"}, {}
        if self.raw_values is not None:
            result = [{"stream": {"namespace": namespace}, "values": self.raw_values}]
            return 200, {"status": "success", "data": {"resultType": "streams", "result": result}}, {}
        start, end, limit = int(params["start"]), int(params["end"]), int(params["limit"])
        backward = params["direction"] == "backward"
        hits = sorted(
            (e for e in self.entries if e[0]["namespace"] == namespace and start <= e[1] < end),
            key=lambda e: e[1],
        )
        if backward:  # the exact reverse of the forward order, ties included
            hits.reverse()
        hits = [e for e in hits if pattern.search(e[2])][:limit]
        streams: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        for labels, ts, line in hits:
            key = tuple(sorted(labels.items()))
            streams.setdefault(key, {"stream": labels, "values": []})["values"].append([str(ts), line])
        body = {"status": "success", "data": {"resultType": "streams", "result": list(streams.values())}}
        return 200, body, {}

    def range_requests(self) -> list[dict[str, str]]:
        return [r for r in self.requests if "query" in r]


@pytest.fixture
def loki() -> Iterator[tuple[FakeLoki, str]]:
    fake = FakeLoki()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/loki/api/v1/query_range":
                self.send_error(404)
                return
            params = dict(urllib.parse.parse_qsl(url.query))
            status, body, headers = fake.answer(params)
            payload = json.dumps(body).encode()
            if status == "cut":  # promise more than is sent, then close: the client sees IncompleteRead
                payload = b'{"status": "success", "data": {"resultTy'
                self.send_response(200)
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True
                return
            self.send_response(int(status))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-2",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="ap-northeast-2")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
        )
        yield client


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def no_jitter_backoff(max_attempts: int = 4) -> tuple[Backoff, Sleeps]:
    sleeps = Sleeps()

    class Upper:
        @staticmethod
        def uniform(_low: float, high: float) -> float:
            return high

    backoff = Backoff(max_attempts=max_attempts, base_seconds=0.5, max_seconds=3.0, sleep=sleeps, rng=Upper())  # type: ignore[arg-type]
    return backoff, sleeps


def settings(url: str, **overrides: Any) -> ExporterSettings:
    values: dict[str, Any] = {
        "loki_url": url,
        "bucket": BUCKET,
        "namespaces": ("prod",),
        "backfill_windows": 1,
        "page_limit": 1000,
    }
    values.update(overrides)
    return ExporterSettings(**values)


def read_export(s3: Any, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return [json.loads(line) for line in gzip.decompress(body).splitlines()]


def keys(s3: Any) -> list[str]:
    return sorted(obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


PROD_API = {"namespace": "prod", "app": "api", "pod": "api-7d9f-x2k", "container": "api"}

# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("now", "start"),
    [
        ("2026-11-22 03:27:59", "2026-11-22 03:00"),  # window closed at 03:10, i.e. >= 10 min ago
        ("2026-11-22 03:20:00", "2026-11-22 03:00"),  # exactly 10 minutes after it closed
        ("2026-11-22 03:19:59", "2026-11-22 02:50"),  # 03:10 closed only 9m59s ago: not yet
        ("2026-11-22 00:05:00", "2026-11-21 23:40"),  # across midnight
    ],
)
def test_latest_window_is_aligned_and_closed_ten_minutes_ago(now: str, start: str) -> None:
    window = latest_closed_window(utc(now), timedelta(minutes=10), timedelta(minutes=10))
    assert window == Window(utc(start), utc(start) + timedelta(minutes=10))


def test_window_key_names_namespace_day_and_start() -> None:
    window = Window(utc("2026-11-21 23:50"), utc("2026-11-22 00:00"))
    assert object_key("errors", "prod", window) == "errors/prod/2026/11/21/2350.jsonl.gz"


def test_candidates_are_the_backfill_range_oldest_first() -> None:
    latest = Window(utc("2026-11-22 03:00"), utc("2026-11-22 03:10"))
    starts = [w.start.strftime("%H:%M") for w in candidate_windows(latest, 3)]
    assert starts == ["02:40", "02:50", "03:00"]


# --------------------------------------------------------------------------- exporting


def test_exports_only_error_lines_inside_the_window(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 02:59:59"), "ERROR before the window")
    fake.add(PROD_API, ns("2026-11-22 03:00:00"), "ERROR at the start: included")
    fake.add(PROD_API, ns("2026-11-22 03:04:00"), "INFO all good")
    fake.add({**PROD_API, "app": "worker"}, ns("2026-11-22 03:05:00"), "panic: nil map")
    fake.add(PROD_API, ns("2026-11-22 03:10:00"), "ERROR at the end: next window")
    fake.add({**PROD_API, "namespace": "dev"}, ns("2026-11-22 03:05:00"), "ERROR other namespace")

    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:21"))

    assert result.written == ["errors/prod/2026/11/22/0300.jsonl.gz"]
    records = read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz")
    assert [(r["app"], r["line"]) for r in records] == [
        ("api", "ERROR at the start: included"),
        ("worker", "panic: nil map"),
    ]
    assert records[0] == {
        "ts": ns("2026-11-22 03:00:00"),
        "namespace": "prod",
        "app": "api",
        "pod": "api-7d9f-x2k",
        "container": "api",
        "line": "ERROR at the start: included",
    }
    head = s3.head_object(Bucket=BUCKET, Key="errors/prod/2026/11/22/0300.jsonl.gz")
    assert head["Metadata"]["namespace"] == "prod"
    assert head["Metadata"]["lines"] == "2"


def test_each_namespace_gets_its_own_object_even_when_empty(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR boom")
    run_export(settings(url, namespaces=("prod", "dev")), s3_client=s3, now=utc("2026-11-22 03:21"))
    assert keys(s3) == ["errors/dev/2026/11/22/0300.jsonl.gz", "errors/prod/2026/11/22/0300.jsonl.gz"]
    assert read_export(s3, "errors/dev/2026/11/22/0300.jsonl.gz") == []


def test_a_second_run_rewrites_nothing_and_does_not_query(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR first")
    run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:21"))
    key = "errors/prod/2026/11/22/0300.jsonl.gz"
    before = s3.head_object(Bucket=BUCKET, Key=key)
    queries = len(fake.range_requests())

    fake.add(PROD_API, ns("2026-11-22 03:02:00"), "ERROR arrived later")
    again = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:25"))

    assert again.written == []
    assert again.skipped_existing == 1
    assert len(fake.range_requests()) == queries
    after = s3.head_object(Bucket=BUCKET, Key=key)
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
    assert [r["line"] for r in read_export(s3, key)] == ["ERROR first"]


def test_a_concurrent_writer_cannot_overwrite_an_export(s3: Any) -> None:
    import io

    backoff, _ = no_jitter_backoff()
    sink = S3Sink(s3, BUCKET, "errors", backoff)
    sink.put_once("errors/prod/2026/11/22/0300.jsonl.gz", io.BytesIO(b"first"), {})
    with pytest.raises(AlreadyExported):
        sink.put_once("errors/prod/2026/11/22/0300.jsonl.gz", io.BytesIO(b"second"), {})
    body = s3.get_object(Bucket=BUCKET, Key="errors/prod/2026/11/22/0300.jsonl.gz")["Body"].read()
    assert body == b"first"


def test_backfills_missing_windows_up_to_the_limit_oldest_first(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    for minute in range(0, 60, 5):  # one error every 5 minutes from 02:00 to 02:55
        fake.add(PROD_API, ns(f"2026-11-22 02:{minute:02d}:00"), f"ERROR at 02:{minute:02d}")
    # 02:30 was exported by an earlier run; the job was down since then.
    s3.put_object(Bucket=BUCKET, Key="errors/prod/2026/11/22/0230.jsonl.gz", Body=gzip.compress(b""))

    result = run_export(settings(url, backfill_windows=4), s3_client=s3, now=utc("2026-11-22 03:10"))

    # Latest closed window is 02:50; the limit of 4 reaches back to 02:20 (02:00 and 02:10 are lost).
    assert result.written == [
        "errors/prod/2026/11/22/0220.jsonl.gz",
        "errors/prod/2026/11/22/0240.jsonl.gz",
        "errors/prod/2026/11/22/0250.jsonl.gz",
    ]
    assert result.skipped_existing == 1
    assert [r["line"] for r in read_export(s3, "errors/prod/2026/11/22/0240.jsonl.gz")] == [
        "ERROR at 02:40",
        "ERROR at 02:45",
    ]
    assert read_export(s3, "errors/prod/2026/11/22/0230.jsonl.gz") == []  # left untouched


def test_backfill_across_midnight_checks_both_days(loki: tuple[FakeLoki, str], s3: Any) -> None:
    _, url = loki
    s3.put_object(Bucket=BUCKET, Key="errors/prod/2026/11/21/2350.jsonl.gz", Body=gzip.compress(b""))
    result = run_export(settings(url, backfill_windows=3), s3_client=s3, now=utc("2026-11-22 00:20"))
    assert result.written == [
        "errors/prod/2026/11/21/2340.jsonl.gz",
        "errors/prod/2026/11/22/0000.jsonl.gz",
    ]


def test_pages_by_time_through_results_beyond_the_limit(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    base = ns("2026-11-22 03:00:00")
    expected = []
    # 11 lines, three of them in one nanosecond from two pods: page boundaries fall inside it.
    stamps = [base + i * NS for i in range(4)] + [base + 5 * NS] * 3 + [base + 6 * NS + i for i in range(4)]
    for i, ts in enumerate(stamps):
        labels = {**PROD_API, "pod": f"api-{i % 2}"}
        fake.add(labels, ts, f"ERROR line {i}")
        expected.append(f"ERROR line {i}")

    result = run_export(settings(url, page_limit=3), s3_client=s3, now=utc("2026-11-22 03:20"))

    lines = [r["line"] for r in read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz")]
    assert sorted(lines) == sorted(expected)
    assert len(lines) == len(set(lines)) == result.lines == 11
    requests = [r for r in fake.range_requests() if r["direction"] == "forward"]
    assert len(requests) >= 4
    starts = [int(r["start"]) for r in requests]
    assert starts == sorted(starts)
    assert starts[0] == base
    assert all(r["limit"] == "3" and r["end"] == str(base + 10 * MIN) for r in requests)


def test_retries_loki_5xx_with_growing_backoff(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR survived")
    fake.fail_next = [503, 502, 500]
    backoff, sleeps = no_jitter_backoff(max_attempts=4)

    run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)

    assert sleeps.calls == [0.5, 1.0, 2.0]
    assert len(fake.range_requests()) == 4
    assert [r["line"] for r in read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz")] == ["ERROR survived"]


def test_gives_up_after_the_last_attempt_and_writes_nothing(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.fail_next = [503] * 10
    backoff, sleeps = no_jitter_backoff(max_attempts=3)
    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)
    (failure,) = result.failed
    assert "HTTP 503" in failure.reason
    assert len(sleeps.calls) == 2
    assert keys(s3) == []  # the window stays missing, so the next run backfills it


def test_a_rejected_query_is_not_retried(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.fail_next = [400]
    backoff, sleeps = no_jitter_backoff()
    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)
    (failure,) = result.failed
    assert "HTTP 400" in failure.reason
    assert sleeps.calls == []


@pytest.mark.usefixtures("s3")
def test_retries_s3_5xx(loki: tuple[FakeLoki, str]) -> None:
    _, url = loki
    failures = {"left": 2}

    def flaky(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # A before-call answer short-circuits the request: S3 (moto) never sees the failed attempts.
        if failures["left"]:
            failures["left"] -= 1
            error = {"Code": "ServiceUnavailable", "Message": "Please reduce your request rate."}
            return AWSResponse("https://s3", 503, {}, None), {
                "Error": error,
                "ResponseMetadata": {"HTTPStatusCode": 503},
            }
        return None

    # As the CLI does: botocore makes one attempt, the exporter's backoff does the retrying.
    client = boto3.client("s3", region_name="ap-northeast-2", config=Config(retries={"max_attempts": 1}))
    client.meta.events.register("before-call.s3.PutObject", flaky)
    backoff, sleeps = no_jitter_backoff()
    result = run_export(settings(url), s3_client=client, now=utc("2026-11-22 03:20"), backoff=backoff)
    assert result.written == ["errors/prod/2026/11/22/0300.jsonl.gz"]
    assert sleeps.calls == [0.5, 1.0]
    assert failures["left"] == 0


# --------------------------------------------------------------------------- settings and CLI


def test_settings_from_env_reject_a_bad_namespace() -> None:
    env = {"LOKI_URL": "http://loki:3100", "EXPORT_BUCKET": "b", "EXPORT_NAMESPACES": "prod,Bad_NS"}
    with pytest.raises(SettingsError, match="EXPORT_NAMESPACES: 'Bad_NS'"):
        ExporterSettings.from_env(env)


def test_settings_build_a_namespace_scoped_error_query() -> None:
    env = {"LOKI_URL": "http://loki:3100/", "EXPORT_BUCKET": "b", "EXPORT_NAMESPACES": "prod, dev"}
    parsed = ExporterSettings.from_env(env)
    assert parsed.namespaces == ("prod", "dev")
    assert parsed.loki_url == "http://loki:3100"
    assert parsed.logql("prod") == f'{{namespace="prod"}} |~ `{LINE_FILTER}`'
    assert parsed.classifier_pattern is None  # the built-in classifier decides


def test_cli_reports_a_configuration_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LOKI_URL", raising=False)
    assert main([]) == 2
    assert "configuration error: LOKI_URL: must be set" in capsys.readouterr().err


@pytest.mark.usefixtures("s3")
def test_cli_exports_and_prints_a_summary(
    loki: tuple[FakeLoki, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = loki
    now = datetime.now(UTC)
    latest = latest_closed_window(now, timedelta(minutes=10), timedelta(minutes=10))
    fake.add(PROD_API, latest.start_ns + 5 * NS, "ERROR from the CLI run")
    for name, value in {
        "LOKI_URL": url,
        "EXPORT_BUCKET": BUCKET,
        "EXPORT_NAMESPACES": "prod",
        "BACKFILL_WINDOWS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["--log-level", "WARNING"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["lines"] == 1
    # Two windows (backfill 2); the line's window is among them even if the run crosses a boundary.
    assert summary["written"] == 2
    assert summary["skippedExisting"] == 0


# --------------------------------------------------------------------------- faults


def test_a_namespace_loki_keeps_refusing_does_not_stop_the_others(
    loki: tuple[FakeLoki, str], s3: Any
) -> None:
    fake, url = loki
    fake.refused_namespaces = {"broken"}
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR still exported")
    backoff, _ = no_jitter_backoff(max_attempts=2)

    result = run_export(
        settings(url, namespaces=("broken", "prod"), backfill_windows=2),
        s3_client=s3,
        now=utc("2026-11-22 03:20"),
        backoff=backoff,
    )

    assert keys(s3) == ["errors/prod/2026/11/22/0250.jsonl.gz", "errors/prod/2026/11/22/0300.jsonl.gz"]
    assert [(f.namespace, f.window_start) for f in result.failed] == [
        ("broken", "2026-11-22T02:50:00+00:00"),
        ("broken", "2026-11-22T03:00:00+00:00"),
    ]
    assert all("HTTP 500" in f.reason for f in result.failed)


@pytest.mark.usefixtures("s3")
def test_cli_exits_non_zero_after_exporting_what_it_could(
    loki: tuple[FakeLoki, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = loki
    fake.refused_namespaces = {"broken"}
    for name, value in {
        "LOKI_URL": url,
        "EXPORT_BUCKET": BUCKET,
        "EXPORT_NAMESPACES": "broken,prod",
        "BACKFILL_WINDOWS": "1",
        "MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["--log-level", "ERROR"]) == 1

    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["written"] == 1
    assert [f["namespace"] for f in summary["failed"]] == ["broken"]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [("3", 3.0), ("20", 20.0), ("600", 30.0), ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0)],
)
def test_retry_after_is_honoured_up_to_the_cap(
    loki: tuple[FakeLoki, str], s3: Any, retry_after: str, waited: float
) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR after the wait")
    fake.fail_next = [(429, {"Retry-After": retry_after}), (503, {"Retry-After": retry_after})]
    sleeps = Sleeps()
    backoff = Backoff(max_attempts=3, base_seconds=0.1, max_seconds=30.0, sleep=sleeps)

    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)

    assert sleeps.calls == [waited, waited]
    assert result.failed == []
    assert result.lines == 1


@pytest.mark.parametrize("fault", ["cut", 502])
def test_a_body_cut_short_is_retried_like_any_transport_error(
    loki: tuple[FakeLoki, str], s3: Any, fault: str | int
) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR after the retry")
    fake.fail_next = [fault]
    backoff, sleeps = no_jitter_backoff()

    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)

    assert len(sleeps.calls) == 1
    assert result.lines == 1 and result.failed == []


@pytest.mark.parametrize(
    "values",
    [[["not-a-number", "ERROR x"]], [["1795316460000000000", 42]], [["1795316460000000000"]], ["x"]],
)
def test_a_malformed_loki_answer_is_a_clean_failure(
    loki: tuple[FakeLoki, str], s3: Any, values: list[Any]
) -> None:
    fake, url = loki
    fake.raw_values = values
    backoff, _ = no_jitter_backoff()

    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"), backoff=backoff)

    (failure,) = result.failed
    assert "malformed stream entry" in failure.reason
    assert keys(s3) == []


@pytest.mark.parametrize(("same_nanosecond", "limit"), [(3, 3), (4, 3), (5, 3)])
def test_a_page_limit_of_entries_in_one_nanosecond_is_read_whole_without_a_false_warning(
    loki: tuple[FakeLoki, str], s3: Any, caplog: pytest.LogCaptureFixture, same_nanosecond: int, limit: int
) -> None:
    fake, url = loki
    at = ns("2026-11-22 03:02:00")
    fake.add(PROD_API, at - NS, "ERROR before")
    for i in range(same_nanosecond):
        fake.add({**PROD_API, "pod": f"api-{i}"}, at, f"ERROR burst {i}")

    result = run_export(settings(url, page_limit=limit), s3_client=s3, now=utc("2026-11-22 03:20"))

    lines = sorted(r["line"] for r in read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz"))
    assert lines == sorted(["ERROR before"] + [f"ERROR burst {i}" for i in range(same_nanosecond)])
    assert result.lines == same_nanosecond + 1
    assert "skipped" not in caplog.text


def test_more_than_two_pages_in_one_nanosecond_is_reported(
    loki: tuple[FakeLoki, str], s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = loki
    at = ns("2026-11-22 03:02:00")
    for i in range(7):
        fake.add({**PROD_API, "pod": f"api-{i}"}, at, f"ERROR burst {i}")
    result = run_export(settings(url, page_limit=3), s3_client=s3, now=utc("2026-11-22 03:20"))
    assert result.lines == 6  # the oldest three and the newest three
    assert "may be skipped" in caplog.text


def test_a_stack_trace_logged_line_by_line_is_exported_as_one_error(
    loki: tuple[FakeLoki, str], s3: Any
) -> None:
    fake, url = loki
    at = ns("2026-11-22 03:03:00")
    trace = [
        "2026-11-22 03:03:00.001 ERROR [main] c.e.App - request failed",
        "java.lang.IllegalStateException: session expired",
        "\tat com.example.App.handle(App.java:42)",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        "\t... 3 more",
    ]
    for i, line in enumerate(trace):
        fake.add(PROD_API, at + i * 1000, line)
    fake.add(PROD_API, at + 10 * NS, "2026-11-22 03:03:10.000 INFO [main] c.e.App - recovered, 0 errors")
    fake.add(PROD_API, at + 11 * NS, 'level=info msg="retrying after error"')

    result = run_export(settings(url), s3_client=s3, now=utc("2026-11-22 03:20"))

    (record,) = read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz")
    assert record["line"] == "\n".join(trace)
    assert record["ts"] == at
    assert result.lines == 1


def test_an_own_line_filter_replaces_the_classifier(loki: tuple[FakeLoki, str], s3: Any) -> None:
    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "WARN disk 91% full")
    fake.add(PROD_API, ns("2026-11-22 03:02:00"), "ERROR not asked for")
    run_export(settings(url, line_filter="WARN"), s3_client=s3, now=utc("2026-11-22 03:20"))
    assert [r["line"] for r in read_export(s3, "errors/prod/2026/11/22/0300.jsonl.gz")] == [
        "WARN disk 91% full"
    ]


# --------------------------------------------------------------------------- fuzzing

ENV_NAMES = [
    "LOKI_URL",
    "EXPORT_BUCKET",
    "EXPORT_NAMESPACES",
    "EXPORT_PREFIX",
    "WINDOW_MINUTES",
    "DELAY_MINUTES",
    "BACKFILL_WINDOWS",
    "PAGE_LIMIT",
    "LINE_FILTER",
    "MAX_ATTEMPTS",
    "BACKOFF_MAX_SECONDS",
]
env_values = st.sampled_from(["", "0", "-1", "7", "1e400", "nan", "http://loki:3100", "prod,dev", "(", "`"])


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(st.dictionaries(st.sampled_from(ENV_NAMES), env_values | st.text(max_size=20)))
def test_fuzz_settings_are_valid_or_a_settings_error(env: dict[str, str]) -> None:
    try:
        parsed = ExporterSettings.from_env(env)
    except SettingsError as exc:
        assert str(exc).split(":", 1)[0] in ENV_NAMES
        return
    assert parsed.namespaces and parsed.logql(parsed.namespaces[0]).startswith("{namespace=")


# --------------------------------------------------------------------------- every setting's bounds

GOOD_ENV = {"LOKI_URL": "http://loki:3100/", "EXPORT_BUCKET": "b", "EXPORT_NAMESPACES": "prod, common"}


@pytest.mark.parametrize(
    ("name", "accepted", "rejected", "message"),
    [
        ("WINDOW_MINUTES", "1", "0", "WINDOW_MINUTES: must be whole minutes that divide a day evenly"),
        ("WINDOW_MINUTES", "1440", "7", "WINDOW_MINUTES: must be whole minutes that divide a day evenly"),
        ("DELAY_MINUTES", "0", "-1", "DELAY_MINUTES: must not be negative"),
        ("BACKFILL_WINDOWS", "1", "0", "BACKFILL_WINDOWS: must be between 1 and 1008"),
        ("BACKFILL_WINDOWS", "1008", "1009", "BACKFILL_WINDOWS: must be between 1 and 1008"),
        ("PAGE_LIMIT", "1", "0", "PAGE_LIMIT: must be between 1 and 100000"),
        ("PAGE_LIMIT", "100000", "100001", "PAGE_LIMIT: must be between 1 and 100000"),
        ("MAX_ATTEMPTS", "1", "0", "MAX_ATTEMPTS: must be at least 1"),
        ("LOKI_URL", "https://loki.example", "ftp://loki", "LOKI_URL: must be an http(s) URL"),
        ("LOKI_URL", "http://loki", "http://", "LOKI_URL: must be an http(s) URL"),
        ("EXPORT_PREFIX", "errors/v2", "a//b", "EXPORT_PREFIX: 'a//b' must be a relative key prefix"),
        ("EXPORT_NAMESPACES", "a" * 63, "a" * 64, "is not a valid Kubernetes namespace name"),
        ("EXPORT_NAMESPACES", "x", " , ", "EXPORT_NAMESPACES: must list at least one namespace"),
        ("LINE_FILTER", "(?i)panic", "a`b", "LINE_FILTER: must not contain a backtick"),
        ("LINE_FILTER", "[ab]", "[ab", "LINE_FILTER: not a valid regular expression"),
        ("WINDOW_MINUTES", "20", "ten", "WINDOW_MINUTES: must be an integer, got 'ten'"),
        ("BACKOFF_BASE_SECONDS", "0.5", "soon", "BACKOFF_BASE_SECONDS: must be a number, got 'soon'"),
        ("EXPORT_BUCKET", "bucket", " ", "EXPORT_BUCKET: must be set"),
    ],
)
def test_settings_accept_each_bound_and_reject_just_past_it(
    name: str, accepted: str, rejected: str, message: str
) -> None:
    ExporterSettings.from_env({**GOOD_ENV, name: accepted})
    with pytest.raises(SettingsError) as error:
        ExporterSettings.from_env({**GOOD_ENV, name: rejected})
    assert message in str(error.value)


def test_settings_defaults_and_trimming() -> None:
    parsed = ExporterSettings.from_env({**GOOD_ENV, "EXPORT_PREFIX": " /errors/ ", "LOKI_TENANT": " "})
    assert parsed.loki_url == "http://loki:3100"
    assert parsed.namespaces == ("prod", "common")
    assert (parsed.prefix, parsed.tenant) == ("errors", None)
    assert (parsed.window, parsed.delay) == (timedelta(minutes=10), timedelta(minutes=10))
    assert (parsed.backfill_windows, parsed.page_limit, parsed.max_attempts) == (36, 5000, 5)
    assert (parsed.backoff_base_seconds, parsed.backoff_max_seconds, parsed.http_timeout_seconds) == (
        1.0,
        30.0,
        30.0,
    )
    assert parsed.classifier_pattern is None
    assert parsed.app_labels == ("app", "app_kubernetes_io_name", "container", "job")
    own = ExporterSettings.from_env(
        {**GOOD_ENV, "LOKI_TENANT": "team-a", "APP_LABELS": "svc", "LINE_FILTER": "boom"}
    )
    assert (own.tenant, own.app_labels) == ("team-a", ("svc",))
    assert own.classifier_pattern is not None and own.classifier_pattern.pattern == "boom"


# --------------------------------------------------------------------------- Loki paging and S3 faults


def test_the_backward_read_of_a_full_nanosecond_asks_for_that_nanosecond_only(
    loki: tuple[FakeLoki, str], s3: Any
) -> None:
    fake, url = loki
    at = ns("2026-11-22 03:02:00")
    for i in range(4):
        fake.add({**PROD_API, "pod": f"api-{i}"}, at, f"ERROR burst {i}")
    fake.add(PROD_API, at + 1, "ERROR one nanosecond later")
    run_export(settings(url, page_limit=3), s3_client=s3, now=utc("2026-11-22 03:20"))
    [backward] = [r for r in fake.range_requests() if r["direction"] == "backward"]
    assert (int(backward["start"]), int(backward["end"])) == (at, at + 1)


def test_an_empty_range_asks_loki_nothing(loki: tuple[FakeLoki, str]) -> None:
    from lambdas.log_exporter.loki import LokiClient

    fake, url = loki
    client = LokiClient(url, tenant=None, timeout=5.0, backoff=Backoff(max_attempts=1))
    assert list(client.iter_window('{namespace="prod"} |~ `x`', 7, 7, 100)) == []
    assert fake.range_requests() == []


@pytest.mark.parametrize("labels", [{"app": 5}, {5: "app"}])
def test_a_stream_label_that_is_not_text_is_a_loki_error(labels: dict[Any, Any]) -> None:
    from lambdas.log_exporter.loki import LokiError, _parse_streams

    body = {
        "status": "success",
        "data": {"resultType": "streams", "result": [{"stream": labels, "values": []}]},
    }
    with pytest.raises(LokiError, match="malformed stream entry"):
        _parse_streams(body)


class _FailingPuts:
    """An S3 client whose conditional writes fail one way: the listing works."""

    def __init__(self, s3: Any, error: Exception) -> None:
        self._s3, self._error = s3, error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def put_object(self, **_kwargs: Any) -> Any:
        raise self._error


def test_an_s3_connection_failure_is_recorded_per_window(loki: tuple[FakeLoki, str], s3: Any) -> None:
    from botocore.exceptions import EndpointConnectionError

    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR kept for the next run")
    client = _FailingPuts(s3, EndpointConnectionError(endpoint_url="https://s3.example"))
    result = run_export(
        settings(url), s3_client=client, now=utc("2026-11-22 03:20"), backoff=Backoff(max_attempts=1)
    )
    [failure] = result.failed
    assert failure.window_start == "2026-11-22T03:00:00+00:00"
    assert failure.reason.startswith("S3 write failed: Could not connect")
    assert result.written == []


def test_a_window_another_run_wrote_meanwhile_is_skipped_not_failed(
    loki: tuple[FakeLoki, str], s3: Any
) -> None:
    from botocore.exceptions import ClientError

    fake, url = loki
    fake.add(PROD_API, ns("2026-11-22 03:01:00"), "ERROR written by the other run")
    taken = ClientError({"Error": {"Code": "PreconditionFailed", "Message": "exists"}}, "PutObject")
    result = run_export(settings(url), s3_client=_FailingPuts(s3, taken), now=utc("2026-11-22 03:20"))
    assert (result.failed, result.written, result.skipped_existing) == ([], [], 1)


def test_each_retry_is_logged_with_its_attempt_number(caplog: pytest.LogCaptureFixture) -> None:
    backoff, sleeps = no_jitter_backoff(max_attempts=3)
    calls = iter([OSError("reset"), OSError("reset again"), "answer"])

    def flaky() -> str:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with caplog.at_level("WARNING"):
        assert backoff.call("Loki query", flaky, lambda exc: isinstance(exc, OSError)) == "answer"
    assert sleeps.calls == [0.5, 1.0]
    assert "Loki query failed (attempt 1/3): reset; retrying in 0.50s" in caplog.text
    assert "Loki query failed (attempt 2/3): reset again; retrying in 1.00s" in caplog.text


def test_the_class_defaults_are_the_environment_defaults() -> None:
    # The defaults are written twice (the dataclass and from_env): a change to one must reach the other.
    direct = ExporterSettings(loki_url="http://loki:3100", bucket="b", namespaces=("prod", "common"))
    assert direct == ExporterSettings.from_env(GOOD_ENV)
