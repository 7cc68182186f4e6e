"""Platform: the one place that knows every component and wires them from the typed settings."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .network import Network
from .settings import Settings


class Platform(pulumi.ComponentResource):
    """The whole Kubeboard platform for one stack."""

    network: Network
    outputs: dict[str, pulumi.Input[object]]
    """What the stack exports, by output name."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Platform", name, None, opts)
        prefix = settings.platform.name
        # One explicit provider: every AWS resource gets the region and the platform's tags.
        aws_provider = aws.Provider(
            "aws",
            region=settings.region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={
                    "Project": "kubeboard",
                    "Environment": settings.platform.environment.value,
                    "ManagedBy": "pulumi",
                    **settings.platform.tags,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[aws_provider])

        network_settings = settings.network
        self.network = Network(
            "network",
            {
                "name": prefix,
                "cluster_name": prefix,
                "cidr": network_settings.cidr,
                "availability_zones": network_settings.availability_zones,
                "public_subnet_cidrs": network_settings.public_subnet_cidrs,
                "private_subnet_cidrs": network_settings.private_subnet_cidrs,
                "intra_subnet_cidrs": network_settings.intra_subnet_cidrs,
                "nat_gateways": network_settings.nat_gateways,
                "endpoints": network_settings.endpoints.model_dump(),
                "flow_log_retention_days": network_settings.flow_logs.retention_days,
                "flow_log_traffic_type": network_settings.flow_logs.traffic_type.value,
            },
            opts=child,
        )

        self.outputs = {
            "vpcId": self.network.vpc_id,
            "publicSubnetIds": self.network.public_subnet_ids,
            "privateSubnetIds": self.network.private_subnet_ids,
        }
        self.register_outputs(self.outputs)
