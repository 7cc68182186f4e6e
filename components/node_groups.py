"""EKS managed node groups: private subnets only, IMDSv2 with hop limit 1, encrypted gp3, no SSH.

Nodes are reached through SSM Session Manager (the role carries AmazonSSMManagedInstanceCore), so
no key pair and no inbound port exist. The hop limit of 1 keeps pods from borrowing the node's
role through IMDS: pods get AWS access only through IRSA.
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

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
# EKS managed node groups: at most 450 nodes; EBS gp3 root volumes: 20 GiB (the AMI) to 16 TiB;
# a node group takes at most 20 instance types.
MAX_NODES = 450
MIN_DISK_GIB = 20
MAX_DISK_GIB = 16384
MAX_INSTANCE_TYPES = 20
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


class CapacityType(StrEnum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"
    """Up to 90% cheaper; nodes can be reclaimed with two minutes' notice."""


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NO_SCHEDULE"
    NO_EXECUTE = "NO_EXECUTE"
    PREFER_NO_SCHEDULE = "PREFER_NO_SCHEDULE"


class AmiType(StrEnum):
    """AL2023 only: the launch template's root device (/dev/xvda) and IMDS settings assume it."""

    AL2023_X86_64 = "AL2023_x86_64_STANDARD"
    AL2023_ARM_64 = "AL2023_ARM_64_STANDARD"


class TaintArgs(TypedDict):
    key: str
    """The taint's key. Required."""
    value: NotRequired[str]
    """The taint's value (default: empty)."""
    effect: TaintEffect
    """``NO_SCHEDULE``, ``NO_EXECUTE`` or ``PREFER_NO_SCHEDULE``. Required."""


class NodeGroupArgs(TypedDict):
    name: str
    """The group's name (3 to 32 lower-case letters, digits and dashes). Required."""
    instance_types: list[str]
    """1 to 20 EC2 instance types, e.g. ``m7i.large``; a SPOT group needs at least two. Required."""
    capacity_type: NotRequired[CapacityType]
    """``ON_DEMAND`` (default) or ``SPOT``."""
    min_size: int
    """At least 0. Required."""
    desired_size: int
    """Between ``min_size`` and ``max_size``. Required."""
    max_size: int
    """1 to 450, at least ``min_size``. Required."""
    disk_size_gib: NotRequired[int]
    """The encrypted gp3 root volume, 20 to 16,384 GiB (default 50)."""
    ami_type: NotRequired[AmiType]
    """An AL2023 AMI type (default ``AL2023_x86_64_STANDARD``)."""
    labels: NotRequired[dict[str, str]]
    """Kubernetes labels of the nodes (default: none)."""
    taints: NotRequired[list[TaintArgs]]
    """Kubernetes taints of the nodes (default: none)."""


NODE_GROUP_DEFAULTS: dict[str, Any] = {
    "capacity_type": CapacityType.ON_DEMAND,
    "disk_size_gib": 50,
    "ami_type": AmiType.AL2023_X86_64,
    "labels": {},
    "taints": [],
}


def node_group_problems(group: Mapping[str, Any]) -> list[str]:
    """Every reason one node group (arg paths relative to the group) cannot be built."""
    found: list[str] = []
    if not _NAME.match(str(group.get("name", ""))):
        found.append(f"name: {group.get('name')!r} is not 3 to 32 lower-case letters, digits and dashes")
    types = list(group.get("instance_types") or [])
    if not 1 <= len(types) <= MAX_INSTANCE_TYPES:
        found.append(f"instance_types: needs 1 to {MAX_INSTANCE_TYPES} instance types, got {len(types)}")
    found += [
        f"instance_types[{index}]: {kind!r} is not an EC2 instance type such as m7i.large"
        for index, kind in enumerate(types)
        if not _INSTANCE_TYPE.match(str(kind))
    ]
    capacity = group.get("capacity_type", CapacityType.ON_DEMAND)
    if capacity not in set(CapacityType):
        found.append(f"capacity_type: {capacity!r} is not one of {', '.join(CapacityType)}")
    elif capacity == CapacityType.SPOT and len(types) == 1:
        found.append(
            "instance_types: a SPOT group needs at least two instance types, so one reclaimed "
            "capacity pool cannot empty it"
        )
    if group.get("ami_type", AmiType.AL2023_X86_64) not in set(AmiType):
        found.append(f"ami_type: {group['ami_type']!r} is not one of {', '.join(AmiType)}")
    found += _size_problems(group)
    for index, taint in enumerate(group.get("taints") or []):
        if taint.get("effect") not in set(TaintEffect):
            found.append(
                f"taints[{index}].effect: {taint.get('effect')!r} is not one of {', '.join(TaintEffect)}"
            )
    return found


def _size_problems(group: Mapping[str, Any]) -> list[str]:
    low: Any = group.get("min_size")
    desired: Any = group.get("desired_size")
    high: Any = group.get("max_size")
    disk: Any = group.get("disk_size_gib", 50)
    checks = (
        (_whole(low) and low >= 0, f"min_size: must be at least 0, got {low}"),
        (_whole(desired) and desired >= 0, f"desired_size: must be at least 0, got {desired}"),
        (_whole(high) and 1 <= high <= MAX_NODES, f"max_size: must be 1..{MAX_NODES}, got {high}"),
        (
            _whole(disk) and MIN_DISK_GIB <= disk <= MAX_DISK_GIB,
            f"disk_size_gib: must be {MIN_DISK_GIB}..{MAX_DISK_GIB}, got {disk}",
        ),
    )
    found = [message for ok, message in checks if not ok]
    if found:
        return found
    if high < low:
        return [f"max_size: must be >= `min_size` ({low})"]
    if not low <= desired <= high:
        return [f"desired_size: must be between `min_size` ({low}) and `max_size` ({high})"]
    return []


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
