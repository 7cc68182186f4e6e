"""Group error lines by (namespace, app, signature) with exact counts, first/last seen and a sample."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .reader import LineTooLong
from .signature import signature

MAX_GROUPS = 10_000  # distinct groups kept; later new ones fold into one "other" group per app
MAX_SAMPLE_CHARS = 2_000
OTHER_SIGNATURE = "[other signatures: group limit reached]"
_SIGNATURE_CACHE_SIZE = 20_000  # identical lines recur often in real logs: skip their masking


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
    malformed: int = 0

    @property
    def errors(self) -> int:
        return sum(self.per_namespace.values())


def aggregate(batches: Iterable[list[bytes] | LineTooLong]) -> Aggregate:
    """Fold line batches into an Aggregate; a malformed line is counted and skipped."""
    result = Aggregate()
    groups = result.groups
    per_namespace = result.per_namespace
    cache: dict[str, str] = {}
    loads = json.loads
    lines = malformed = 0
    for batch in batches:
        if isinstance(batch, LineTooLong):
            lines += 1
            malformed += 1
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
            except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
                malformed += 1
                continue
            sig = cache.get(text)
            if sig is None:
                sig = signature(text)
                if len(cache) >= _SIGNATURE_CACHE_SIZE:
                    cache.clear()
                cache[text] = sig
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
    result.malformed = malformed
    return result
