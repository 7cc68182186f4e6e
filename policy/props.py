"""Reading resource properties the way both the CLI and the offline plan hand them over.

The analyzer wraps properties in read-only ``Mapping`` / ``Sequence`` proxies (never ``dict`` /
``list``), numbers arrive as floats and some booleans as strings ("true"), so every policy reads
through these helpers instead of assuming Python types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

SECRET = "[secret]"


def get(props: Any, path: str, default: Any = None) -> Any:
    """``get(props, "vpcConfig.endpointPublicAccess")``; missing steps give ``default``."""
    current = props
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return default
        current = current[step]
    return default if current is None else current


def items(value: Any) -> list[Any]:
    """A property that may be absent, one object or a list, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def tags(props: Any) -> Mapping[str, Any]:
    value = get(props, "tags")
    return value if isinstance(value, Mapping) else {}


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM document given as a JSON string (or already decoded); ``None`` when masked or unreadable."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or value == SECRET:
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, Mapping) else None


def statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if document is None:
        return []
    return [s for s in items(document.get("Statement")) if isinstance(s, Mapping)]


def strings(value: Any) -> list[str]:
    return [v for v in items(value) if isinstance(v, str)]
