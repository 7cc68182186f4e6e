"""The error-report Lambda over generated exports: grouping, exact counts, malformed lines, escaping."""

from __future__ import annotations

import gzip
import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from log_report import aggregate as aggregate_module
from log_report import handler as handler_module
from log_report.aggregate import OTHER_SIGNATURE, aggregate
from log_report.handler import lambda_handler, report_keys
from log_report.reader import TruncatedObjectError, iter_line_batches
from log_report.signature import signature

RAW = "kubeboard-dev-error-logs-raw"
PROCESSED = "kubeboard-dev-error-logs-processed"
KEY = "errors/prod/2026/11/22/0300.jsonl.gz"
T0 = 1_795_316_400_000_000_000  # 2026-11-22T03:00:00Z in ns


def record(line: str, *, ts: int = T0, namespace: str = "prod", app: str = "api") -> bytes:
    doc = {"ts": ts, "namespace": namespace, "app": app, "pod": f"{app}-1", "container": app, "line": line}
    return json.dumps(doc).encode()


def export(lines: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")


# --------------------------------------------------------------------------- signatures


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "request 602417bf-f0e7-4cd6-8b4c-3c08258a286a failed",
            "request b6676469-4a8b-4fd2-a218-d3503955e537 failed",
        ),
        (
            "request F3A9C2D1-1234-4ABC-8DEF-0123456789AB failed",
            "request 13a9c2d1-0000-4abc-8def-aaaaaaaaaaaa failed",
        ),
        ("session deadbeef12 expired", "session 0123abcd99ef expired"),
        ("segfault at 0x7ffe12ab", "segfault at 0x00001"),
        ("dial tcp 10.0.1.2:5432: refused", "dial tcp 192.168.100.200:6543: refused"),
        ("at 2026-11-22T03:00:01.123Z failed", "at 2025-01-02 23:59:59+09:00 failed"),
        ("E1122 03:01:02.123456 sync failed", "E0101 13:41:59.999999 sync failed"),
        ('user "alice@example.com" denied', 'user "bob" denied'),
        ("user 'alice' denied", "user 'bob smith' denied"),
        ("retry 3 of 5 after 120ms", "retry 4 of 5 after 95ms"),
        ("took 1.25s", "took 30.5s"),
    ],
)
def test_lines_differing_only_in_variable_parts_share_a_signature(first: str, second: str) -> None:
    assert signature(first) == signature(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("connection refused", "connection reset"),
        ("ERROR order failed", "ERROR payment failed"),
        ("decade accepted facade", "decade rejected facade"),  # hex-letter words are not ids
    ],
)
def test_different_errors_keep_different_signatures(first: str, second: str) -> None:
    assert signature(first) != signature(second)


def test_signature_masks_each_kind_with_its_own_placeholder() -> None:
    line = (
        "id=1b4e28ba-2fa1-11d2-883f-0016d3cca427 at 2026-11-22T03:00:01Z from 10.1.2.3:80 "
        'obj 5f3a9c2d11 ptr 0xff user "x" n=42'
    )
    assert signature(line) == "id=<uuid> at <ts> from <ip> obj <hex> ptr <hex> user <str> n=<num>"


# --------------------------------------------------------------------------- streaming


class Streaming:
    """A botocore StreamingBody stand-in that records how it is read."""

    def __init__(self, payload: bytes) -> None:
        self._io = io.BytesIO(payload)
        self.reads: list[int | None] = []

    def read(self, amt: int | None = None) -> bytes:
        self.reads.append(amt)
        return self._io.read(amt)


def all_lines(payload: bytes) -> list[bytes]:
    out: list[bytes] = []
    for batch in iter_line_batches(Streaming(payload)):
        assert isinstance(batch, list)
        out.extend(line for line in batch if line)
    return out


def test_reads_the_object_in_bounded_chunks_never_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from log_report import reader

    # Small steps so a modest object crosses many chunk and output boundaries.
    monkeypatch.setattr(reader, "READ_CHUNK", 16 * 1024)
    monkeypatch.setattr(reader, "MAX_OUTPUT", 64 * 1024)
    rng = random.Random(7)
    lines = [record(f"ERROR {rng.getrandbits(64):x}", ts=T0 + i) for i in range(20_000)]
    payload = gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1)
    assert len(payload) > 10 * 16 * 1024
    body = Streaming(payload)
    got = [line for batch in iter_line_batches(body) if isinstance(batch, list) for line in batch if line]
    assert got == lines
    assert len(body.reads) > 10
    assert all(amt == 16 * 1024 for amt in body.reads)


