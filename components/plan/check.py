"""``kubeboard check <plan.json>``: judge a plan produced elsewhere with the same policies and exit codes.

A plan made on another machine, by another version or by hand is re-evaluated from its resources
and outputs alone: whatever its own ``policies`` section says is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import policies


class PlanFileError(Exception):
    """The file is not a readable plan.json."""


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PlanFileError(f"{path}: cannot read a plan.json ({error})") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("resources"), list):
        raise PlanFileError(f"{path}: not a plan.json (no `resources` list)")
    return plan


def judge(plan: dict[str, Any], stack: str | None = None) -> dict[str, Any]:
    """The plan with its ``policies`` section evaluated anew for ``stack`` (default: the plan's own)."""
    name = stack or plan.get("stack")
    if not isinstance(name, str) or not name:
        raise PlanFileError("the plan names no `stack`; pass --stack")
    return {
        **plan,
        "stack": name,
        "policies": policies.evaluate(plan["resources"], plan.get("outputs") or {}, name),
    }
