"""Group error lines by (namespace, app, signature) with exact counts, first/last seen and a sample."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .reader import LineTooLong
from .signature import signature, signature_input

MAX_GROUPS = 10_000  # distinct groups kept; later new ones fold into one "other" group per app
MAX_SAMPLE_CHARS = 2_000
OTHER_SIGNATURE = "[other signatures: group limit reached]"
# Identical heads recur often in real logs: skip their masking. Keyed by the signature's input (at most
# MAX_SIGNATURE_INPUT characters), so the cache stays a few MB whatever the lines' length.
_SIGNATURE_CACHE_SIZE = 4_096
# Timestamps a report can show: from the epoch up to the last instant datetime can represent.
_MAX_TS_NS = 253_402_300_799 * 1_000_000_000


class Malformed:
    """Why a line was skipped; the reasons are counted in the report."""

    NOT_JSON = "not_json"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    TS_OUT_OF_RANGE = "ts_out_of_range"
    TOO_LONG = "too_long"


@dataclass
class Group:
    count: int
    first_ns: int
    last_ns: int
    sample: str


@dataclass
class Aggregate:
    groups: dict[tuple[str, str, str], Group] = field(default_factory=dict)
    per_namespace: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    malformed_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def malformed(self) -> int:
        return sum(self.malformed_reasons.values())

    @property
    def errors(self) -> int:
        return sum(self.per_namespace.values())


def aggregate(batches: Iterable[list[bytes] | LineTooLong]) -> Aggregate:
    """Fold line batches into an Aggregate; a malformed line is counted with its reason and skipped."""
    result = Aggregate()
    groups = result.groups
    per_namespace = result.per_namespace
    reasons = result.malformed_reasons
    cache: dict[str, str] = {}
    loads = json.loads
    lines = 0
    for batch in batches:
        if isinstance(batch, LineTooLong):
            lines += 1
            reasons[Malformed.TOO_LONG] = reasons.get(Malformed.TOO_LONG, 0) + 1
            continue
        for raw in batch:
            if not raw or raw.isspace():
                continue
            lines += 1
            try:
                record = loads(raw)
                text = record["line"]
                namespace = record["namespace"]
                app = record["app"]
                ts = record["ts"]
                if (
                    type(text) is not str
                    or type(namespace) is not str
                    or type(app) is not str
                    or type(ts) is not int
                ):
                    raise TypeError("field of the wrong type")
                if not 0 <= ts <= _MAX_TS_NS:
                    reason = Malformed.TS_OUT_OF_RANGE
                    reasons[reason] = reasons.get(reason, 0) + 1
                    continue
            except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
                reason = _reason(error)
                reasons[reason] = reasons.get(reason, 0) + 1
                continue
            head = signature_input(text)
            sig = cache.get(head)
            if sig is None:
                sig = signature(head)
                if len(cache) >= _SIGNATURE_CACHE_SIZE:
                    cache.clear()
                cache[head] = sig
            key = (namespace, app, sig)
            group = groups.get(key)
            if group is None:
                if len(groups) >= MAX_GROUPS:
                    key = (namespace, app, OTHER_SIGNATURE)
                    group = groups.get(key)
                if group is None:
                    groups[key] = Group(1, ts, ts, text[:MAX_SAMPLE_CHARS])
                    per_namespace[namespace] = per_namespace.get(namespace, 0) + 1
                    continue
            group.count += 1
            if ts < group.first_ns:
                group.first_ns = ts
            elif ts > group.last_ns:
                group.last_ns = ts
            per_namespace[namespace] += 1
    result.lines = lines
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return Malformed.MISSING_FIELD
    if isinstance(error, TypeError):
        return Malformed.WRONG_TYPE  # also a JSON value that is not an object
    return Malformed.NOT_JSON