def test_concatenated_gzip_members_are_read_in_full() -> None:
    payload = gzip.compress(b"a\nb\n") + gzip.compress(b"c\n") + gzip.compress(b"d")
    assert all_lines(payload) == [b"a", b"b", b"c", b"d"]


def test_a_truncated_object_is_an_error_not_a_short_report() -> None:
    payload = gzip.compress(b"x" * 10_000 + b"\n")
    with pytest.raises(TruncatedObjectError):
        all_lines(payload[:-12])


def test_an_over_long_line_is_counted_as_malformed_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from log_report import reader

    monkeypatch.setattr(reader, "MAX_LINE", 1000)
    payload = export([record("ERROR before"), b"{" + b"x" * 5000, record("ERROR after")])
    agg = aggregate(iter_line_batches(Streaming(payload)))
    assert agg.malformed == 1
    assert agg.errors == 2
    assert agg.lines == 3


def test_the_real_limits_one_mib_reads_four_mib_steps_one_mib_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import zlib

    from log_report import reader

    steps: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, wbits: int) -> None:
            self._d = real(wbits)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._d, name)

        def decompress(self, data: bytes, max_length: int) -> bytes:
            steps.append(max_length)
            return self._d.decompress(data, max_length)

    monkeypatch.setattr(reader.zlib, "decompressobj", Spy)
    longest = b"x" * (1 << 20)
    noise = os.urandom(3 << 19).hex().encode()  # incompressible: the object spans several reads
    body = Streaming(export([longest, longest + b"x", noise[:100], noise]))
    batches = list(iter_line_batches(body))
    kept = [line for batch in batches if isinstance(batch, list) for line in batch if line]
    assert kept == [longest, noise[:100]]
    assert sum(1 for batch in batches if not isinstance(batch, list)) == 2  # 1 MiB + 1 and the noise
    assert len(body.reads) > 2 and set(body.reads) == {1 << 20}
    assert steps and set(steps) == {4 << 20}


def test_one_zero_byte_is_padding_and_data_after_padding_is_corrupt() -> None:
    from log_report.reader import CorruptExport

    assert all_lines(gzip.compress(b"a\n") + b"\0") == [b"a"]
    with pytest.raises(CorruptExport, match="data follows the zero padding"):
        all_lines(gzip.compress(b"a\n") + b"\0x")


def test_signatures_keep_512_characters_of_at_most_2048_of_the_first_line() -> None:
    from log_report.signature import signature_input

    assert signature("E" * 512) == "E" * 512
    assert signature("E" * 513) == "E" * 512
    assert signature_input("E" * 2048) == "E" * 2048
    assert signature_input("E" * 2049) == "E" * 2048
    assert signature_input("\nthe second line") == ""  # an empty first line is the head


def _report(groups: int) -> dict[str, Any]:
    group = {
        "namespace": "prod",
        "app": "api",
        "count": 1,
        "signature": "s",
        "firstSeen": "f",
        "lastSeen": "l",
    }
    return {
        "window": {"namespace": "prod", "start": "s", "end": "e"},
        "totals": {"errors": groups, "groups": groups, "malformed": 0},
        "groups": [{**group, "sample": f"sample-{i}"} for i in range(groups)],
        "namespaces": {"prod": {"errors": groups}},
        "source": {"bucket": "b", "key": "k"},
        "generatedAt": "g",
    }


@pytest.mark.parametrize(("groups", "note"), [(500, None), (501, "1 smaller groups are in the JSON report.")])
def test_the_page_shows_the_500_largest_groups(groups: int, note: str | None) -> None:
    from log_report.render import render_html

    page = render_html(_report(groups))
    assert page.count("<code>sample-") == 500
    assert (note in page) if note else ("smaller groups" not in page)


# --------------------------------------------------------------------------- aggregation


@dataclass
class Generated:
    payload: bytes
    lines: int
    malformed: int
    per_group: dict[tuple[str, str, str], int]


