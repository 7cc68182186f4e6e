"""`FleetSpoke`: what a spoke's cluster grants its hub.

The hub's Argo CD runs as an IRSA role in the hub's account. The spoke creates a role that only
that hub role may assume, gives it an EKS access entry (cluster admin: the platform chart creates
namespaces, cluster roles and admission policies), and, on a private path, opens the API's port
to the hub's VPC. Argo CD then authenticates with ``awsAuthConfig`` (``aws eks get-token`` under
the assumed role): no long-lived token exists anywhere.
"""

from __future__ import annotations

import json
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from ..cluster import ACCESS_POLICY

KUBERNETES_API_PORT = 443
PRIVATE_PATH = "private"


class FleetSpokeArgs(TypedDict):
    name: str
    """Prefix of the role's description and the children's names (the platform name)."""
    cluster_name: pulumi.Input[str]
    hub_role_arns: pulumi.Input[list[str]]
    """The hub's Argo CD roles (the hub stack's ``fleetHubRoleArns``)."""
    hub_network_path: str
    """``private`` (the API's security group admits ``hub_cidrs``) or ``allowList``."""
    hub_cidrs: list[str]
    cluster_security_group_id: pulumi.Input[str]


class FleetSpoke(pulumi.ComponentResource):
    """The role the hub's Argo CD assumes on this cluster, its access entry and network path."""

    access_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FleetSpokeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:FleetSpoke", name, None, opts)
        if not args["hub_cidrs"]:
            raise ValueError(
                "FleetSpoke: hub_cidrs must name how the hub reaches the API (at least one CIDR)"
            )
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
            cluster_name=args["cluster_name"],
            principal_arn=role.arn,
            type="STANDARD",
            opts=child,
        )
        aws.eks.AccessPolicyAssociation(
            f"{name}-cluster-admin",
            cluster_name=args["cluster_name"],
            principal_arn=role.arn,
            policy_arn=ACCESS_POLICY.format("AmazonEKSClusterAdminPolicy"),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
        )
        if args["hub_network_path"] == PRIVATE_PATH:
            for index, cidr in enumerate(args["hub_cidrs"]):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-api-from-hub-{index}",
                    security_group_id=args["cluster_security_group_id"],
                    description="Fleet hub Argo CD to the Kubernetes API (peered VPC)",
                    ip_protocol="tcp",
                    from_port=KUBERNETES_API_PORT,
                    to_port=KUBERNETES_API_PORT,
                    cidr_ipv4=cidr,
                    opts=child,
                )
        self.access_role_arn = role.arn
        self.register_outputs({"access_role_arn": self.access_role_arn})
