"""`FleetSpoke`: what a spoke's cluster grants its hub.

The hub's Argo CD runs as an IRSA role in the hub's account. The spoke creates a role that only
that hub role may assume, gives it an EKS access entry (cluster admin: the platform chart creates
namespaces, cluster roles and admission policies), and, on a private path, opens the API's port
to the hub's VPC. Argo CD then authenticates with ``awsAuthConfig`` (``aws eks get-token`` under
the assumed role): no long-lived token exists anywhere.
"""

import json
from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from ..args import validate_args
from ..cluster import ACCESS_POLICY
from ..contracts import ClusterAccess
from .config import HubPath, hub_network_problems

KUBERNETES_API_PORT = 443


class HubNetworkArgs(TypedDict):
    """How the hub's Argo CD reaches this cluster's API."""

    path: HubPath
    """``private`` (the API's security group admits ``cidrs``) or ``allowList`` (``cidrs`` are in the
    public endpoint's allow-list). Required."""
    cidrs: list[str]
    """``private``: the hub VPC's CIDR (a private range); ``allowList``: the hub's NAT addresses (/24 or
    narrower). At least one. Required."""


class FleetSpokeArgs(TypedDict):
    name: str
    """Prefix of the role's description and the children's names (the platform name). Required."""
    cluster: ClusterAccess
    """This cluster: the access entry is made on it, the hub's path opened on its security group. Required."""
    hub_role_arns: pulumi.Input[list[str]]
    """The hub's Argo CD roles (the hub stack's ``fleetHubRoleArns``). Required."""
    hub_network: HubNetworkArgs
    """How the hub reaches the API. Required."""


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `FleetSpokeArgs`) cannot admit the hub."""
    network = args.get("hub_network") or {}
    return hub_network_problems(network.get("path"), list(network.get("cidrs") or []))


class FleetSpoke(pulumi.ComponentResource):
    """The role the hub's Argo CD assumes on this cluster, its access entry and network path."""

    access_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FleetSpokeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:FleetSpoke", name, None, opts)
        validate_args("FleetSpoke", args, FleetSpokeArgs, problems)
        cluster = args["cluster"]
        network = args["hub_network"]
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.from_input(args["hub_role_arns"]).apply(
            lambda arns: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "FleetHubArgoCd",
                            "Effect": "Allow",
                            # Named roles, not their account: nobody else there may assume this one.
                            "Principal": {"AWS": sorted(arns)},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(
            f"{name}-access",
            assume_role_policy=trust,
            description=f"The fleet hub's Argo CD on the {args['name']} cluster (EKS access entry only)",
            max_session_duration=3600,
            opts=child,
        )
        # No IAM permissions at all: the role's only power is its access entry on this cluster.
        entry = aws.eks.AccessEntry(
            f"{name}-access-entry",
            cluster_name=cluster["cluster_name"],
            principal_arn=role.arn,
            type="STANDARD",
            opts=child,
        )
        aws.eks.AccessPolicyAssociation(
            f"{name}-cluster-admin",
            cluster_name=cluster["cluster_name"],
            principal_arn=role.arn,
            policy_arn=ACCESS_POLICY.format("AmazonEKSClusterAdminPolicy"),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
        )
        if network["path"] == HubPath.PRIVATE:
            for index, cidr in enumerate(network["cidrs"]):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-api-from-hub-{index}",
                    security_group_id=cluster["node_security_group_id"],
                    description="Fleet hub Argo CD to the Kubernetes API (peered VPC)",
                    ip_protocol="tcp",
                    from_port=KUBERNETES_API_PORT,
                    to_port=KUBERNETES_API_PORT,
                    cidr_ipv4=cidr,
                    opts=child,
                )
        self.access_role_arn = role.arn
        self.register_outputs({"access_role_arn": self.access_role_arn})