def generated_export(seed: int = 11) -> Generated:
    """Three errors repeated with random ids across two apps and two namespaces, plus bad lines."""
    rng = random.Random(seed)
    templates = {
        ("prod", "api", "payment <uuid> declined by <ip>"): 517,
        ("prod", "worker", "job <num> failed after <num>ms: <str>"): 233,
        ("common", "api", "cache <hex> evicted"): 9,
    }
    out: list[bytes] = []
    for (namespace, app, _), count in templates.items():
        for i in range(count):
            if app == "api" and namespace == "prod":
                request = uuid.UUID(int=rng.getrandbits(128))
                text = f"payment {request} declined by 10.0.{rng.randint(0, 255)}.{i % 256}"
            elif app == "worker":
                text = f"job {rng.randint(1, 10**6)} failed after {rng.randint(1, 9999)}ms: 'reason {i}'"
            else:
                text = f"cache {rng.getrandbits(48):012x}{rng.randint(1, 9)} evicted"
            out.append(record(text, ts=T0 + rng.randint(0, 599) * 10**9, namespace=namespace, app=app))
    rng.shuffle(out)
    malformed = [
        b"not json at all",
        b'["a", "list"]',
        b'{"ts": 1, "namespace": "prod", "app": "api"}',  # no line
        b'{"ts": "yesterday", "namespace": "prod", "app": "api", "line": "x"}',  # ts not an int
        b'{"ts": 1, "namespace": "prod", "app": "api", "line": "cut off',
    ]
    for i, bad in enumerate(malformed):
        out.insert(100 * (i + 1), bad)
    out.insert(50, b"")  # a blank line is neither an error nor malformed
    return Generated(export(out), sum(templates.values()) + len(malformed), len(malformed), templates)


def test_counts_are_exact_and_malformed_lines_are_counted_and_skipped() -> None:
    gen = generated_export()
    agg = aggregate(iter_line_batches(Streaming(gen.payload)))
    assert agg.lines == gen.lines
    assert agg.malformed == gen.malformed
    assert {key: group.count for key, group in agg.groups.items()} == gen.per_group
    assert agg.per_namespace == {"prod": 750, "common": 9}


def test_first_and_last_seen_and_sample_are_kept() -> None:
    payload = export(
        [
            record("ERROR id 7 lost", ts=T0 + 5),
            record("ERROR id 8 lost", ts=T0 + 1),
            record("ERROR id 9 lost", ts=T0 + 9),
            record("ERROR id 10 lost", ts=T0 + 3),
        ]
    )
    agg = aggregate(iter_line_batches(Streaming(payload)))
    (group,) = agg.groups.values()
    assert (group.count, group.first_ns, group.last_ns, group.sample) == (
        4,
        T0 + 1,
        T0 + 9,
        "ERROR id 7 lost",
    )


def test_the_group_limit_folds_new_signatures_without_losing_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate_module, "MAX_GROUPS", 3)
    payload = export([record(f"ERROR kind-{chr(97 + i)} broke") for i in range(6)] * 2)
    agg = aggregate(iter_line_batches(Streaming(payload)))
    assert len(agg.groups) == 4
    assert agg.groups[("prod", "api", OTHER_SIGNATURE)].count == 6
    assert agg.errors == 12


def _agg(*lines: bytes) -> Any:
    return aggregate(iter_line_batches(Streaming(export(list(lines)))))


def test_timestamps_from_the_epoch_to_the_last_second_of_9999_are_kept() -> None:
    import datetime

    last = int(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC).timestamp()) * 10**9
    agg = _agg(
        record("ERROR a", ts=0),
        record("ERROR a", ts=last),
        record("ERROR a", ts=-1),
        record("ERROR a", ts=last + 1),
    )
    (group,) = agg.groups.values()
    assert (group.count, group.first_ns, group.last_ns) == (2, 0, last)
    assert agg.malformed_reasons == {"ts_out_of_range": 2}


@pytest.mark.parametrize("field", ["line", "namespace", "app", "ts"])
def test_each_field_of_the_wrong_type_is_a_malformed_line(field: str) -> None:
    doc = {"ts": T0, "namespace": "prod", "app": "api", "line": "ERROR a"}
    doc[field] = 7 if field != "ts" else "7"
    agg = _agg(json.dumps(doc).encode(), record("ERROR a"))
    assert agg.malformed_reasons == {"wrong_type": 1}
    assert agg.errors == 1


