"""`kubeboard:fleet`: several environment stacks' clusters delivered by one Argo CD (K12).

A stack is a hub (its Argo CD deploys the fleet: prod's, in this distribution), a spoke (its
cluster admits the hub's Argo CD role and is deployed by it) or neither (``none``, the default:
the stack's own Argo CD deploys its own cluster). Rules that need another section (a hub runs
Argo CD, a spoke does not; an allow-listed path must be in the endpoint's allow-list) live in
``Settings``.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .gitops import _https_git_url, _relative_path
from .platform import StackReferenceName
from .types import Ipv4Cidr

# Refs that never move: a release tag (v1.2.3, v1.2.3-rc.1) or a full commit SHA.
PROMOTED_REVISION = re.compile(r"^(v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
# Argo CD's own name for the cluster it runs in; a spoke may not take it.
IN_CLUSTER_NAME = "in-cluster"
# Where a peered hub VPC lives: the RFC 1918 ranges and the shared address space VPCs may use.
_VPC_RANGES = tuple(
    ipaddress.IPv4Network(r) for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


class FleetRole(StrEnum):
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


def _promoted(revision: str) -> str:
    if not PROMOTED_REVISION.match(revision):
        raise ValueError(
            f"{revision!r} moves with every merge; the prod wave follows a release tag (v1.2.3) or a commit"
        )
    return revision


Revision = Annotated[str, Field(min_length=1, max_length=255)]


class WaveSettings(Model):
    target_revision: Revision
    """The git revision the wave's clusters run (dev: a branch such as ``main``; prod: a release tag)."""
    max_update: Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=r"^(100|[1-9]?\d)%$")] = "100%"
    """How many of the wave's Applications sync at once (a number or a percentage; 0 waits for a person)."""


class ProdWaveSettings(WaveSettings):
    target_revision: Annotated[str, AfterValidator(_promoted)]
    """A release tag or a commit SHA, never a branch: promoting is a reviewed change of this line."""
    max_update: Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=r"^(100|[1-9]?\d)%$")] = 1
    """One prod cluster at a time, each Healthy before the next."""


class WavesSettings(Model):
    dev: WaveSettings = WaveSettings(target_revision="main")
    prod: ProdWaveSettings


class TeamRevisionsSettings(Model):
    """The revision of a team's repository each wave runs."""

    dev: Revision = "main"
    prod: Annotated[str, AfterValidator(_promoted)]
    """A release tag or a commit SHA of the team's repository."""


class SpokeSettings(Model):
    name: Annotated[str, Field(pattern=_DNS_LABEL)]
    """The cluster's name in Argo CD (its Applications are ``<app>-<name>``)."""
    stack: StackReferenceName
    """The spoke's stack, read through a StackReference for its bridge outputs."""
    wave: Wave


class TeamApplicationSettings(Model):
    """A team's application, deployed to every cluster of the fleet in the wave order, into the team
    namespace named after the cluster's environment (``dev`` or ``prod``, both made by the platform chart)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")]
    repository: Annotated[str, AfterValidator(_https_git_url)]
    path: Annotated[str, AfterValidator(_relative_path)]
    revisions: TeamRevisionsSettings


class HubNetworkSettings(Model):
    path: HubPath
    cidrs: Annotated[list[Ipv4Cidr], Field(min_length=1)]
    """``private``: the hub VPC's CIDR; ``allowList``: the hub's NAT gateway addresses (/32)."""


class FleetSettings(Model):
    role: FleetRole = FleetRole.NONE
    name: Annotated[str, Field(pattern=_DNS_LABEL)] = "kubeboard"
    """The fleet's name: the cluster secrets' ``kubeboard.io/fleet`` label (hub and spokes agree)."""
    # Hub
    spokes: list[SpokeSettings] = Field(default_factory=list)
    hub_wave: Wave = Wave.PROD
    """The wave of the hub's own cluster."""
    waves: WavesSettings | None = None
    """Required on a hub: the revision each wave follows."""
    team_applications: list[TeamApplicationSettings] = Field(default_factory=list)
    # Spoke
    hub_stack: StackReferenceName | None = None
    """A spoke's hub, read for the roles its Argo CD runs as (``fleetHubRoleArns``)."""
    hub_network: HubNetworkSettings | None = None
    """A spoke: how the hub reaches this cluster's API."""

    @model_validator(mode="after")
    def _role_fields(self) -> Self:
        hub_only: dict[str, object] = {
            "spokes": self.spokes,
            "waves": self.waves,
            "teamApplications": self.team_applications,
        }
        spoke_only: dict[str, object] = {"hubStack": self.hub_stack, "hubNetwork": self.hub_network}
        if self.role is not FleetRole.HUB:
            for key, value in hub_only.items():
                if value:
                    raise ValueError(f"{key}: only a hub lists it (role is {self.role.value})")
        if self.role is not FleetRole.SPOKE:
            for key, value in spoke_only.items():
                if value is not None:
                    raise ValueError(f"{key}: only a spoke names it (role is {self.role.value})")
        if self.role is FleetRole.HUB and self.waves is None:
            raise ValueError(
                "waves: a hub names the revision of each wave ({dev: {targetRevision}, prod: ...})"
            )
        if self.role is FleetRole.SPOKE:
            for key, value in spoke_only.items():
                if value is None:
                    raise ValueError(f"{key}: required for a spoke")
        return self

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for index, spoke in enumerate(self.spokes):
            earlier = self.spokes[:index]
            if spoke.name == IN_CLUSTER_NAME:
                raise ValueError(f"spokes[{index}].name: {IN_CLUSTER_NAME!r} is the hub's own cluster")
            if any(other.name == spoke.name for other in earlier):
                raise ValueError(f"spokes[{index}].name: {spoke.name!r} is listed twice")
            if any(_stack(other.stack) == _stack(spoke.stack) for other in earlier):
                raise ValueError(f"spokes[{index}].stack: {spoke.stack!r} is listed twice")
        names = [app.name for app in self.team_applications]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"teamApplications[{index}].name: {name!r} is listed twice")
        return self

    @model_validator(mode="after")
    def _hub_network(self) -> Self:
        network = self.hub_network
        if network is None:
            return self
        for index, cidr in enumerate(network.cidrs):
            block = ipaddress.IPv4Network(cidr)
            if network.path is HubPath.PRIVATE and not any(block.subnet_of(r) for r in _VPC_RANGES):
                raise ValueError(
                    f"hubNetwork.cidrs[{index}]: {cidr} is not a private range (path: private; RFC 1918 or "
                    "100.64.0.0/10)"
                )
            if network.path is HubPath.ALLOW_LIST and block.prefixlen < 24:
                raise ValueError(
                    f"hubNetwork.cidrs[{index}]: {cidr} is wider than a /24; list the hub's NAT addresses"
                )
        return self

    def check_stack(self, stack: str, account_stack: str) -> None:
        """A hub lists other environment stacks; a spoke's hub is another stack. Called by ``Settings``."""
        for index, spoke in enumerate(self.spokes):
            if _stack(spoke.stack) in (stack, _stack(account_stack)):
                what = "this stack" if _stack(spoke.stack) == stack else "the account stack"
                raise ValueError(f"fleet.spokes[{index}].stack: {spoke.stack!r} is {what}, not a spoke")
        if self.hub_stack is not None and _stack(self.hub_stack) in (stack, _stack(account_stack)):
            raise ValueError(f"fleet.hubStack: {self.hub_stack!r} is not another environment stack")


def _stack(reference: str) -> str:
    return reference.rsplit("/", 1)[-1]
