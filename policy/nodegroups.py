"""Managed node groups: private subnets, launch templates with IMDSv2 (hop limit 1), encrypted disks."""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.graph import Links, of_type
from kubeboard_policy.props import get, items, number, tags, truthy

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
NODE_GROUP_TYPES = (NODE_GROUP, MANAGED_NODE_GROUP)
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
PUBLIC_ELB_TAG = "kubernetes.io/role/elb"


def _is_public(subnet_props: object) -> bool:
    return (
        truthy(get(subnet_props, "mapPublicIpOnLaunch")) or str(tags(subnet_props).get(PUBLIC_ELB_TAG)) == "1"
    )


def _private_subnets(args: StackValidationArgs, report: ReportViolation) -> None:
    subnets = Links(of_type(args.resources, SUBNET))
    for group in of_type(args.resources, *NODE_GROUP_TYPES):
        public = [s.name for s in subnets.targets(group, "subnetIds") if _is_public(s.props)]
        if public:
            report(f"node group '{group.name}' is placed in public subnet(s) {', '.join(public)}", group.urn)


private_subnets_only = GraphStackPolicy(
    name="aws-eks-nodegroup-private-subnets-only",
    description="EKS node groups run only in private subnets (no public IP, no internet-facing ELB tier).",
    resource_types=[*NODE_GROUP_TYPES, SUBNET],
    check=_private_subnets,
    severity=Severity.HIGH,
    remediation_steps="Pass the Network's private_subnet_ids to the node group.",
)


def _launch_template_used(args: ResourceValidationArgs, report: ReportViolation) -> None:
    template = get(args.props, "launchTemplate")
    if not (get(template, "id") or get(template, "name")):
        report(
            "node group has no launch template, so IMDSv2 and disk encryption are not under our control", None
        )


require_launch_template = TypedResourcePolicy(
    name="aws-eks-nodegroup-require-launch-template",
    description="EKS node groups use a launch template (which carries IMDSv2 and volume encryption).",
    resource_types=NODE_GROUP_TYPES,
    check=_launch_template_used,
    severity=Severity.MEDIUM,
)


def _no_ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "remoteAccess"):
        report("node group opens SSH (remoteAccess); reach nodes through SSM Session Manager instead", None)


disallow_remote_access = TypedResourcePolicy(
    name="aws-eks-nodegroup-disallow-remote-access",
    description="EKS node groups do not open SSH access; nodes are reached through SSM.",
    resource_types=[NODE_GROUP],
    check=_no_ssh,
    severity=Severity.MEDIUM,
)


def _imdsv2(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "metadataOptions.httpEndpoint") == "disabled":
        return
    tokens = get(args.props, "metadataOptions.httpTokens")
    if tokens != "required":
        report(f"instance metadata tokens are '{tokens or 'optional'}'; IMDSv2 requires 'required'", None)


enforce_imdsv2 = TypedResourcePolicy(
    name="aws-ec2-launchtemplate-enforce-imdsv2",
    description="Launch templates require IMDSv2 session tokens (http_tokens = required).",
    resource_types=[LAUNCH_TEMPLATE],
    check=_imdsv2,
    severity=Severity.HIGH,
)


def _hop_limit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "metadataOptions.httpEndpoint") == "disabled":
        return
    hops = number(get(args.props, "metadataOptions.httpPutResponseHopLimit"))
    if hops != 1:
        shown = "unset" if hops is None else int(hops)
        report(f"metadata hop limit is {shown}; 1 keeps pods from borrowing the node role", None)


imds_hop_limit_one = TypedResourcePolicy(
    name="aws-ec2-launchtemplate-imds-hop-limit-one",
    description="Launch templates set the IMDS hop limit to 1, so pods cannot reach node credentials.",
    resource_types=[LAUNCH_TEMPLATE],
    check=_hop_limit,
    severity=Severity.HIGH,
)


def _encrypted_volumes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mappings = [m for m in items(get(args.props, "blockDeviceMappings")) if get(m, "ebs")]
    if not mappings:
        report(
            "no EBS block device mapping: the root volume falls back to the AMI's unencrypted default", None
        )
        return
    for mapping in mappings:
        if not truthy(get(mapping, "ebs.encrypted")):
            report(f"EBS volume {get(mapping, 'deviceName', '?')} is not encrypted", None)


disallow_unencrypted_block_device = TypedResourcePolicy(
    name="aws-ec2-launchtemplate-disallow-unencrypted-block-device",
    description="Launch templates encrypt every EBS volume they define, including the root volume.",
    resource_types=[LAUNCH_TEMPLATE],
    check=_encrypted_volumes,
    severity=Severity.HIGH,
)

POLICIES = [
    private_subnets_only,
    require_launch_template,
    disallow_remote_access,
    enforce_imdsv2,
    imds_hop_limit_one,
    disallow_unencrypted_block_device,
]