def test_samples_keep_2000_characters() -> None:
    whole, cut = "E" * 2_000, "F" * 2_001
    agg = _agg(record(whole), record(cut, app="web"))
    samples = {key[1]: group.sample for key, group in agg.groups.items()}
    assert samples == {"api": whole, "web": cut[:2_000]}


def test_ten_thousand_signatures_are_kept_before_folding() -> None:
    def word(n: int) -> str:  # letters only: digits would be masked into one signature
        return "".join(chr(97 + (n // 26**k) % 26) for k in range(3))

    agg = _agg(*(record(f"ERROR kind-{word(i)} broke") for i in range(10_001)))
    assert len(agg.groups) == 10_001  # 10 000 signatures and the one group they fold into
    assert agg.groups[("prod", "api", OTHER_SIGNATURE)].count == 1


# --------------------------------------------------------------------------- the handler


@dataclass
class Context:
    function_name: str = "log-report"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-2:123456789012:function:log-report"
    aws_request_id: str = "00000000-0000-0000-0000-000000000001"


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "ap-northeast-2",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key), "size": 1, "sequencer": "0A1B2C3D4E5F678901"},
                },
            }
        ]
    }


@pytest.fixture
def buckets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-2",
        "PROCESSED_BUCKET": PROCESSED,
        "REPORT_PREFIX": "reports",
        "METRICS_NAMESPACE": "Kubeboard/LogReports",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="ap-northeast-2")
        for bucket in (RAW, PROCESSED):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
            )
        monkeypatch.setattr(handler_module, "_s3", s3)
        yield s3


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [
        doc
        for doc in (json.loads(line) for line in out.splitlines() if line.startswith("{"))
        if "_aws" in doc
    ]


def test_handler_writes_json_and_html_reports_and_emits_metrics(
    buckets: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = generated_export()
    buckets.put_object(
        Bucket=RAW,
        Key=KEY,
        Body=gen.payload,
        Metadata={"window-start": "2026-11-22T03:00:00+00:00", "window-end": "2026-11-22T03:10:00+00:00"},
    )

    result = lambda_handler(s3_event(RAW, KEY), Context())

    assert result["processed"][0]["errors"] == 759
    report = json.loads(
        buckets.get_object(Bucket=PROCESSED, Key="reports/prod/2026/11/22/0300.json")["Body"].read()
    )
    assert report["totals"] == {"lines": gen.lines, "errors": 759, "malformed": 5, "groups": 3}
    assert report["window"] == {
        "namespace": "prod",
        "start": "2026-11-22T03:00:00+00:00",
        "end": "2026-11-22T03:10:00+00:00",
    }
    assert [(g["namespace"], g["app"], g["signature"], g["count"]) for g in report["groups"]] == [
        ("prod", "api", "payment <uuid> declined by <ip>", 517),
        ("prod", "worker", "job <num> failed after <num>ms: <str>", 233),
        ("common", "api", "cache <hex> evicted", 9),
    ]
    assert report["groups"][0]["firstSeen"] >= "2026-11-22T03:00:00"
    assert report["groups"][0]["lastSeen"] < "2026-11-22T03:10:00"
    html = buckets.get_object(Bucket=PROCESSED, Key="reports/prod/2026/11/22/0300.html")
    assert html["ContentType"].startswith("text/html")

    metrics = {
        (doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], doc["namespace"]): doc
        for doc in emf_lines(capsys.readouterr().out)
    }
    assert metrics[("ErrorLines", "prod")]["ErrorLines"] == [750.0]
    assert metrics[("ErrorLines", "common")]["ErrorLines"] == [9.0]
    assert metrics[("MalformedLines", "prod")]["MalformedLines"] == [5.0]
    assert (
        metrics[("ErrorLines", "prod")]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Kubeboard/LogReports"
    )
    assert metrics[("ErrorLines", "prod")]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["namespace"]]


