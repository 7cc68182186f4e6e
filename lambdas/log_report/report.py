"""The report document: what the JSON file holds and what the HTML page shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .aggregate import Aggregate


def iso_from_ns(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest // 1000)
    return stamp.isoformat().replace("+00:00", "Z")


def build_report(
    agg: Aggregate, *, bucket: str, key: str, window: dict[str, str], generated_at: datetime
) -> dict[str, Any]:
    ordered = sorted(agg.groups.items(), key=lambda item: (-item[1].count, item[0]))
    return {
        "source": {"bucket": bucket, "key": key},
        "window": window,
        "generatedAt": generated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "totals": {
            "lines": agg.lines,
            "errors": agg.errors,
            "malformed": agg.malformed,
            "groups": len(agg.groups),
        },
        "malformedReasons": dict(sorted(agg.malformed_reasons.items())),
        "namespaces": {ns: {"errors": count} for ns, count in sorted(agg.per_namespace.items())},
        "groups": [
            {
                "namespace": namespace,
                "app": app,
                "signature": sig,
                "count": group.count,
                "firstSeen": iso_from_ns(group.first_ns),
                "lastSeen": iso_from_ns(group.last_ns),
                "sample": group.sample,
            }
            for (namespace, app, sig), group in ordered
        ],
    }
