"""Kubernetes quantities and workload resources: the rules every component with pods shares.

Each ``*_problem`` returns the problem without the arg path (the caller adds it), or ``None``.
"""

import re
from typing import Any, TypedDict

from .value_rules import CPU, EMAIL, K8S_NAME

_QUANTITY = re.compile(r"^([1-9]\d*)(Mi|Gi|Ti)$")
_BYTES = {"Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
SMALLEST_VOLUME = 2**30
"""1Gi, the smallest gp3 volume."""


class WorkloadResources(TypedDict):
    """Requests and limits of one workload (O4: requests/limits everywhere)."""

    cpu_request: str
    """CPU request, e.g. ``250m``."""
    memory_request: str
    """Memory request, e.g. ``1Gi``."""
    memory_limit: str
    """Memory limit (>= the request). CPU is not limited (throttling hurts latency); memory is, so a
    leak cannot starve the node."""


def quantity_bytes(text: str) -> int:
    """``"50Gi"`` -> bytes."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a storage size such as 512Mi, 50Gi or 1Ti")
    return int(match.group(1)) * _BYTES[match.group(2)]


def memory_problem(text: object) -> str | None:
    if not isinstance(text, str) or not _QUANTITY.match(text):
        return f"{text!r} is not a storage size such as 512Mi, 50Gi or 1Ti"
    return None


def storage_size_problem(text: object) -> str | None:
    problem = memory_problem(text)
    if problem is None and isinstance(text, str) and quantity_bytes(text) < SMALLEST_VOLUME:
        return f"{text!r} is below 1Gi, the smallest gp3 volume"
    return problem


def cpu_problem(text: object) -> str | None:
    if not isinstance(text, str) or not CPU.match(text):
        return f"{text!r} is not a CPU quantity such as 250m or 2"
    return None


def email_problem(text: object) -> str | None:
    if not isinstance(text, str) or not EMAIL.match(text):
        return f"{text!r} is not an e-mail address"
    return None


def dns_label_problem(text: object) -> str | None:
    if not isinstance(text, str) or not K8S_NAME.match(text):
        return f"{text!r} is not a DNS label (lower case letters, digits and '-', at most 63)"
    return None


def int_range_problem(value: object, low: int, high: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"must be a whole number from {low} to {high} (got {value!r})"
    return None


def resources_problems(path: str, resources: WorkloadResources) -> list[str]:
    """Each quantity readable, and the memory limit at least the request."""
    problems = []
    checks = (
        ("cpu_request", cpu_problem),
        ("memory_request", memory_problem),
        ("memory_limit", memory_problem),
    )
    for key, check in checks:
        problem = check(resources.get(key))
        if problem is not None:
            problems.append(f"{path}.{key}: {problem}")
    if not problems and quantity_bytes(resources["memory_limit"]) < quantity_bytes(
        resources["memory_request"]
    ):
        problems.append(f"{path}.memory_limit: must be >= memory_request ({resources['memory_request']})")
    return problems


def resource_values(resources: WorkloadResources) -> dict[str, dict[str, str]]:
    """A chart's ``resources`` block."""
    return {
        "requests": {"cpu": resources["cpu_request"], "memory": resources["memory_request"]},
        "limits": {"memory": resources["memory_limit"]},
    }


def with_defaults(defaults: dict[str, Any], given: Any) -> dict[str, Any]:
    """``given`` over ``defaults``, key by key into nested sections (a nested default fills what
    its section leaves out; lists and values are replaced whole)."""
    merged: dict[str, Any] = dict(defaults)
    for key, value in dict(given).items():
        default = defaults.get(key)
        merged[key] = (
            with_defaults(default, value) if isinstance(default, dict) and isinstance(value, dict) else value
        )
    return merged
