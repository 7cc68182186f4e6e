"""How long a first ``pulumi up`` and a ``pulumi destroy`` take, modeled on the plan's graph.

Each resource starts once everything it waits for is done (its recorded dependencies, inherited
ones included, its provider and its parent) and takes the time `durations.yaml` gives its type.
The longest chain is the deploy critical path. Destroying runs the same graph backwards: nothing
is deleted before every resource that waits for it is gone. The floor is what EKS itself imposes:
the control plane, its node groups, the managed add-ons that need nodes, and one release after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as package_files
from pathlib import Path
from typing import Any, Literal

import yaml

Phase = Literal["create", "delete"]
PHASES: tuple[Phase, ...] = ("create", "delete")
PROJECT_FILE = "kubeboard-durations.yaml"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CLUSTER_TYPES = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
MANAGED_ADDON_TYPE = "aws:eks/addon:Addon"


class DurationsError(Exception):
    """A durations file is unreadable or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    type: str
    inputs: Mapping[str, Any]
    seconds: Mapping[Phase, int]

    def matches(self, resource: Mapping[str, Any]) -> bool:
        if resource["type"] != self.type:
            return False
        recorded = resource.get("inputs") or {}
        return all(recorded.get(key) == value for key, value in self.inputs.items())


@dataclass(frozen=True)
class DurationTable:
    rules: tuple[Rule, ...]
    default: Mapping[Phase, int]
    component: Mapping[Phase, int]
    sources: tuple[str, ...]
    """Where the table came from: the packaged defaults, then the project's file if any."""

    def seconds(self, resource: Mapping[str, Any], phase: Phase) -> int:
        # Rules first: a remote component (pulumi-eks' Cluster) is one registration doing real work.
        for rule in self.rules:
            if rule.matches(resource):
                return rule.seconds[phase]
        return self.default[phase] if resource.get("custom", True) else self.component[phase]

    def seconds_for_type(self, token: str, phase: Phase) -> int:
        return self.seconds({"type": token, "custom": True, "inputs": {}}, phase)


def _phases(value: Any, where: str) -> dict[Phase, int]:
    if not isinstance(value, Mapping) or set(value) - {"create", "delete", "type", "inputs"}:
        raise DurationsError(f"{where}: must be a mapping with `create` and `delete` seconds")
    seconds: dict[Phase, int] = {}
    for phase in PHASES:
        number = value.get(phase)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise DurationsError(f"{where}.{phase}: must be a whole number of seconds >= 0, got {number!r}")
        seconds[phase] = number
    return seconds


def _parse(document: Any, source: str) -> tuple[list[Rule], dict[Phase, int] | None, dict[Phase, int] | None]:
    if document is None:
        return [], None, None
    if not isinstance(document, Mapping):
        raise DurationsError(
            f"{source}: must be a mapping with `rules` (and optionally `default`, `component`)"
        )
    unknown = set(document) - {"default", "rules", "component"}
    if unknown:
        raise DurationsError(
            f"{source}: {sorted(unknown)[0]}: unknown key (expected default, rules, component)"
        )
    rules_value = document.get("rules") or []
    if not isinstance(rules_value, list):
        raise DurationsError(f"{source}: rules: must be a list")
    rules = []
    for index, rule in enumerate(rules_value):
        where = f"{source}: rules[{index}]"
        seconds = _phases(rule, where)
        token, inputs = rule.get("type"), rule.get("inputs") or {}
        if not isinstance(token, str) or token.count(":") < 2:
            raise DurationsError(f"{where}.type: must be a resource type token such as aws:eks/addon:Addon")
        if not isinstance(inputs, Mapping):
            raise DurationsError(f"{where}.inputs: must be a mapping of input name to value")
        rules.append(Rule(token, dict(inputs), seconds))
    default = _phases(document["default"], f"{source}: default") if "default" in document else None
    component = _phases(document["component"], f"{source}: component") if "component" in document else None
    return rules, default, component


