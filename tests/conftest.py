"""Shared fixtures: the project's stack files and their offline plans, built once per session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime.settings import SETTINGS

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")
"""The environment stacks; ``shared`` is the account stack they read (its own fixture below)."""
ACCOUNT_STACK = "shared"


def merge_overlay(base: Any, overlay: Any) -> Any:
    """A stack-file overlay (malformed cases, examples/fleet): mappings merge key by key, ``None``
    removes a key, anything else replaces."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = merge_overlay(base.get(key), value)
        return merged
    return overlay


def stack_file(stack: str) -> dict[str, Any]:
    """The stack file as written, ``config:`` and all."""
    return yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))


@cache
def _plan(stack: str) -> dict[str, Any]:
    from kubeboard_infra.plan.document import build_plan

    return build_plan(PROJECT_DIR, stack)


def plan_for(stack: str) -> dict[str, Any]:
    """The offline plan of one of the project's stacks (computed once per test process)."""
    return _plan(stack)


def account_section() -> dict[str, Any]:
    """``kubeboard:account`` of the account stack, as written."""
    section: dict[str, Any] = stack_file(ACCOUNT_STACK)["config"]["kubeboard:account"]
    return section


def resources_of(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [resource for resource in plan["resources"] if resource["type"] == token]


@pytest.fixture(params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> dict[str, Any]:
    return plan_for(request.param)


@pytest.fixture
def dev_plan() -> dict[str, Any]:
    return plan_for("dev")


@pytest.fixture
def prod_plan() -> dict[str, Any]:
    return plan_for("prod")


@pytest.fixture
def shared_plan() -> dict[str, Any]:
    return plan_for(ACCOUNT_STACK)


@pytest.fixture(autouse=True)
def own_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """Every test gets a current event loop of its own: Pulumi's Outputs and mock runtime need one,
    and an earlier test's ``asyncio.run()`` (the chart renders) leaves none behind, so no test may
    depend on what ran before it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Pulumi awaits every output it ever created before a program ends; outputs an earlier test
    # left pending belong to that test's closed loop and would be awaited forever.
    SETTINGS.outputs = set()
    yield loop
    asyncio.set_event_loop(None)
    loop.close()