def test_an_empty_window_reports_zero_errors_for_its_namespace(
    buckets: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "errors/dev/2026/11/22/0310.jsonl.gz"
    buckets.put_object(Bucket=RAW, Key=key, Body=gzip.compress(b""))
    lambda_handler(s3_event(RAW, key), Context())
    report = json.loads(
        buckets.get_object(Bucket=PROCESSED, Key="reports/dev/2026/11/22/0310.json")["Body"].read()
    )
    assert report["totals"]["errors"] == 0
    assert report["window"]["start"] == "2026-11-22T03:10:00+00:00"
    errors = [doc for doc in emf_lines(capsys.readouterr().out) if "ErrorLines" in doc]
    assert [(doc["namespace"], doc["ErrorLines"]) for doc in errors] == [("dev", [0.0])]


def test_html_report_escapes_everything_from_the_logs(buckets: Any) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quoted" \'single\''
    payload = export([record(hostile, app='<b onmouseover="steal()">api</b>')])
    key = "errors/prod/2026/11/22/0320.jsonl.gz"
    buckets.put_object(Bucket=RAW, Key=key, Body=payload)
    lambda_handler(s3_event(RAW, key), Context())

    html = (
        buckets.get_object(Bucket=PROCESSED, Key="reports/prod/2026/11/22/0320.html")["Body"].read().decode()
    )
    assert "<script" not in html.lower()
    assert "<img" not in html
    assert "<b " not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp;" in html
    assert "&lt;b onmouseover=&quot;steal()&quot;&gt;api&lt;/b&gt;" in html
    assert "default-src 'none'" in html  # nothing may load or run even if something slipped through
    assert "http://" not in html and "https://" not in html  # self-contained


def test_keys_arrive_url_encoded_and_other_keys_are_ignored(buckets: Any) -> None:
    key = "errors/my-app/2026/11/22/0330.jsonl.gz"
    buckets.put_object(Bucket=RAW, Key=key, Body=export([record("ERROR x", namespace="my-app")]))
    assert lambda_handler(s3_event(RAW, key), Context())["processed"][0]["errors"] == 1

    buckets.put_object(Bucket=RAW, Key="errors/readme+notes.txt", Body=b"hello")
    assert lambda_handler(s3_event(RAW, "errors/readme+notes.txt"), Context()) == {"processed": []}


def test_report_keys_mirror_the_export_layout() -> None:
    assert report_keys("errors/prod/2026/11/22/0300.jsonl.gz", "reports") == (
        "reports/prod/2026/11/22/0300.json",
        "reports/prod/2026/11/22/0300.html",
    )
    assert report_keys("errors/prod/2026/11/22/0300.json", "reports") is None


# --------------------------------------------------------------------------- hostile input


def metric_values(out: str, name: str) -> list[tuple[dict[str, Any], float]]:
    """(dimensions, value) of every EMF datapoint of `name`."""
    found = []
    for doc in emf_lines(out):
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        if directive["Metrics"][0]["Name"] == name:
            dims = {d: doc[d] for dims in directive["Dimensions"] for d in dims}
            (value,) = doc[name]
            found.append((dims, value))
    return found


def report_of(s3: Any, key: str = "reports/prod/2026/11/22/0300.json") -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read())


GOOD = export([record("ERROR one"), record("ERROR two")])


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"ERROR plain text, not gzip\n", id="not-gzip"),
        pytest.param(GOOD[:-6], id="truncated"),
        pytest.param(GOOD + b"garbage", id="trailing-garbage"),
        pytest.param(b"", id="empty-object"),
    ],
)
def test_a_corrupt_export_is_recorded_once_and_not_retried(
    buckets: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, payload: bytes
) -> None:
    buckets.put_object(Bucket=RAW, Key=KEY, Body=payload)

    result = lambda_handler(s3_event(RAW, KEY), Context())  # returns: a retry could not read it either

    assert result == {"processed": []}
    assert metric_values(capsys.readouterr().out, "CorruptExports") == [({}, 1.0)]
    assert "corrupt export" in caplog.text
    assert "Contents" not in buckets.list_objects_v2(Bucket=PROCESSED)


def test_zero_padding_after_the_gzip_stream_is_accepted_as_gzip_does(buckets: Any) -> None:
    buckets.put_object(Bucket=RAW, Key=KEY, Body=GOOD + b"\0" * 5000)
    lambda_handler(s3_event(RAW, KEY), Context())
    assert report_of(buckets)["totals"]["errors"] == 2


