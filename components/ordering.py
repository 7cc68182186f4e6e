"""Ordering between components, written one way only: ``after(resources, reason=...)``.

Every wait between components stretches the time to a working platform, so each one states the
real need behind it (a webhook that must be up, a CRD that must exist, a role pods assume). The
offline plan reads the reasons back and refuses a component-level ``depends_on`` that has none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Wait:
    """Resources something waits for, and why."""

    resources: tuple[pulumi.Resource, ...]
    reason: str


_waits: list[Wait] = []


def after(
    resources: Iterable[pulumi.Resource], *, reason: str, opts: pulumi.ResourceOptions | None = None
) -> pulumi.ResourceOptions:
    """`opts` (if any) merged with ``depends_on=resources``, the reason kept for the plan."""
    waited_for = tuple(resources)
    if not reason.strip():
        raise ValueError("after(): a wait between components needs a reason")
    if waited_for:
        _waits.append(Wait(waited_for, reason.strip()))
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(waited_for)))


def recorded_waits() -> list[Wait]:
    """The waits declared since the last `forget_waits` (one program run)."""
    return list(_waits)


def forget_waits() -> None:
    _waits.clear()
