"""The sample fleet of examples/fleet, materialised as stack files in a copy of the project."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from kubeboard_infra.plan import mocks as plan_mocks
from kubeboard_infra.plan import runner
from kubeboard_policy import offline
from tests.conftest import PROJECT_DIR, merge_overlay, stack_file

SAMPLE = PROJECT_DIR / "examples" / "fleet"
HUB = "prod"
SPOKES = ("dev", "staging")
STACKS = ("shared", HUB, *SPOKES)


def overlay(stack: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((SAMPLE / f"{stack}.yaml").read_text(encoding="utf-8"))
    return found


def materialise(project: Path) -> Path:
    """Copy the project's program and account stack into ``project`` and write the fleet's stack files."""
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml"):
        shutil.copy(PROJECT_DIR / name, project / name)
    for stack in (HUB, *SPOKES):
        spec = overlay(stack)
        config = merge_overlay(stack_file(spec["base"])["config"], spec["config"])
        (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return project


SECRET = "kubernetes:core/v1:Secret"
SEEN_SECRETS: dict[tuple[str, str], dict[str, Any]] = {}
"""Each Secret's inputs as the program gave them (stack, name) -> inputs: the plan masks their data."""


class _SeeingMocks(plan_mocks.PlanMocks):
    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ == SECRET:
            SEEN_SECRETS[(self.stack, args.name)] = _unwrapped(dict(args.inputs))
        return super().new_resource(args)


def _unwrapped(value: Any) -> Any:
    """Inputs as the mock runtime gets them, with Pulumi's secret envelopes opened."""
    if isinstance(value, dict):
        if rpc._special_sig_key in value:
            return _unwrapped(value["value"])
        return {key: _unwrapped(item) for key, item in value.items()}
    return value


_PLANS: dict[str, dict[str, Any]] = {}


def fleet_plans(workdir: Path) -> dict[str, dict[str, Any]]:
    """The offline plans of the sample fleet's four stacks (computed once per test process)."""
    if not _PLANS:
        from kubeboard_infra.plan.document import build_plans

        project = materialise(workdir)
        load = offline.load_stack_config
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner, "PlanMocks", _SeeingMocks)
            # staging is judged like dev (its base); the pack has no file of its own for it.
            patch.setattr(
                offline, "load_stack_config", lambda stack: load("dev" if stack == "staging" else stack)
            )
            _PLANS.update(build_plans(project, list(STACKS)))
    return _PLANS
