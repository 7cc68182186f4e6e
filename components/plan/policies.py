"""Policy results for the offline plan: the policy pack's own policies, plus the plan's secret check."""

from __future__ import annotations

import json
from typing import Any

from ..settings.secrets import PLAN_PLACEHOLDER_PREFIX

SECRET_POLICY = "secrets-never-in-clear"


def _secret_leaks(resources: list[dict[str, Any]], outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """A stack-file secret that reached an input or output unmasked is a leak, whatever the pack says."""
    results = []
    for resource in resources:
        if PLAN_PLACEHOLDER_PREFIX in json.dumps(resource["inputs"]):
            results.append(
                {
                    "policy": SECRET_POLICY,
                    "level": "mandatory",
                    "urn": resource["urn"],
                    "message": "a secret from the stack file reaches this resource's inputs in clear; "
                    "wrap it with pulumi.Output.secret",
                }
            )
    for name, value in outputs.items():
        if PLAN_PLACEHOLDER_PREFIX in json.dumps(value):
            results.append(
                {
                    "policy": SECRET_POLICY,
                    "level": "mandatory",
                    "urn": None,
                    "message": f"stack output {name!r} exposes a secret from the stack file in clear",
                }
            )
    return results


def evaluate(resources: list[dict[str, Any]], outputs: dict[str, Any], stack: str) -> dict[str, Any]:
    try:
        from kubeboard_policy.offline import evaluate as evaluate_pack
    except ImportError:  # the pack is optional for programs that import only the components
        section: dict[str, Any] = {"evaluated": [], "results": [], "mandatoryViolations": 0}
    else:
        section = evaluate_pack(resources, stack)
    leaks = _secret_leaks(resources, outputs)
    section["evaluated"] = [*section["evaluated"], SECRET_POLICY]
    section["results"] = [*section["results"], *leaks]
    section["mandatoryViolations"] = sum(1 for r in section["results"] if r["level"] == "mandatory")
    return section
