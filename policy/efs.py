"""EFS: encrypted at rest with a customer-managed key, reachable from at least two AZs."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.graph import Links, of_type
from kubeboard_policy.props import get, truthy

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SUBNET = "aws:ec2/subnet:Subnet"
MIN_ZONES = 2


def _encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not truthy(get(args.props, "encrypted")):
        report("file system is not encrypted at rest (encryption cannot be turned on later)", None)


disallow_unencrypted_file_system = TypedResourcePolicy(
    name="aws-efs-filesystem-disallow-unencrypted-file-system",
    description="EFS file systems are encrypted at rest.",
    resource_types=[FILE_SYSTEM],
    check=_encrypted,
    severity=Severity.CRITICAL,
)


def _customer_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if truthy(get(args.props, "encrypted")) and not get(args.props, "kmsKeyId"):
        report(
            "file system uses the AWS-managed key; a customer-managed key allows scoped grants and audit",
            None,
        )


configure_customer_managed_key = TypedResourcePolicy(
    name="aws-efs-filesystem-configure-customer-managed-key",
    description="EFS file systems are encrypted with a customer-managed KMS key (AWSGuard efs-encrypted).",
    resource_types=[FILE_SYSTEM],
    check=_customer_key,
    severity=Severity.LOW,
    enforcement_level=EnforcementLevel.ADVISORY,
)


def _multi_az(args: StackValidationArgs, report: ReportViolation) -> None:
    file_systems = of_type(args.resources, FILE_SYSTEM)
    subnets = Links(of_type(args.resources, SUBNET))
    targets = Links(file_systems).group(of_type(args.resources, MOUNT_TARGET), "fileSystemId")
    for file_system in file_systems:
        zones = set()
        for target in targets.get(file_system.urn, []):
            found = subnets.targets(target, "subnetId")
            # A subnet outside the stack counts as its own zone: the benefit of the doubt.
            zones |= {get(s.props, "availabilityZone") or s.urn for s in found} or {
                get(target.props, "subnetId")
            }
        if len(zones) < MIN_ZONES:
            report(
                f"file system '{file_system.name}' has mount targets in {len(zones)} availability zone(s); "
                f"pods on nodes in other zones cannot mount it",
                file_system.urn,
            )


mount_targets_multi_az = GraphStackPolicy(
    name="aws-efs-filesystem-mount-targets-multi-az",
    description="EFS file systems have mount targets in at least two availability zones.",
    resource_types=[FILE_SYSTEM, MOUNT_TARGET, SUBNET],
    check=_multi_az,
    severity=Severity.HIGH,
)

POLICIES = [disallow_unencrypted_file_system, configure_customer_managed_key, mount_targets_multi_az]
