"""The exporter's error classifier against a corpus of real error shapes, and under generated input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.log_exporter.classify import (
    LINE_FILTER,
    MAX_RECORD_CHARS,
    MAX_RECORD_LINES,
    group_errors,
    is_error,
)
from lambdas.log_exporter.loki import LokiError, _parse_streams

CORPUS = Path(__file__).parent.parent / "data" / "log_corpus" / "error_shapes.jsonl"
CASES = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
PREFILTER = re.compile(LINE_FILTER)
STREAM = (("namespace", "prod"), ("pod", "api-1"))


def spans(lines: list[str]) -> set[tuple[int, int]]:
    """What the exporter makes of one stream: Loki's prefilter, then the classifier's grouping."""
    entries = [(STREAM, index * 1_000_000, line) for index, line in enumerate(lines)]
    kept = [entry for entry in entries if PREFILTER.search(entry[2])]
    found = set()
    for record in group_errors(kept):
        start = record.ts_ns // 1_000_000
        found.add((start, start + record.lines))
    return found


def test_the_corpus_covers_every_shape_the_classifier_claims() -> None:
    shapes = {case["shape"].split("-")[0] for case in CASES}
    expected = {"jvm", "python", "go", "node", "klog", "nginx", "dotnet", "rails", "postgres", "rust"}
    assert expected <= shapes
    errors = sum(len(case["errors"]) for case in CASES)
    others = sum(len(case["lines"]) for case in CASES) - sum(e - s for c in CASES for s, e in c["errors"])
    assert errors >= 50 and others >= 60


def test_recall_and_precision_on_the_corpus() -> None:
    """An error counts as found only with exactly its lines: a split or merged trace is a miss."""
    found = missed = false = 0
    misses = []
    for case in CASES:
        expected = {(start, end) for start, end in case["errors"]}
        got = spans(case["lines"])
        found += len(expected & got)
        missed += len(expected - got)
        false += len(got - expected)
        if got != expected:
            misses.append((case["shape"], sorted(expected), sorted(got)))
    recall, precision = found / (found + missed), found / (found + false)
    print(f"classifier on {len(CASES)} cases: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.95, misses
    assert precision >= 0.95, misses


@pytest.mark.parametrize("case", CASES, ids=[case["shape"] for case in CASES])
def test_loki_keeps_every_line_of_every_error(case: dict[str, Any]) -> None:
    """The LogQL prefilter must not drop a trace's continuation lines, or the trace arrives cut."""
    for start, end in case["errors"]:
        for line in case["lines"][start:end]:
            assert PREFILTER.search(line), line


def test_the_prefilter_is_re2_compatible() -> None:
    """Loki compiles the filter with Go's RE2: no look-around, no backreferences, no possessives."""
    assert not re.search(r"\(\?[=!<]|\\[1-9]|[*+?}]\+", LINE_FILTER)
    assert "`" not in LINE_FILTER  # sent as a LogQL raw string


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{"level":"info","msg":"error while retrying, will retry"}', False),
        ('level=debug msg="panic handler installed"', False),
        ("I1122 03:00:00.000000       1 main.go:10] fatal flag is false", False),
        ("2026-11-22 03:00:00 ERROR something broke", True),
        ("Processed 12 items, 0 failures", False),
        ("E1122 03:00:00.000000       1 main.go:10] sync failed", True),
    ],
)
def test_a_declared_level_wins_over_words_in_the_message(line: str, error: bool) -> None:
    assert is_error(line) is error


def test_continuation_lines_far_apart_in_time_are_not_joined() -> None:
    entries = [(STREAM, 0, "java.lang.IllegalStateException: x"), (STREAM, 60 * 10**9, "\tat a.b(C.java:1)")]
    (record,) = group_errors(entries)
    assert record.text == "java.lang.IllegalStateException: x"


def test_streams_are_grouped_separately_even_when_interleaved() -> None:
    other = (("namespace", "prod"), ("pod", "api-2"))
    entries = [
        (STREAM, 1, "panic: a"),
        (other, 2, "panic: b"),
        (STREAM, 3, "goroutine 1 [running]:"),
        (other, 4, "goroutine 7 [running]:"),
    ]
    assert sorted(r.text for r in group_errors(entries)) == [
        "panic: a\ngoroutine 1 [running]:",
        "panic: b\ngoroutine 7 [running]:",
    ]


HEAD = "java.lang.IllegalStateException: x"
FRAME = "\tat a.b(C.java:1)"


@pytest.mark.parametrize(("gap", "joined"), [(2 * 10**9, True), (2 * 10**9 + 1, False)])
def test_a_continuation_joins_within_two_seconds(gap: int, joined: bool) -> None:
    records = list(group_errors([(STREAM, 0, HEAD), (STREAM, gap, FRAME)]))
    assert [r.lines for r in records] == ([2] if joined else [1])  # a lone frame is no error


def test_a_record_keeps_400_lines_and_64_kib() -> None:
    (long_trace,) = group_errors([(STREAM, 0, HEAD)] + [(STREAM, i, FRAME) for i in range(1, 500)])
    assert long_trace.lines == MAX_RECORD_LINES == 400
    (wide,) = group_errors([(STREAM, 0, HEAD + "y" * (64 * 1024)), (STREAM, 1, FRAME)])
    assert wide.lines == 1 and len(wide.text) == MAX_RECORD_CHARS == 64 * 1024
    (filled,) = group_errors([(STREAM, 0, "panic: " + "y" * (64 * 1024 - 10)), (STREAM, 1, FRAME * 2)])
    assert len(filled.text) == 64 * 1024 + 1  # the joining newline, then the frame cut to what is left


def test_only_the_first_4096_characters_of_the_first_line_are_classified() -> None:
    assert is_error("ERROR first\nall fine") is True
    assert is_error("request done\nERROR on the second line") is False
    assert is_error("x" * 4090 + " error") is True  # ends at character 4096
    assert is_error("x" * 4091 + " error") is False


# --------------------------------------------------------------------------- fuzzing

log_lines = st.one_of(
    st.text(max_size=120),
    st.sampled_from([line for case in CASES for line in case["lines"]]),
    st.builds(
        lambda prefix, line: prefix + line, st.sampled_from(["\t", "  ", "Caused by: ", ""]), st.text()
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5 * 10**9), log_lines), max_size=40))
def test_fuzz_grouping_keeps_order_bounds_and_every_error_start(raw: list[tuple[int, int, str]]) -> None:
    entries = sorted(((((("pod", str(pod)),), ts, line) for pod, ts, line in raw)), key=lambda e: e[1])
    records = list(group_errors(entries))
    assert sum(r.lines for r in records) <= len(entries)
    for record in records:
        assert record.lines <= MAX_RECORD_LINES
        assert len(record.text) <= MAX_RECORD_CHARS + MAX_RECORD_LINES  # the joining newlines
        assert is_error(record.text.split("\n", 1)[0])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=15,
)
stream_bodies = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["success", "error"]) | json_values,
        "data": st.fixed_dictionaries(
            {"resultType": st.sampled_from(["streams", "matrix"]), "result": json_values}
        )
        | json_values,
    }
)


@settings(max_examples=300, deadline=None)
@given(stream_bodies | json_values)
def test_fuzz_any_loki_answer_is_entries_or_a_loki_error(body: Any) -> None:
    try:
        entries = _parse_streams(body)
    except LokiError:
        return
    assert all(isinstance(e.ts_ns, int) and isinstance(e.line, str) for e in entries)
