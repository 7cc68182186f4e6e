"""Which stack is being judged, for the few policies that differ between environments.

Under the Pulumi CLI the analyzer configures the runtime from ``PULUMI_STACK``, so ``pulumi.get_stack()``
answers. The offline evaluator sets the stack explicitly for the duration of one evaluation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pulumi

_STACK: ContextVar[str | None] = ContextVar("kubeboard_policy_stack", default=None)

# Stack names treated as production: the stack itself, or a suffixed/prefixed variant ("prod-eu").
_PRODUCTION_NAMES = frozenset({"prod", "production", "prd"})


def current_stack() -> str:
    explicit = _STACK.get()
    if explicit is not None:
        return explicit
    try:
        return pulumi.get_stack()
    except Exception:  # the runtime is not configured: no stack, so nothing is production
        return ""


def is_production(stack: str | None = None) -> bool:
    name = (current_stack() if stack is None else stack).lower()
    parts = name.replace("_", "-").split("-")
    return name in _PRODUCTION_NAMES or parts[0] in _PRODUCTION_NAMES or parts[-1] in _PRODUCTION_NAMES


@contextmanager
def evaluating_stack(stack: str) -> Iterator[None]:
    token = _STACK.set(stack)
    try:
        yield
    finally:
        _STACK.reset(token)
