"""What a fleet is, as plain values: its name, its spokes and waves, the team applications it deploys,
and the rules they follow. The hub's components take it; the ``kubeboard:fleet`` stack-file section
maps onto it and calls the same rules."""

import ipaddress
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

# Refs that never move: a release tag (v1.2.3, v1.2.3-rc.1) or a full commit SHA.
PROMOTED_REVISION = re.compile(r"^(v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
# Argo CD's own name for the cluster it runs in; a spoke may not take it.
IN_CLUSTER_NAME = "in-cluster"
# Where a peered hub VPC lives: the RFC 1918 ranges and the shared address space VPCs may use.
_VPC_RANGES = tuple(
    ipaddress.IPv4Network(r) for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
# How many of a wave's Applications sync at once: a number, or a percentage.
_MAX_UPDATE = re.compile(r"^(\d+|(100|[1-9]?\d)%)$")


class FleetRole(StrEnum):
    """What a stack is in its fleet."""

    NONE = "none"
    """Not part of a fleet: the stack's own Argo CD deploys its own cluster."""
    HUB = "hub"
    """This stack's Argo CD deploys every cluster of the fleet (its own included)."""
    SPOKE = "spoke"
    """The hub's Argo CD deploys this cluster; the stack runs no Argo CD of its own."""


class Wave(StrEnum):
    """Promotion order: every change reaches the dev wave first, then the prod wave."""

    DEV = "dev"
    PROD = "prod"


WAVE_ORDER = (Wave.DEV, Wave.PROD)


class HubPath(StrEnum):
    """How the hub's Argo CD reaches a spoke's Kubernetes API."""

    PRIVATE = "private"
    """Through a private network (VPC peering or a transit gateway): the spoke's API admits ``cidrs``."""
    ALLOW_LIST = "allowList"
    """Through the spoke's public endpoint: ``cidrs`` (the hub's NAT addresses) are in its allow-list."""


class WaveArgs(TypedDict):
    target_revision: str
    """The git revision the wave's clusters run (dev: a branch such as ``main``; prod: a release tag or
    a commit SHA, never a branch). Required."""
    max_update: NotRequired[str]
    """How many of the wave's Applications sync at once: a number (``"1"``; ``"0"`` waits for a person)
    or a percentage (default ``"100%"``)."""


class WavesArgs(TypedDict):
    dev: WaveArgs
    """The dev wave. Required."""
    prod: WaveArgs
    """The prod wave, which follows a release tag or a commit. Required."""


class SpokeArgs(TypedDict):
    name: str
    """The cluster's name in Argo CD (its Applications are ``<app>-<name>``). Required."""
    stack: str
    """The spoke's stack, read through a StackReference for its bridge outputs. Required."""
    wave: Wave
    """The wave the spoke's cluster belongs to. Required."""


class TeamRevisionsArgs(TypedDict):
    dev: str
    """The dev wave's revision of the team's repository. Required."""
    prod: str
    """A release tag or a commit SHA of the team's repository. Required."""


class TeamApplicationArgs(TypedDict):
    name: str
    """The application's name. Required."""
    repository: str
    """The team's HTTPS git repository. Required."""
    path: str
    """The manifests' directory in that repository. Required."""
    revisions: TeamRevisionsArgs
    """The revision each wave runs. Required."""


class FleetArgs(TypedDict):
    """A hub's view of its fleet."""

    name: str
    """The fleet's name: the cluster secrets' ``kubeboard.io/fleet`` label (hub and spokes agree). Required."""
    spokes: NotRequired[list[SpokeArgs]]
    """The spoke stacks the hub deploys (default: none)."""
    hub_wave: NotRequired[Wave]
    """The wave of the hub's own cluster (default ``prod``)."""
    waves: WavesArgs
    """The revision each wave follows. Required."""
    team_applications: NotRequired[list[TeamApplicationArgs]]
    """Team applications deployed to every cluster in the wave order (default: none)."""


FLEET_DEFAULTS: dict[str, Any] = {"spokes": [], "hub_wave": Wave.PROD, "team_applications": []}
WAVE_DEFAULTS: dict[str, Any] = {"max_update": "100%"}


def fleet_problems(fleet: Mapping[str, Any]) -> list[str]:
    """Every reason a hub cannot deploy ``fleet`` (arg paths relative to the fleet)."""
    found: list[str] = []
    waves = fleet.get("waves") or {}
    for wave in WAVE_ORDER:
        settings = waves.get(wave.value)
        if settings is None:
            found.append(f"waves.{wave.value}: required (the revision the {wave.value} wave follows)")
            continue
        max_update = str(settings.get("max_update", WAVE_DEFAULTS["max_update"]))
        if not _MAX_UPDATE.match(max_update):
            found.append(
                f"waves.{wave.value}.max_update: {max_update!r} is neither a number nor a percentage"
            )
    prod = (waves.get("prod") or {}).get("target_revision")
    if prod is not None and not PROMOTED_REVISION.match(str(prod)):
        found.append(f"waves.prod.target_revision: {_moves(prod)}")
    if fleet.get("hub_wave", Wave.PROD) not in set(Wave):
        found.append(f"hub_wave: {fleet['hub_wave']!r} is not one of {', '.join(Wave)}")
    spokes = list(fleet.get("spokes") or [])
    for index, spoke in enumerate(spokes):
        earlier = spokes[:index]
        if spoke["name"] == IN_CLUSTER_NAME:
            found.append(f"spokes[{index}].name: {IN_CLUSTER_NAME!r} is the hub's own cluster")
        if any(other["name"] == spoke["name"] for other in earlier):
            found.append(f"spokes[{index}].name: {spoke['name']!r} is listed twice")
        if any(stack_name(other["stack"]) == stack_name(spoke["stack"]) for other in earlier):
            found.append(f"spokes[{index}].stack: {spoke['stack']!r} is listed twice")
        if spoke.get("wave") not in set(Wave):
            found.append(f"spokes[{index}].wave: {spoke.get('wave')!r} is not one of {', '.join(Wave)}")
    apps = list(fleet.get("team_applications") or [])
    names = [app["name"] for app in apps]
    for index, app in enumerate(apps):
        if app["name"] in names[:index]:
            found.append(f"team_applications[{index}].name: {app['name']!r} is listed twice")
        revision = app["revisions"]["prod"]
        if not PROMOTED_REVISION.match(str(revision)):
            found.append(f"team_applications[{index}].revisions.prod: {_moves(revision)}")
    return found


def hub_network_problems(path: object, cidrs: list[str]) -> list[str]:
    """Why a spoke's API could not admit the hub on ``path`` from ``cidrs`` (paths under ``hub_network``)."""
    if path not in set(HubPath):
        return [f"hub_network.path: {path!r} is not one of {', '.join(HubPath)}"]
    if not cidrs:
        return ["hub_network.cidrs: name how the hub reaches the API (at least one CIDR)"]
    found = []
    for index, cidr in enumerate(cidrs):
        try:
            block = ipaddress.IPv4Network(cidr)
        except (TypeError, ValueError):
            found.append(f"hub_network.cidrs[{index}]: {cidr!r} is not an IPv4 CIDR block")
            continue
        if path == HubPath.PRIVATE and not any(block.subnet_of(r) for r in _VPC_RANGES):
            found.append(
                f"hub_network.cidrs[{index}]: {cidr} is not a private range (path: private; RFC 1918 or "
                "100.64.0.0/10)"
            )
        if path == HubPath.ALLOW_LIST and block.prefixlen < 24:
            found.append(
                f"hub_network.cidrs[{index}]: {cidr} is wider than a /24; list the hub's NAT addresses"
            )
    return found


def max_update_value(text: str) -> int | str:
    """The RollingSync step's ``maxUpdate``: a number as a number, a percentage as text."""
    return int(text) if text.isdigit() else text


def stack_name(reference: str) -> str:
    """``org/project/stack`` -> ``stack``."""
    return reference.rsplit("/", 1)[-1]


def _moves(revision: object) -> str:
    return f"{revision!r} moves with every merge; the prod wave follows a release tag (v1.2.3) or a commit"
