"""Assemble ``plan.json``, the contract reviewers and tools read (see DESIGN.md)."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..ordering import forget_waits, recorded_waits
from . import aws_limits, policies, wait_reasons
from .collisions import Placement, placement
from .conformance import check_plan
from .critical_path import DurationTable, critical_path, load_durations
from .runner import ACCOUNT_REFERENCE, FLEET_SECTION, bootstrap_overrides, run_program, stack_references
from .stack_files import StackConfig, StackFileError, read_stack_config
from .support import support_warnings

ACCOUNT_SECTION = "kubeboard:account"


def build_plan(project_dir: Path, stack: str, *, today: datetime.date | None = None) -> dict[str, Any]:
    """One stack's plan; a stack it references (its account stack) is planned first, in this process.
    ``today`` is the date support windows are judged at (the day the plan runs by default)."""
    return build_plans(project_dir, [stack], today=today)[stack]


def build_plans(
    project_dir: Path, stacks: Iterable[str], *, today: datetime.date | None = None
) -> dict[str, dict[str, Any]]:
    """The plans of several stacks, by stack; each referenced stack is run once, before its readers."""
    requested = list(dict.fromkeys(stacks))
    durations = load_durations(project_dir)
    plans: dict[str, dict[str, Any]] = {}

    def plan(stack: str, readers: tuple[str, ...]) -> dict[str, Any]:
        if stack not in plans:
            config = read_stack_config(project_dir, stack)
            references, reference = resolve(stack, config, readers)
            where = _placement(project_dir, stack, config, reference)
            plans[stack] = _plan(project_dir, stack, references, where, durations=durations, today=today)
        return plans[stack]

    def resolve(
        stack: str, config: StackConfig, readers: tuple[str, ...]
    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        references: dict[str, dict[str, Any]] = {}
        account = None
        found = stack_references(config)
        if any(reference.key.startswith(FLEET_SECTION) for reference in found):
            _check_settings(config)  # before running the stacks a malformed fleet would name
        for reference in found:
            if reference.key == ".".join(ACCOUNT_REFERENCE):
                account = reference.stack
            if reference.stack == stack or (reference.stack in readers and not reference.bootstrap):
                chain = " -> ".join([*readers, stack, reference.stack])
                raise StackFileError(config.source, [f"stack references form a cycle ({chain})"])
            try:
                read_stack_config(project_dir, reference.stack)
            except StackFileError as error:
                raise StackFileError(
                    config.source, [f"{reference.key}: {reference.name!r}: {error}"]
                ) from None
            if reference.bootstrap:
                # Its hub as first deployed (no spoke yet): no cycle, and the same role it exports.
                references[reference.stack] = outputs_only(reference.stack, (), bootstrap=True)
            elif reference.stack in requested:
                references[reference.stack] = plan(reference.stack, (*readers, stack))["outputs"]
            else:
                references[reference.stack] = outputs_only(reference.stack, (*readers, stack))
        return references, account

    def outputs_only(stack: str, readers: tuple[str, ...], *, bootstrap: bool = False) -> dict[str, Any]:
        # A stack that is only read: its outputs are what counts, the same for the same files.
        config = read_stack_config(project_dir, stack)
        overrides = bootstrap_overrides(config) if bootstrap else {}
        if overrides:
            config = dataclasses.replace(config, values={**config.values, **overrides})
        references, _ = resolve(stack, config, readers)
        key = json.dumps(
            [str(config.main), config.values, references, config.main.read_text()], sort_keys=True
        )
        if key not in _READ_ONLY_OUTPUTS:
            _READ_ONLY_OUTPUTS[key] = run_program(
                project_dir, stack, references, overrides=overrides
            ).recording.outputs
        return _READ_ONLY_OUTPUTS[key]

    for stack in requested:
        plan(stack, ())
    return {stack: plans[stack] for stack in requested}


def _check_settings(config: StackConfig) -> None:
    from ..settings import SettingsError, load_settings

    try:
        load_settings(config.values, source=config.source, secret_keys=config.secret_keys)
    except SettingsError as error:
        raise StackFileError(config.source, error.problems) from None


# Outputs of stacks that were run only to answer another stack's StackReference, by their inputs.
_READ_ONLY_OUTPUTS: dict[str, dict[str, Any]] = {}


def _placement(project_dir: Path, stack: str, config: StackConfig, reference: str | None) -> Placement:
    account_stack = stack if ACCOUNT_SECTION in config.values else reference
    account_config = config if account_stack == stack else None
    if account_stack is not None and account_config is None:
        account_config = read_stack_config(project_dir, account_stack)
    account_id = None
    if account_config is not None:
        try:
            account_id = json.loads(account_config.values.get(ACCOUNT_SECTION, "{}")).get("accountId")
        except (ValueError, AttributeError):
            account_id = None  # the settings report a malformed section with its key
    return placement(stack, account_stack, account_id if isinstance(account_id, str) else None, config.region)


def _plan(
    project_dir: Path,
    stack: str,
    references: dict[str, dict[str, Any]],
    where: Placement,
    *,
    durations: DurationTable,
    today: datetime.date | None,
) -> dict[str, Any]:
    forget_waits()  # the waits `ordering.after` records belong to this run alone
    run = run_program(project_dir, stack, references)
    run.recording.add_inherited_dependencies()
    resources = [resource.to_json() for resource in run.recording.resources]
    unexplained_waits = wait_reasons.annotate(resources, wait_reasons.resolve(recorded_waits()))
    outputs = run.recording.outputs
    counts = Counter(resource["type"] for resource in resources)
    return {
        "project": run.config.project,
        "stack": stack,
        "placement": {"account": where.account, "region": where.region, "references": sorted(references)},
        "summary": {
            "resources": len(resources),
            "byType": dict(sorted(counts.items())),
        },
        # Secrets the stack needs and does not set; a real run asks for each (stack_files.py).
        "secretsRequired": [secret.to_json() for secret in run.config.secrets_required],
        "resources": resources,
        "outputs": outputs,
        "policies": policies.evaluate(resources, outputs, stack),
        "warnings": support_warnings(resources, today or datetime.date.today()),
        "conformance": check_plan(resources),
        "awsLimits": aws_limits.check_plan(resources),
        "criticalPath": critical_path(resources, durations),
        # Explicit waits between components written without `ordering.after(reason=...)`.
        "unexplainedWaits": unexplained_waits,
    }