def test_one_bad_line_costs_that_line_not_the_window(buckets: Any) -> None:
    lines = [
        record("ERROR kept 1"),
        record("ERROR from the far future", ts=10**30),
        record("ERROR before the epoch", ts=-(10**18)),
        b'{"ts": 1795316400000000000, "namespace": "prod", "app": "api", "line": "ERROR lone \\ud800 surrogate"}',
        b'{"ts": 1795316400000000000, "namespace": "prod", "app": "api"}',
        b"[1, 2]",
        b"{not json",
        record("ERROR kept 2"),
    ]
    buckets.put_object(Bucket=RAW, Key=KEY, Body=export(lines))

    lambda_handler(s3_event(RAW, KEY), Context())

    report = report_of(buckets)
    assert report["totals"]["errors"] == 3
    assert report["malformedReasons"] == {
        "missing_field": 1,
        "not_json": 1,
        "ts_out_of_range": 2,
        "wrong_type": 1,
    }
    samples = {g["sample"] for g in report["groups"]}
    assert "ERROR lone \ufffd surrogate" in samples  # replaced, not a crash
    html = buckets.get_object(Bucket=PROCESSED, Key="reports/prod/2026/11/22/0300.html")["Body"].read()
    assert "lone \ufffd surrogate".encode() in html


@pytest.mark.parametrize("max_output", [300, 1500, 7000, 1 << 20])
def test_every_line_over_the_limit_is_malformed_wherever_it_falls_in_the_blocks(
    monkeypatch: pytest.MonkeyPatch, max_output: int
) -> None:
    from log_report import reader

    monkeypatch.setattr(reader, "MAX_LINE", 1000)
    monkeypatch.setattr(reader, "MAX_OUTPUT", max_output)
    monkeypatch.setattr(reader, "READ_CHUNK", 512)
    rng = random.Random(max_output)
    lines, long_lines = [], 0
    for index in range(120):
        if rng.random() < 0.2:
            lines.append(record("ERROR " + "y" * rng.randint(1001, 3000), ts=T0 + index))
            long_lines += 1
        else:
            lines.append(record(f"ERROR short {index}", ts=T0 + index))
    agg = aggregate(iter_line_batches(Streaming(export(lines))))
    assert agg.malformed_reasons == {"too_long": long_lines}
    assert agg.errors == len(lines) - long_lines


@pytest.mark.parametrize(
    "stray_key",
    [
        "errors/old/prod/2026/11/22/0300.jsonl.gz",  # one level too deep, same tail
        "errors/prod/2026/11/22/0300.jsonl.gz.jsonl.gz",
        "errors/prod/2026/13/22/0300.jsonl.gz",
        "errors/prod/2026/11/22/2460.jsonl.gz",
        "errors/Prod/2026/11/22/0300.jsonl.gz",
        "errors/readme+notes.txt",
    ],
)
def test_only_the_export_layout_produces_reports(
    buckets: Any, capsys: pytest.CaptureFixture[str], stray_key: str
) -> None:
    five = export([record(f"ERROR {i}") for i in range(5)])
    buckets.put_object(Bucket=RAW, Key=KEY, Body=five)
    lambda_handler(s3_event(RAW, KEY), Context())
    buckets.put_object(Bucket=RAW, Key=stray_key, Body=export([record("ERROR stray")]))

    assert lambda_handler(s3_event(RAW, stray_key), Context()) == {"processed": []}

    assert report_of(buckets)["totals"]["errors"] == 5
    reports = [o["Key"] for o in buckets.list_objects_v2(Bucket=PROCESSED)["Contents"]]
    assert sorted(reports) == ["reports/prod/2026/11/22/0300.html", "reports/prod/2026/11/22/0300.json"]
    assert metric_values(capsys.readouterr().out, "IgnoredInputs") == [({"reason": "not_an_export"}, 1.0)]


@pytest.mark.parametrize(
    "event",
    [None, [], {}, {"Records": "x"}, {"Records": [None]}, {"Records": [{"eventName": "ObjectCreated:Put"}]}],
)
@pytest.mark.usefixtures("buckets")
def test_malformed_events_are_counted_not_raised(capsys: pytest.CaptureFixture[str], event: Any) -> None:
    assert lambda_handler(event, Context()) == {"processed": []}
    assert metric_values(capsys.readouterr().out, "IgnoredInputs") == [({"reason": "malformed_event"}, 1.0)]


