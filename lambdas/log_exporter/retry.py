"""Exponential backoff with full jitter, shared by the Loki and S3 calls."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class TransientError(Exception):
    """An error worth retrying: a 5xx or 429 answer, a timeout, a dropped connection."""


@dataclass(frozen=True)
class Backoff:
    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**attempt)]."""
        return self.rng.uniform(0, min(self.max_seconds, self.base_seconds * 2**attempt))

    def call(
        self,
        what: str,
        fn: Callable[[], T],
        is_transient: Callable[[BaseException], bool],
        retry_after: Callable[[BaseException], float | None] = lambda _exc: None,
    ) -> T:
        """Run `fn`, retrying transient failures; the last failure is raised unchanged.

        A server's own wait (`retry_after`, e.g. HTTP Retry-After) replaces the jittered delay, capped at
        `max_seconds` so one answer cannot stall the run.
        """
        for attempt in range(self.max_attempts):
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc) or attempt == self.max_attempts - 1:
                    raise
                asked = retry_after(exc)
                pause = self.delay(attempt) if asked is None else min(max(asked, 0.0), self.max_seconds)
                log.warning(
                    "%s failed (attempt %d/%d): %s; retrying in %.2fs",
                    what,
                    attempt + 1,
                    self.max_attempts,
                    exc,
                    pause,
                )
                self.sleep(pause)
        raise AssertionError("unreachable: the loop returns or raises")
