"""Assemble ``plan.json``, the contract reviewers and tools read (see DESIGN.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from . import aws_limits, policies
from .conformance import check_plan
from .runner import run_program


def build_plan(project_dir: Path, stack: str) -> dict[str, Any]:
    run = run_program(project_dir, stack)
    resources = [resource.to_json() for resource in run.recording.resources]
    outputs = run.recording.outputs
    counts = Counter(resource["type"] for resource in resources)
    return {
        "project": run.config.project,
        "stack": stack,
        "summary": {
            "resources": len(resources),
            "byType": dict(sorted(counts.items())),
        },
        "resources": resources,
        "outputs": outputs,
        "policies": policies.evaluate(resources, outputs, stack),
        "conformance": check_plan(resources),
        "awsLimits": aws_limits.check_plan(resources),
    }