@pytest.mark.usefixtures("buckets")
def test_an_object_deleted_before_it_was_read_is_counted_not_retried(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert lambda_handler(s3_event(RAW, KEY), Context()) == {"processed": []}
    assert metric_values(capsys.readouterr().out, "IgnoredInputs") == [({"reason": "object_gone"}, 1.0)]


def test_a_multi_line_trace_is_grouped_by_its_first_line() -> None:
    first = "Traceback (most recent call last):\n  File \"/app/api.py\", line 12, in handle\nKeyError: 'a'"
    second = "Traceback (most recent call last):\n  File \"/app/db.py\", line 99, in get\nKeyError: 'b'"
    agg = aggregate(iter_line_batches(Streaming(export([record(first), record(second)]))))
    ((key, group),) = agg.groups.items()
    assert key[2] == "Traceback (most recent call last):"
    assert group.count == 2
    assert group.sample == first


def test_memory_does_not_grow_with_line_length() -> None:
    """The signature cache keeps a bounded head of each line, never the whole line."""
    import tracemalloc

    rng = random.Random(5)

    def batches() -> Iterator[list[bytes]]:
        for index in range(300):  # distinct 50 KB stack traces
            body = f"ERROR {rng.getrandbits(64):x} " + "frame at x.y.z\n" * 3400
            yield [record(body, ts=T0 + index)]

    tracemalloc.start()
    try:
        agg = aggregate(batches())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert agg.errors == 300
    assert peak < 6_000_000, f"peak {peak / 1e6:.1f} MB for 300 lines of 50 KB"


# --------------------------------------------------------------------------- fuzzing

json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
record_fields = st.fixed_dictionaries(
    {},
    optional={
        "ts": st.integers(min_value=-(2**70), max_value=2**70) | json_leaf,
        "namespace": st.sampled_from(["prod", "dev"]) | json_leaf,
        "app": st.text(max_size=10) | json_leaf,
        "line": st.text(max_size=300) | json_leaf,
    },
)
fuzzed_line = (
    record_fields.map(lambda doc: json.dumps(doc).encode())
    | st.binary(max_size=200).map(lambda raw: raw.replace(b"\n", b" "))
    | st.text(max_size=50).map(lambda text: json.dumps(text).encode())
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(fuzzed_line, max_size=30))
def test_fuzz_every_line_is_an_error_or_a_counted_malformed_line(lines: list[bytes]) -> None:
    agg = aggregate(iter_line_batches(Streaming(export(lines))))
    assert agg.errors + agg.malformed == agg.lines
    report = handler_module.build_report(
        agg, bucket=RAW, key=KEY, window={}, generated_at=handler_module.datetime.now(handler_module.UTC)
    )
    handler_module._encoded(json.dumps(report, ensure_ascii=False))
    handler_module._encoded(handler_module.render_html(report))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["raw", "gzip", "cut", "padded"]))
def test_fuzz_reader_raises_only_corrupt_export(payload: bytes, shape: str) -> None:
    from log_report.reader import CorruptExport

    if shape != "raw":
        payload = gzip.compress(payload)
    if shape == "cut":
        payload = payload[: len(payload) // 2]
    elif shape == "padded":
        payload += b"\0" * 10
    try:
        for _ in iter_line_batches(Streaming(payload)):
            pass
    except CorruptExport:
        assert shape in {"raw", "cut"}


class FailingBody:
    """A StreamingBody whose connection drops after the first chunk."""

    def __init__(self, payload: bytes) -> None:
        self._first: bytes | None = payload[:100]

    def read(self, _amt: int | None = None) -> bytes:
        if self._first is None:
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url="https://s3")
        chunk, self._first = self._first, None
        return chunk


@pytest.mark.parametrize("fault", ["read-timeout", "access-denied", "slow-down"])
def test_faults_a_retry_can_cure_are_raised(
    buckets: Any, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    from botocore.exceptions import ClientError, ReadTimeoutError

    payload = export([record(f"ERROR {i} " + "x" * 50) for i in range(200)])
    buckets.put_object(Bucket=RAW, Key=KEY, Body=payload)
    real_get = buckets.get_object

    def get_object(**kwargs: Any) -> Any:
        if fault == "read-timeout":
            return {**real_get(**kwargs), "Body": FailingBody(payload)}
        code = "AccessDenied" if fault == "access-denied" else "SlowDown"
        raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "GetObject")

    monkeypatch.setattr(buckets, "get_object", get_object)
    with pytest.raises((ReadTimeoutError, ClientError)):
        lambda_handler(s3_event(RAW, KEY), Context())  # Lambda retries, then the dead-letter queue keeps it
