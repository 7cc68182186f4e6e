"""`kubeboard:fleet`: several environment stacks' clusters delivered by one Argo CD (K12).

A stack is a hub (its Argo CD deploys the fleet: prod's, in this distribution), a spoke (its
cluster admits the hub's Argo CD role and is deployed by it) or neither (``none``, the default:
the stack's own Argo CD deploys its own cluster). Rules that need another section (a hub runs
Argo CD, a spoke does not; an allow-listed path must be in the endpoint's allow-list) live in
``Settings``.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from ..fleet.config import (
    FleetArgs,
    FleetRole,
    HubPath,
    Wave,
    fleet_problems,
    hub_network_problems,
    stack_name,
)
from .base import Model, raise_first
from .gitops import _https_git_url, _relative_path
from .platform import StackReferenceName
from .types import Ipv4Cidr

__all__ = ["FleetRole", "FleetSettings", "HubPath", "Wave"]  # the enums are the library's

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


Revision = Annotated[str, Field(min_length=1, max_length=255)]


class WaveSettings(Model):
    target_revision: Revision
    """The git revision the wave's clusters run (dev: a branch such as ``main``; prod: a release tag)."""
    max_update: int | str = "100%"
    """How many of the wave's Applications sync at once (a number or a percentage; 0 waits for a person)."""


class ProdWaveSettings(WaveSettings):
    target_revision: Revision
    """A release tag or a commit SHA, never a branch: promoting is a reviewed change of this line."""
    max_update: int | str = 1
    """One prod cluster at a time, each Healthy before the next."""


class WavesSettings(Model):
    dev: WaveSettings = WaveSettings(target_revision="main")
    prod: ProdWaveSettings


class TeamRevisionsSettings(Model):
    """The revision of a team's repository each wave runs."""

    dev: Revision = "main"
    prod: str
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
    cidrs: list[Ipv4Cidr]
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

    def hub_config(self) -> FleetArgs:
        """The hub components' view of the fleet (a hub names its ``waves``)."""
        waves = self.waves
        if waves is None:
            raise ValueError(
                "waves: a hub names the revision of each wave ({dev: {targetRevision}, prod: ...})"
            )
        return {
            "name": self.name,
            "spokes": [{"name": s.name, "stack": s.stack, "wave": s.wave} for s in self.spokes],
            "hub_wave": self.hub_wave,
            "waves": {
                "dev": {
                    "target_revision": waves.dev.target_revision,
                    "max_update": str(waves.dev.max_update),
                },
                "prod": {
                    "target_revision": waves.prod.target_revision,
                    "max_update": str(waves.prod.max_update),
                },
            },
            "team_applications": [
                {
                    "name": app.name,
                    "repository": app.repository,
                    "path": app.path,
                    "revisions": {"dev": app.revisions.dev, "prod": app.revisions.prod},
                }
                for app in self.team_applications
            ],
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        found = fleet_problems(self.hub_config()) if self.role is FleetRole.HUB else []
        if self.hub_network is not None:
            found += hub_network_problems(self.hub_network.path, list(self.hub_network.cidrs))
        raise_first(found)
        return self

    def check_stack(self, stack: str, account_stack: str) -> None:
        """A hub lists other environment stacks; a spoke's hub is another stack. Called by ``Settings``."""
        for index, spoke in enumerate(self.spokes):
            if stack_name(spoke.stack) in (stack, stack_name(account_stack)):
                what = "this stack" if stack_name(spoke.stack) == stack else "the account stack"
                raise ValueError(f"fleet.spokes[{index}].stack: {spoke.stack!r} is {what}, not a spoke")
        if self.hub_stack is not None and stack_name(self.hub_stack) in (stack, stack_name(account_stack)):
            raise ValueError(f"fleet.hubStack: {self.hub_stack!r} is not another environment stack")
