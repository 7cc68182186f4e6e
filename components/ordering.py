"""Ordering between components, written one way only: ``after(resources, reason=...)``.

Every wait between components stretches the time to a working platform, so each one states the
real need behind it (a webhook that must be up, a CRD that must exist, a role pods assume). The
offline plan reads the reasons back and refuses a component-level ``depends_on`` that has none.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

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


def split_waits(
    opts: pulumi.ResourceOptions | None,
) -> tuple[list[pulumi.Resource], pulumi.ResourceOptions | None]:
    """The resources ``opts.depends_on`` names, and a copy of `opts` without them.

    A component's ``depends_on`` would hold back every child, its AWS roles and buckets included.
    The components that take waits in `opts` register without them and give them to the children
    that need them (a Helm release, an Ingress-bearing release), so the rest starts at once.
    """
    if opts is None or opts.depends_on is None:
        return [], opts
    depends_on = opts.depends_on
    waits = list(depends_on) if isinstance(depends_on, Sequence) else [depends_on]
    if not all(isinstance(wait, pulumi.Resource) for wait in waits):
        raise TypeError("depends_on: give resources (as ordering.after does), not outputs of them")
    rest = copy.copy(opts)
    rest.depends_on = None
    return cast(list[pulumi.Resource], waits), rest


def recorded_waits() -> list[Wait]:
    """The waits declared since the last `forget_waits` (one program run)."""
    return list(_waits)


def forget_waits() -> None:
    _waits.clear()
