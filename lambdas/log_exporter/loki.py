"""A minimal Loki `query_range` client (stdlib only) that pages through a window by time.

Loki answers a log query with at most `limit` entries. With `direction=forward` those are the
oldest entries of [start, end); the next page starts at the newest timestamp seen (start is
inclusive), and entries at that boundary timestamp already returned are skipped, as logcli does.
"""

from __future__ import annotations

import heapq
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .retry import Backoff

log = logging.getLogger(__name__)


class LokiError(RuntimeError):
    """Loki rejected the query or answered with something that is not a stream result."""


@dataclass(frozen=True)
class Entry:
    ts_ns: int
    labels: dict[str, str]
    line: str


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, urllib.error.URLError | TimeoutError | ConnectionError | socket.timeout)


class LokiClient:
    def __init__(self, base_url: str, *, tenant: str | None, timeout: float, backoff: Backoff) -> None:
        self._url = base_url.rstrip("/") + "/loki/api/v1/query_range"
        self._tenant = tenant
        self._timeout = timeout
        self._backoff = backoff
        self.requests = 0

    def query_page(self, query: str, start_ns: int, end_ns: int, limit: int) -> list[Entry]:
        """One `query_range` call (retried on 5xx/429/network errors), entries in timestamp order."""
        params = urllib.parse.urlencode(
            {"query": query, "start": start_ns, "end": end_ns, "limit": limit, "direction": "forward"}
        )
        request = urllib.request.Request(f"{self._url}?{params}", headers={"Accept": "application/json"})
        if self._tenant:
            request.add_header("X-Scope-OrgID", self._tenant)

        def fetch() -> Any:
            self.requests += 1
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.load(response)

        try:
            body = self._backoff.call("Loki query_range", fetch, _is_transient)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2048).decode("utf-8", "replace").strip()
            raise LokiError(f"Loki answered HTTP {exc.code} for {query!r}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise LokiError(f"Loki at {self._url} is unreachable: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise LokiError(f"Loki answered with invalid JSON: {exc}") from exc
        return _parse_streams(body)

    def iter_window(self, query: str, start_ns: int, end_ns: int, limit: int) -> Iterator[Entry]:
        """Every entry in [start_ns, end_ns), oldest first, however many pages that takes."""
        seen_at_boundary: set[tuple[int, tuple[tuple[str, str], ...], str]] = set()
        boundary = -1
        while start_ns < end_ns:
            page = self.query_page(query, start_ns, end_ns, limit)
            fresh = 0
            for entry in page:
                key = (entry.ts_ns, tuple(sorted(entry.labels.items())), entry.line)
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
                # More than `limit` entries share one nanosecond: Loki cannot page inside it.
                log.warning(
                    "more than %d entries at %d ns for %r; the rest of that nanosecond is skipped",
                    limit,
                    boundary,
                    query,
                )
                start_ns = boundary + 1
            else:
                start_ns = boundary


def _parse_streams(body: Any) -> list[Entry]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise LokiError(f"Loki query failed: {str(body)[:500]}")
    data = body.get("data") or {}
    if data.get("resultType") != "streams":
        raise LokiError(f"expected a log (streams) result, got {data.get('resultType')!r}")
    per_stream: list[list[Entry]] = []
    for stream in data.get("result") or []:
        labels = stream.get("stream") or {}
        per_stream.append([Entry(int(ts), labels, line) for ts, line in stream.get("values") or []])
    # Each stream is sorted; merge them so the page is in global timestamp order.
    return list(heapq.merge(*per_stream, key=lambda e: e.ts_ns))
