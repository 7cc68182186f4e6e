"""EKS managed node groups: private subnets only, IMDSv2 with hop limit 1, encrypted gp3, no SSH.

Nodes are reached through SSM Session Manager (the role carries AmazonSSMManagedInstanceCore), so
no key pair and no inbound port exist. The hop limit of 1 keeps pods from borrowing the node's
role through IMDS: pods get AWS access only through IRSA.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

NODE_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    # Pull-only (no List/Describe of every repository), enough for the kubelet to pull images.
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    # Session Manager instead of SSH keys and bastions (F1).
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
# The VPC CNI's permissions are not here: the vpc-cni add-on has its own IRSA role.

# EKS taint effects as the node group API spells them -> as Kubernetes (and the autoscaler) do.
TAINT_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


class TaintArgs(TypedDict):
    key: str
    value: NotRequired[str]
    effect: str
    """``NO_SCHEDULE``, ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE``."""


class NodeGroupArgs(TypedDict):
    name: str
    instance_types: list[str]
    capacity_type: str
    """``ON_DEMAND`` or ``SPOT``."""
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    ami_type: str
    """An AL2023 AMI type, e.g. ``AL2023_x86_64_STANDARD``."""
    labels: NotRequired[dict[str, str]]
    taints: NotRequired[list[TaintArgs]]


def node_role(name: str, *, opts: pulumi.ResourceOptions) -> aws.iam.Role:
    """The role every managed node group's instances run as."""
    role = aws.iam.Role(
        f"{name}-node",
        description=f"EKS managed nodes of {name}",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        opts=opts,
    )
    for arn in NODE_MANAGED_POLICIES:
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{arn.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=arn,
            opts=pulumi.ResourceOptions(parent=role),
        )
    return role


def launch_template(
    name: str, group: NodeGroupArgs, *, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> aws.ec2.LaunchTemplate:
    """Instance settings EKS cannot set itself: IMDSv2 only, hop limit 1, encrypted gp3 root."""
    instance_tags = {**tags, "Name": f"{name}-{group['name']}"}
    return aws.ec2.LaunchTemplate(
        f"{name}-{group['name']}",
        description=f"Nodes of {name}/{group['name']}",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=1,
            instance_metadata_tags="disabled",
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                # The root device of the AL2023 EKS AMIs.
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=group["disk_size_gib"],
                    volume_type="gp3",
                    encrypted="true",
                    delete_on_termination="true",
                ),
            )
        ],
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=instance_tags),
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=instance_tags),
        ],
        opts=opts,
    )


def managed_node_group(
    name: str,
    group: NodeGroupArgs,
    *,
    cluster_name: str,
    kubernetes_version: str,
    role: aws.iam.Role,
    subnet_ids: pulumi.Input[Sequence[str]],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.eks.NodeGroup:
    """One managed node group in the given (private) subnets.

    cluster-autoscaler tags its ASG itself (`addons.cluster_autoscaler`): the add-on owns its tags.

    `opts` must make the group depend on the cluster (and the CNI): the name alone does not.
    """
    template = launch_template(name, group, tags=tags, opts=opts)
    return aws.eks.NodeGroup(
        f"{name}-{group['name']}",
        cluster_name=cluster_name,
        version=kubernetes_version,
        node_role_arn=role.arn,
        subnet_ids=subnet_ids,
        ami_type=group["ami_type"],
        capacity_type=group["capacity_type"],
        instance_types=group["instance_types"],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            min_size=group["min_size"], desired_size=group["desired_size"], max_size=group["max_size"]
        ),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str)
        ),
        labels={**(group.get("labels") or {}), "kubeboard.io/node-group": group["name"]},
        taints=[
            aws.eks.NodeGroupTaintArgs(key=t["key"], value=t.get("value"), effect=t["effect"])
            for t in group.get("taints") or []
        ],
        tags=dict(tags),
        opts=pulumi.ResourceOptions.merge(
            opts,
            # cluster-autoscaler owns the desired size once the group exists; a later `up` must not
            # undo its decisions.
            pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"]),
        ),
    )
