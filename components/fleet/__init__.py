"""A fleet: several environment stacks' clusters deployed by one hub's Argo CD (`kubeboard:fleet`)."""

from .bridge import BRIDGE_OUTPUT, HUB_EGRESS_OUTPUT, HUB_ROLE_OUTPUT
from .hub import FleetHub, FleetHubAccess
from .spoke import FleetSpoke

__all__ = [
    "BRIDGE_OUTPUT",
    "HUB_EGRESS_OUTPUT",
    "HUB_ROLE_OUTPUT",
    "FleetHub",
    "FleetHubAccess",
    "FleetSpoke",
]
