"""Assemble ``plan.json``, the contract reviewers and tools read (see DESIGN.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..ordering import forget_waits, recorded_waits
from . import policies, wait_reasons
from .critical_path import critical_path, load_durations
from .runner import run_program


def build_plan(project_dir: Path, stack: str) -> dict[str, Any]:
    durations = load_durations(project_dir)
    forget_waits()
    run = run_program(project_dir, stack)
    run.recording.add_inherited_dependencies()
    resources = [resource.to_json() for resource in run.recording.resources]
    unexplained_waits = wait_reasons.annotate(resources, wait_reasons.resolve(recorded_waits()))
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
        "criticalPath": critical_path(resources, durations),
        # Explicit waits between components written without `ordering.after(reason=...)`.
        "unexplainedWaits": unexplained_waits,
    }
