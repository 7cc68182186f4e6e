"""`kubeboard:network`: the VPC, its subnets, NAT, endpoints and flow logs (F1, D6)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from itertools import combinations
from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import Model
from .types import Ipv4Cidr, RetentionDays

# AWS: a subnet is /16 to /28; a VPC's primary block is /16 to /28.
_SMALLEST_SUBNET_PREFIX = 28
_LARGEST_VPC_PREFIX = 16


class NatGatewayStrategy(StrEnum):
    """How private subnets reach the internet."""

    SINGLE = "single"
    """One NAT gateway in the first AZ: cheap, but an AZ outage cuts egress for all."""
    ONE_PER_AZ = "one-per-az"
    """One NAT gateway per AZ, each private subnet routed to its own: survives an AZ outage."""


class FlowLogTraffic(StrEnum):
    ALL = "ALL"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


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
    retention_days: RetentionDays = 30


class NetworkSettings(Model):
    cidr: Ipv4Cidr
    """The VPC's IPv4 block, /16 to /28."""
    availability_zones: Annotated[list[str], Field(min_length=2, max_length=6)]
    """At least two AZs of the stack's region; every subnet tier gets one subnet per AZ."""
    public_subnet_cidrs: list[Ipv4Cidr]
    """One per AZ, in the same order: load balancers and NAT gateways live here."""
    private_subnet_cidrs: list[Ipv4Cidr]
    """One per AZ: nodes, pods and interface endpoints. Size them for the VPC CNI (a /19 or /20)."""
    intra_subnet_cidrs: list[Ipv4Cidr] = Field(default_factory=list)
    """Optional, one per AZ: no route to the internet at all (EKS control-plane ENIs)."""
    nat_gateways: NatGatewayStrategy = NatGatewayStrategy.ONE_PER_AZ
    endpoints: VpcEndpoints = VpcEndpoints()
    flow_logs: FlowLogs = FlowLogs()

    @model_validator(mode="after")
    def _subnets_fit(self) -> Self:
        vpc = ipaddress.IPv4Network(self.cidr)
        if not _LARGEST_VPC_PREFIX <= vpc.prefixlen <= _SMALLEST_SUBNET_PREFIX:
            raise ValueError(f"cidr: a VPC block must be /16 to /28, got /{vpc.prefixlen}")
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise ValueError(f"availabilityZones: each AZ may appear once, got {self.availability_zones}")
        tiers = {
            "publicSubnetCidrs": self.public_subnet_cidrs,
            "privateSubnetCidrs": self.private_subnet_cidrs,
            "intraSubnetCidrs": self.intra_subnet_cidrs,
        }
        zones = len(self.availability_zones)
        named: list[tuple[str, ipaddress.IPv4Network]] = []
        for key, cidrs in tiers.items():
            if key == "intraSubnetCidrs" and not cidrs:
                continue
            if len(cidrs) != zones:
                raise ValueError(f"{key}: needs one CIDR per availability zone ({zones}), got {len(cidrs)}")
            for index, text in enumerate(cidrs):
                subnet = ipaddress.IPv4Network(text)
                where = f"{key}[{index}]"
                if subnet.prefixlen > _SMALLEST_SUBNET_PREFIX:
                    raise ValueError(f"{where}: {text} is smaller than AWS's smallest subnet (/28)")
                if not subnet.subnet_of(vpc):
                    raise ValueError(f"{where}: {text} does not fit inside the VPC block {self.cidr}")
                named.append((where, subnet))
        for (first, a), (second, b) in combinations(named, 2):
            if a.overlaps(b):
                raise ValueError(f"{second}: {b} overlaps {first} ({a})")
        return self

    def validate_region(self, region: str) -> None:
        """AZs must belong to the stack's region (checked by the root, which knows the region)."""
        for index, zone in enumerate(self.availability_zones):
            if not (zone.startswith(region) and len(zone) == len(region) + 1 and zone[-1].isalpha()):
                raise ValueError(
                    f"network.availabilityZones[{index}]: {zone!r} is not an availability zone of {region}"
                )
