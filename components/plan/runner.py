"""Run the project's own ``__main__.py`` under Pulumi's mock runtime and record what it registers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.settings import ROOT, SETTINGS
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from .mocks import PlanMocks
from .recorder import Recording, RecordingMonitor
from .stack_files import StackConfig, StackFileError, read_stack_config

# Where an environment stack names the account stack it reads through a StackReference.
ACCOUNT_REFERENCE = ("kubeboard:platform", "accountStack")
# Where a fleet's hub names its spokes, and a spoke its hub (components/settings/fleet.py).
FLEET_SECTION = "kubeboard:fleet"


class ProgramConfigurationError(Exception):
    """The program refused the stack's configuration (a ``pulumi.RunError`` at start)."""


@dataclass
class ProgramRun:
    config: StackConfig
    recording: Recording


@contextmanager
def _inside(project_dir: Path) -> Iterator[None]:
    # The program is run as the CLI runs it: from its own directory, importable siblings included.
    previous = Path.cwd()
    sys.path.insert(0, str(project_dir))
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous)
        sys.path.remove(str(project_dir))


@dataclass(frozen=True)
class Reference:
    """A StackReference the stack's settings name, as the offline plan resolves it."""

    key: str
    """Where the stack file names it, e.g. ``kubeboard:fleet.spokes[1].stack``."""
    name: str
    """As written: ``<stack>``, ``<organization>/<stack>`` or ``<organization>/<project>/<stack>``."""
    stack: str
    bootstrap: bool = False
    """Answered by the referenced stack as first deployed, before its own references (a hub's
    spokes) exist: a spoke reads only its hub's role, which the hub makes without its spokes."""


def _section(config: StackConfig, section: str) -> dict[str, object]:
    try:
        value = json.loads(config.values.get(section, "{}"))
    except ValueError:
        return {}  # the settings report a malformed section with its key
    return value if isinstance(value, dict) else {}


def stack_references(config: StackConfig) -> list[Reference]:
    """The stacks of this project that ``config`` reads through StackReferences: its account stack,
    a spoke's hub, a hub's spokes. Offline, only stacks of this same project can be run."""
    section, key = ACCOUNT_REFERENCE
    named: list[tuple[str, object, bool]] = [(f"{section}.{key}", _section(config, section).get(key), False)]
    fleet = _section(config, FLEET_SECTION)
    role = fleet.get("role")
    if role == "spoke":
        named.append((f"{FLEET_SECTION}.hubStack", fleet.get("hubStack"), True))
    spokes = fleet.get("spokes") if role == "hub" else None
    if isinstance(spokes, list):
        for index, spoke in enumerate(spokes):
            if isinstance(spoke, dict):
                named.append((f"{FLEET_SECTION}.spokes[{index}].stack", spoke.get("stack"), False))
    references = []
    for where, reference, bootstrap in named:
        if not isinstance(reference, str) or not reference:
            continue
        parts = reference.split("/")
        if len(parts) > 3:
            continue  # not a stack name: the settings say so, naming the key
        if len(parts) == 3 and parts[1] != config.project:
            raise StackFileError(
                config.source,
                [
                    f"{where}: {reference!r} is a stack of project {parts[1]!r}; "
                    f"the offline plan resolves stacks of {config.project!r} only"
                ],
            )
        references.append(Reference(where, reference, parts[-1], bootstrap))
    return references


def bootstrap_overrides(config: StackConfig) -> dict[str, str]:
    """The configuration of a hub's first deployment: the same stack with no spoke yet."""
    fleet = _section(config, FLEET_SECTION)
    if fleet.get("role") != "hub":
        return {}
    return {FLEET_SECTION: json.dumps({**fleet, "spokes": []})}


def run_program(
    project_dir: Path,
    stack: str,
    stack_outputs: Mapping[str, Mapping[str, object]] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
) -> ProgramRun:
    """Run one stack; ``stack_outputs`` answers its StackReferences (stack name -> outputs), and
    ``overrides`` replaces sections of its configuration (``bootstrap_overrides``)."""
    config = read_stack_config(project_dir, stack)
    if overrides:
        config = dataclasses.replace(config, values={**config.values, **overrides})
    # A fresh event loop per run: an earlier asyncio.run() in the same process leaves none behind.
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    # set_mocks keeps the process-wide set of outputs the runtime awaits before finishing; outputs
    # left pending by an earlier run (or a component built outside any run) would be awaited on a
    # loop that no longer runs, and the plan would hang. Each run tracks its own.
    SETTINGS.outputs = set()
    mocks = PlanMocks(region=config.region or "us-east-1", stack=stack, stack_outputs=stack_outputs or {})
    monitor = RecordingMonitor(mocks)
    set_mocks(mocks, project=config.project, stack=stack, preview=False, monitor=monitor)
    # set_mocks makes (and finishes) a root stack of its own; the program gets a fresh one, as under
    # the CLI, so that its exports are registered as the stack's outputs.
    ROOT.set(None)

    def program() -> None:
        runpy.run_path(str(config.main), run_name="__main__")

    with _inside(project_dir):
        try:
            _sync_await(run_in_stack(program))
        except pulumi.RunError as error:
            raise ProgramConfigurationError(str(error)) from None
    return ProgramRun(config, monitor.recording)