def _read(path: Path, label: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DurationsError(f"{label}: cannot read it as YAML ({error})") from None


def load_durations(project_dir: Path | None = None) -> DurationTable:
    """The packaged table, with the project's ``kubeboard-durations.yaml`` (if any) over it."""
    packaged = package_files.files(__package__).joinpath("durations.yaml")
    rules, default, component = _parse(yaml.safe_load(packaged.read_text(encoding="utf-8")), "durations.yaml")
    assert default is not None and component is not None  # the packaged table has both
    sources = ["durations.yaml (packaged)"]
    override = project_dir / PROJECT_FILE if project_dir is not None else None
    if override is not None and override.exists():
        own_rules, own_default, own_component = _parse(_read(override, PROJECT_FILE), PROJECT_FILE)
        rules = own_rules + rules
        default = own_default or default
        component = own_component or component
        sources.append(PROJECT_FILE)
    return DurationTable(tuple(rules), default, component, tuple(sources))


@dataclass(frozen=True)
class Step:
    urn: str
    start: int
    finish: int

    @property
    def seconds(self) -> int:
        return self.finish - self.start


@dataclass(frozen=True)
class Schedule:
    phase: Phase
    steps: dict[str, Step]
    """Every resource's modeled start and finish, by URN."""
    chain: list[Step]
    """The longest chain, first step first."""

    @property
    def total(self) -> int:
        return max((step.finish for step in self.steps.values()), default=0)


def waits_for(resource: Mapping[str, Any], known: Iterable[str] | None = None) -> list[str]:
    """What the engine waits for before creating `resource`: dependencies, provider and parent."""
    edges = [*(resource.get("dependencies") or ()), resource.get("provider"), resource.get("parent")]
    seen = set(known) if known is not None else None
    return sorted({urn for urn in edges if urn and (seen is None or urn in seen)})


def _schedule(
    order: Sequence[str],
    before: Mapping[str, list[str]],
    seconds: Mapping[str, int],
    phase: Phase,
) -> Schedule:
    steps: dict[str, Step] = {}
    came_from: dict[str, str | None] = {}

    def visit(urn: str) -> Step:
        # Iterative depth-first evaluation: deep component trees must not hit the recursion limit.
        stack = [urn]
        while stack:
            current = stack[-1]
            if current in steps:
                stack.pop()
                continue
            pending = [p for p in before[current] if p not in steps]
            if pending:
                if any(p in stack for p in pending):
                    raise ValueError(f"the plan's dependencies form a cycle through {current}")
                stack.extend(pending)
                continue
            latest = max(before[current], key=lambda p: steps[p].finish, default=None)
            start = steps[latest].finish if latest is not None else 0
            steps[current] = Step(current, start, start + seconds[current])
            came_from[current] = latest
            stack.pop()
        return steps[urn]

    for urn in order:
        visit(urn)
    chain: list[Step] = []
    last = max(order, key=lambda urn: steps[urn].finish, default=None)
    while last is not None:
        chain.append(steps[last])
        last = came_from[last]
    chain.reverse()
    return Schedule(phase, steps, chain)


def deploy_schedule(resources: Sequence[Mapping[str, Any]], table: DurationTable) -> Schedule:
    urns = [r["urn"] for r in resources]
    before = {r["urn"]: waits_for(r, urns) for r in resources}
    seconds = {r["urn"]: table.seconds(r, "create") for r in resources}
    return _schedule(urns, before, seconds, "create")


def destroy_schedule(resources: Sequence[Mapping[str, Any]], table: DurationTable) -> Schedule:
    """Deleting a resource waits until everything that waited for it at deploy time is deleted."""
    urns = [r["urn"] for r in resources]
    after: dict[str, list[str]] = {urn: [] for urn in urns}
    for resource in resources:
        for prerequisite in waits_for(resource, urns):
            after[prerequisite].append(resource["urn"])
    seconds = {r["urn"]: table.seconds(r, "delete") for r in resources}
    return _schedule(urns, after, seconds, "delete")


def floor_seconds(
    resources: Sequence[Mapping[str, Any]], table: DurationTable, deploy: Schedule
) -> int | None:
    """When EKS alone lets the first release finish: the cluster, its first node group, the managed
    add-ons (those that need nodes come after it), then one Helm release. None without a cluster."""
    clusters = [r for r in resources if r["type"] in CLUSTER_TYPES]
    if not clusters:
        return None
    node_groups = [r for r in resources if r["type"] == NODE_GROUP_TYPE][:1]
    addons = [r for r in resources if r["type"] == MANAGED_ADDON_TYPE]
    ready = max(deploy.steps[r["urn"]].finish for r in [*clusters, *node_groups, *addons])
    return ready + table.seconds_for_type(RELEASE_TYPE, "create")


def _step_json(step: Step, by_urn: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    resource = by_urn[step.urn]
    return {
        "urn": step.urn,
        "type": resource["type"],
        "name": resource["name"],
        "start": step.start,
        "seconds": step.seconds,
        "finish": step.finish,
    }


def _chain_json(schedule: Schedule, by_urn: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    # Components take no time; the chain shows what takes time, and the components it passes keep
    # their place through the steps' start times.
    return [
        _step_json(step, by_urn)
        for step in schedule.chain
        if by_urn[step.urn].get("custom", True) or step.seconds > 0
    ]


def critical_path(resources: Sequence[Mapping[str, Any]], table: DurationTable) -> dict[str, Any]:
    """The ``criticalPath`` section of plan.json: the deploy and destroy chains and their totals."""
    by_urn = {r["urn"]: r for r in resources}
    deploy = deploy_schedule(resources, table)
    destroy = destroy_schedule(resources, table)
    floor = floor_seconds(resources, table, deploy)
    releases = sorted(
        (destroy.steps[r["urn"]] for r in resources if r["type"] == RELEASE_TYPE),
        key=lambda step: (step.start, step.urn),
    )
    return {
        "durations": list(table.sources),
        "deploy": {
            "seconds": deploy.total,
            "floorSeconds": floor,
            "ratioToFloor": round(deploy.total / floor, 3) if floor else None,
            "chain": _chain_json(deploy, by_urn),
            "steps": {urn: [step.start, step.finish] for urn, step in deploy.steps.items()},
        },
        "destroy": {
            "seconds": destroy.total,
            "chain": _chain_json(destroy, by_urn),
            "releaseOrder": [_step_json(step, by_urn) for step in releases],
            "protected": sorted(r["urn"] for r in resources if r.get("protect")),
        },
    }
