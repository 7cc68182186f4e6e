"""A minimal Loki `query_range` client (stdlib only) that pages through a window by time.

Loki answers a log query with at most `limit` entries. With `direction=forward` those are the
oldest entries of [start, end); the next page starts at the newest timestamp seen (start is
inclusive), and entries at that boundary timestamp already returned are skipped, as logcli does.
"""

from __future__ import annotations

import email.utils
import heapq
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .retry import Backoff

log = logging.getLogger(__name__)


class LokiError(RuntimeError):
    """Loki rejected the query, could not be reached, or answered with something that is not a stream result."""


@dataclass(frozen=True)
class Entry:
    ts_ns: int
    labels: dict[str, str]
    line: str

    @property
    def stream(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.labels.items()))


def _is_transient(exc: BaseException) -> bool:
    """Worth another attempt: 429/5xx, any network or protocol failure, a body cut short or garbled."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    # URLError and TimeoutError are OSErrors; IncompleteRead and RemoteDisconnected are HTTPExceptions;
    # a body cut short without a Content-Length ends as invalid JSON.
    return isinstance(exc, OSError | http.client.HTTPException | json.JSONDecodeError)


def _retry_after(exc: BaseException) -> float | None:
    """Seconds a 429/503 answer asks us to wait (delta-seconds or an HTTP date), if it says."""
    if not isinstance(exc, urllib.error.HTTPError) or exc.headers is None:
        return None
    value = (exc.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class LokiClient:
    def __init__(self, base_url: str, *, tenant: str | None, timeout: float, backoff: Backoff) -> None:
        self._url = base_url.rstrip("/") + "/loki/api/v1/query_range"
        self._tenant = tenant
        self._timeout = timeout
        self._backoff = backoff
        self.requests = 0

    def query_page(
        self, query: str, start_ns: int, end_ns: int, limit: int, direction: str = "forward"
    ) -> list[Entry]:
        """One `query_range` call (retried on transient failures), entries in timestamp order."""
        params = urllib.parse.urlencode(
            {"query": query, "start": start_ns, "end": end_ns, "limit": limit, "direction": direction}
        )
        request = urllib.request.Request(f"{self._url}?{params}", headers={"Accept": "application/json"})
        if self._tenant:
            request.add_header("X-Scope-OrgID", self._tenant)

        def fetch() -> Any:
            self.requests += 1
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())

        try:
            body = self._backoff.call("Loki query_range", fetch, _is_transient, _retry_after)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2048).decode("utf-8", "replace").strip()
            raise LokiError(f"Loki answered HTTP {exc.code} for {query!r}: {detail}") from exc
        except json.JSONDecodeError as exc:
            raise LokiError(f"Loki answered with invalid JSON: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise LokiError(f"Loki at {self._url} failed: {type(exc).__name__}: {exc}") from exc
        return _parse_streams(body)

    def iter_window(self, query: str, start_ns: int, end_ns: int, limit: int) -> Iterator[Entry]:
        """Every entry in [start_ns, end_ns), oldest first, however many pages that takes."""
        seen_at_boundary: set[tuple[int, tuple[tuple[str, str], ...], str]] = set()
        boundary = -1
        while start_ns < end_ns:
            page = self.query_page(query, start_ns, end_ns, limit)
            fresh = 0
            for entry in page:
                key = (entry.ts_ns, entry.stream, entry.line)
                if entry.ts_ns == boundary and key in seen_at_boundary:
                    continue  # returned by the previous page already
                if entry.ts_ns != boundary:
                    boundary, seen_at_boundary = entry.ts_ns, set()
                seen_at_boundary.add(key)
                fresh += 1
                yield entry
            if len(page) < limit:
                return
            if fresh == 0:
                # A whole page inside one nanosecond: read that nanosecond from its other end too.
                yield from self._rest_of_nanosecond(query, boundary, limit, seen_at_boundary)
                start_ns = boundary + 1
            else:
                start_ns = boundary

    def _rest_of_nanosecond(
        self, query: str, ts_ns: int, limit: int, seen: set[tuple[int, tuple[tuple[str, str], ...], str]]
    ) -> Iterator[Entry]:
        """Entries of nanosecond `ts_ns` the forward pages could not reach (Loki cannot page inside it).

        The newest `limit` entries of that nanosecond either overlap the ones already seen (then none
        was missed) or not (then some in between may be, and that is logged).
        """
        newest = self.query_page(query, ts_ns, ts_ns + 1, limit, direction="backward")
        unseen = [e for e in newest if (e.ts_ns, e.stream, e.line) not in seen]
        yield from unseen
        if len(newest) == limit and len(unseen) == len(newest):
            log.warning(
                "%d or more entries at %d ns for %r; any between the oldest and newest %d may be skipped",
                2 * limit,
                ts_ns,
                query,
                limit,
            )


def _parse_streams(body: Any) -> list[Entry]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise LokiError(f"Loki query failed: {str(body)[:500]}")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "streams":
        kind = data.get("resultType") if isinstance(data, dict) else None
        raise LokiError(f"expected a log (streams) result, got {kind!r}")
    result = data.get("result") or []
    if not isinstance(result, list):
        raise LokiError(f"Loki answered with a malformed result: {str(result)[:200]}")
    per_stream: list[list[Entry]] = []
    for stream in result:
        try:
            labels = stream.get("stream") or {}
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
                raise TypeError("labels")
            entries = []
            for ts, line in stream.get("values") or []:
                if not isinstance(line, str):
                    raise TypeError("line")
                entries.append(Entry(int(ts), labels, line))
        except (AttributeError, TypeError, ValueError) as exc:
            raise LokiError(f"Loki answered with a malformed stream entry: {str(stream)[:200]}") from exc
        per_stream.append(entries)
    # Each stream is sorted; merge them so the page is in global timestamp order.
    return list(heapq.merge(*per_stream, key=lambda e: e.ts_ns))
