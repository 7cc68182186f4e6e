"""Export windows: aligned to the wall clock, named by their start, planned with a bounded backfill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True, order=True)
class Window:
    """A half-open time range [start, end), matching Loki's `start` (inclusive) and `end` (exclusive)."""

    start: datetime
    end: datetime

    @property
    def start_ns(self) -> int:
        return int(self.start.timestamp()) * NS_PER_SECOND

    @property
    def end_ns(self) -> int:
        return int(self.end.timestamp()) * NS_PER_SECOND


def latest_closed_window(now: datetime, length: timedelta, delay: timedelta) -> Window:
    """The newest window whose end lies at least `delay` in the past.

    Windows are aligned to multiples of `length` since the epoch (for 10 minutes: :00, :10, ...).
    The delay gives late log lines time to reach Loki before their window is exported.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    length_s = int(length.total_seconds())
    cutoff = int((now - delay).timestamp())
    end = datetime.fromtimestamp(cutoff - cutoff % length_s, tz=UTC)
    return Window(start=end - length, end=end)


def candidate_windows(latest: Window, backfill: int) -> list[Window]:
    """`latest` and the `backfill - 1` windows before it, oldest first."""
    length = latest.end - latest.start
    offsets = [i * length for i in range(backfill - 1, -1, -1)]
    return [Window(start=latest.start - offset, end=latest.end - offset) for offset in offsets]


def object_key(prefix: str, namespace: str, window: Window) -> str:
    """`<prefix>/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.jsonl.gz`, keyed by the window's start (UTC).

    One folder per namespace and day keeps the existence check to one small LIST per day.
    """
    return f"{day_prefix(prefix, namespace, window.start)}{window.start:%H%M}.jsonl.gz"


def day_prefix(prefix: str, namespace: str, day: datetime) -> str:
    return f"{prefix}/{namespace}/{day:%Y/%m/%d}/"
