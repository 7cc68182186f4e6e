"""`kubeboard:network`: the VPC, its subnets, NAT, endpoints and flow logs (F1, D6).

The rules live with the component (`kubeboard_infra.network.problems`); this section calls them on
the values it hands the component, so a stack file and a direct call are refused alike.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..network import FlowLogTraffic, NatGatewayStrategy, NetworkConfig, problems
from .base import Model, raise_first
from .types import Ipv4Cidr

__all__ = ["FlowLogTraffic", "FlowLogs", "NatGatewayStrategy", "NetworkSettings", "VpcEndpoints"]


# Where the stack file keeps what the component takes under another name.
_STACK_KEYS = {
    "flow_log_retention_days": "flow_logs.retention_days",
    "flow_log_traffic_type": "flow_logs.traffic_type",
}


class VpcEndpoints(Model):
    """Private paths to AWS APIs, so nodes pull images and get credentials without the NAT."""

    s3: bool = True
    """S3 gateway endpoint (free; ECR image layers come from S3)."""
    ecr_api: bool = True
    ecr_dkr: bool = True
    sts: bool = True
    """Needed by IRSA: pods exchange their token for credentials at STS."""
    logs: bool = True


class FlowLogs(Model):
    """Flow logs are always on (there is deliberately no switch); only what and how long are settable."""

    traffic_type: FlowLogTraffic = FlowLogTraffic.ALL
    retention_days: int = 30
    """A CloudWatch Logs retention value."""


class NetworkSettings(Model):
    cidr: Ipv4Cidr
    """The VPC's IPv4 block, /16 to /28."""
    availability_zones: list[str]
    """Two to six AZs of the stack's region; every subnet tier gets one subnet per AZ."""
    public_subnet_cidrs: list[Ipv4Cidr]
    """One per AZ, in the same order: load balancers and NAT gateways live here."""
    private_subnet_cidrs: list[Ipv4Cidr]
    """One per AZ: nodes, pods and interface endpoints. Size them for the VPC CNI (a /19 or /20)."""
    intra_subnet_cidrs: list[Ipv4Cidr] = Field(default_factory=list)
    """Optional, one per AZ: no route to the internet at all (EKS control-plane ENIs)."""
    nat_gateways: NatGatewayStrategy = NatGatewayStrategy.ONE_PER_AZ
    endpoints: VpcEndpoints = VpcEndpoints()
    flow_logs: FlowLogs = FlowLogs()

    def to_config(self) -> NetworkConfig:
        """The `Network` component's values from this section."""
        return {
            "cidr": self.cidr,
            "availability_zones": list(self.availability_zones),
            "public_subnet_cidrs": list(self.public_subnet_cidrs),
            "private_subnet_cidrs": list(self.private_subnet_cidrs),
            "intra_subnet_cidrs": list(self.intra_subnet_cidrs),
            "nat_gateways": self.nat_gateways,
            "endpoints": {
                "s3": self.endpoints.s3,
                "ecr_api": self.endpoints.ecr_api,
                "ecr_dkr": self.endpoints.ecr_dkr,
                "sts": self.endpoints.sts,
                "logs": self.endpoints.logs,
            },
            "flow_log_retention_days": self.flow_logs.retention_days,
            "flow_log_traffic_type": self.flow_logs.traffic_type,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_config()), _STACK_KEYS)
        return self

    def validate_region(self, region: str) -> None:
        """AZs must belong to the stack's region (checked by the root, which knows the region)."""
        for index, zone in enumerate(self.availability_zones):
            if not (zone.startswith(region) and len(zone) == len(region) + 1 and zone[-1].isalpha()):
                raise ValueError(
                    f"network.availabilityZones[{index}]: {zone!r} is not an availability zone of {region}"
                )
