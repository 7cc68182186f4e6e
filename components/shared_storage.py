"""SharedStorage: an EFS file system every node can mount, and the `efs-sc` StorageClass (K2).

The seed moved workloads from EBS to EFS so pods on different nodes (and AZs) share one volume.
The file system is encrypted with its own rotating key, reachable only from the cluster's
security group on NFS (2049), backed up by AWS Backup, and tiered to Infrequent Access. The
StorageClass provisions one access point per volume (``efs-ap``) through the EFS CSI driver.
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .args import validate_args
from .contracts import ClusterAccess
from .kms import rotating_key

NFS_PORT = 2049
# The ages EFS lifecycle management offers for moving a file to Infrequent Access.
TRANSITION_TO_IA_DAYS = (1, 7, 14, 30, 60, 90, 180, 270, 365)
_PATH = re.compile(r"^/[A-Za-z0-9._/-]*$")
_PERMISSIONS = re.compile(r"^0?[0-7]{3}$")
# A StorageClass name is a DNS subdomain (at most 63 characters here, like a label).
_CLASS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")


class PerformanceMode(StrEnum):
    GENERAL_PURPOSE = "generalPurpose"
    MAX_IO = "maxIO"


class ThroughputMode(StrEnum):
    ELASTIC = "elastic"
    """Pay per use; scales with the workload (the right default for spiky platform traffic)."""
    BURSTING = "bursting"


def transition_to_ia(days: int) -> str:
    """EFS's spelling of a lifecycle age: ``AFTER_1_DAY``, ``AFTER_30_DAYS``."""
    return f"AFTER_{days}_DAY" if days == 1 else f"AFTER_{days}_DAYS"


def tls_only_policy(file_system_arn: str) -> dict:
    """Refuse every NFS client that does not encrypt in transit.

    The allow statement restates EFS's default (mounts through a mount target), which a file
    system policy would otherwise replace; network access is still limited by the security group.
    Root access is granted to no one: every volume is an access point that enforces its own POSIX
    user and directory, so no client needs to act as root on the file system.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowMountsThroughMountTargets",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            },
            {
                "Sid": "DenyUnencryptedTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


class AccessPointArgs(TypedDict):
    """The directory pods mount and the POSIX identity they act as on it."""

    path: NotRequired[str]
    """An absolute directory of the file system (default ``/kubeboard``)."""
    uid: NotRequired[int]
    """POSIX user id, at least 0 (default 1000)."""
    gid: NotRequired[int]
    """POSIX group id, at least 0 (default 1000)."""
    permissions: NotRequired[str]
    """Octal mode of the directory when EFS creates it (default ``0750``)."""


class SharedStorageConfig(TypedDict):
    """The file system's plain values: what the ``kubeboard:storage`` stack-file section holds."""

    performance_mode: NotRequired[PerformanceMode]
    """``generalPurpose`` (default) or ``maxIO``."""
    throughput_mode: NotRequired[ThroughputMode]
    """``elastic`` (default) or ``bursting``."""
    transition_to_ia_days: NotRequired[int]
    """Files not read for this many days move to Infrequent Access: 1, 7, 14, 30 (default), 60, 90,
    180, 270 or 365."""
    access_point: NotRequired[AccessPointArgs]
    """The access point pods mount (default: ``/kubeboard`` as 1000:1000, mode 0750)."""
    storage_class_name: NotRequired[str]
    """The StorageClass's name (default ``efs-sc``)."""


class SharedStorageArgs(SharedStorageConfig):
    """`SharedStorageConfig` and what the platform adds: the network and the cluster."""

    name: str
    """Prefix of every resource name. Required."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC. Required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The private subnets, at least one: one mount target each, so every AZ with nodes has a local one.
    Required."""
    cluster: ClusterAccess
    """The cluster: its provider makes the StorageClass, its node security group is the only one
    admitted on NFS. Required."""
    protect: NotRequired[bool]
    """Protect the file system and its key from deletion (prod; default: false)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the AWS resources (default: none)."""


DEFAULT_ACCESS_POINT: AccessPointArgs = {
    "path": "/kubeboard",
    "uid": 1000,
    "gid": 1000,
    "permissions": "0750",
}
DEFAULTS: dict[str, Any] = {
    "performance_mode": PerformanceMode.GENERAL_PURPOSE,
    "throughput_mode": ThroughputMode.ELASTIC,
    "transition_to_ia_days": 30,
    "access_point": DEFAULT_ACCESS_POINT,
    "storage_class_name": "efs-sc",
    "protect": False,
    "tags": {},
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `SharedStorageArgs`, its wiring left out or not) cannot build the file system."""
    found: list[str] = []
    for key, kind in (("performance_mode", PerformanceMode), ("throughput_mode", ThroughputMode)):
        if key in args and args[key] not in set(kind):
            found.append(f"{key}: {args[key]!r} is not one of {', '.join(kind)}")
    days = args.get("transition_to_ia_days", 30)
    if isinstance(days, bool) or days not in TRANSITION_TO_IA_DAYS:
        offered = ", ".join(str(d) for d in TRANSITION_TO_IA_DAYS)
        found.append(f"transition_to_ia_days: must be one of {offered} (what EFS offers), got {days}")
    point = {**DEFAULT_ACCESS_POINT, **(args.get("access_point") or {})}
    if not _PATH.match(str(point["path"])):
        found.append(f"access_point.path: {point['path']!r} is not an absolute path such as /kubeboard")
    for key in ("uid", "gid"):
        value = point[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            found.append(f"access_point.{key}: must be a POSIX id of 0 or more, got {value!r}")
    if not _PERMISSIONS.match(str(point["permissions"])):
        found.append(f"access_point.permissions: {point['permissions']!r} is not an octal mode such as 0750")
    name = args.get("storage_class_name", "efs-sc")
    if not _CLASS_NAME.match(str(name)):
        found.append(f"storage_class_name: {name!r} is not a lower-case DNS name of at most 63 characters")
    if "subnet_ids" in args and not args["subnet_ids"]:
        found.append("subnet_ids: needs at least one subnet for a mount target")
    return found


class SharedStorage(pulumi.ComponentResource):
    """An encrypted, backed-up EFS file system the cluster's nodes mount, and its ``efs-sc`` StorageClass."""

    file_system_id: pulumi.Output[str]
    file_system_arn: pulumi.Output[str]
    access_point_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    storage_class_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SharedStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:SharedStorage", name, None, opts)
        validate_args("SharedStorage", args, SharedStorageArgs, problems)
        args = cast(SharedStorageArgs, {**DEFAULTS, **args})
        prefix = args["name"]
        tags = dict(args["tags"])
        protect = args["protect"]
        cluster = args["cluster"]
        child = pulumi.ResourceOptions(parent=self)

        key = rotating_key(
            f"{name}-efs",
            alias=f"{prefix}-efs",
            description=f"Encryption at rest of the {prefix} shared EFS file system",
            protect=protect,
            tags=tags,
            opts=child,
        )
        file_system = aws.efs.FileSystem(
            f"{name}-efs",
            encrypted=True,
            kms_key_id=key.arn,
            performance_mode=PerformanceMode(args["performance_mode"]).value,
            throughput_mode=ThroughputMode(args["throughput_mode"]).value,
            lifecycle_policies=[
                aws.efs.FileSystemLifecyclePolicyArgs(
                    transition_to_ia=transition_to_ia(args["transition_to_ia_days"])
                ),
                # A file read again comes back from IA at once, so hot data never pays IA reads twice.
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={**tags, "Name": f"{prefix}-shared"},
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.efs.FileSystemPolicy(
            f"{name}-efs",
            file_system_id=file_system.id,
            policy=file_system.arn.apply(lambda arn: json.dumps(tls_only_policy(arn))),
            opts=pulumi.ResourceOptions(parent=file_system),
        )
        aws.efs.BackupPolicy(
            f"{name}-efs",
            file_system_id=file_system.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED"),
            opts=pulumi.ResourceOptions(parent=file_system),
        )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-efs",
            description=f"NFS to the {prefix} shared file system from the cluster nodes only",
            vpc_id=args["vpc_id"],
            tags={**tags, "Name": f"{prefix}-efs"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-efs-nfs-from-nodes",
            security_group_id=security_group.id,
            description="NFS from the cluster nodes",
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            referenced_security_group_id=cluster["node_security_group_id"],
            opts=pulumi.ResourceOptions(parent=security_group),
        )

        mount_targets = [
            aws.efs.MountTarget(
                f"{name}-efs-{index}",
                file_system_id=file_system.id,
                subnet_id=subnet_id,
                security_groups=[security_group.id],
                opts=pulumi.ResourceOptions(parent=file_system),
            )
            for index, subnet_id in enumerate(args["subnet_ids"])
        ]

        access = {**DEFAULT_ACCESS_POINT, **args["access_point"]}
        access_point = aws.efs.AccessPoint(
            f"{name}-efs",
            file_system_id=file_system.id,
            posix_user=aws.efs.AccessPointPosixUserArgs(uid=access["uid"], gid=access["gid"]),
            root_directory=aws.efs.AccessPointRootDirectoryArgs(
                path=access["path"],
                creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                    owner_uid=access["uid"], owner_gid=access["gid"], permissions=access["permissions"]
                ),
            ),
            tags={**tags, "Name": f"{prefix}-shared"},
            opts=pulumi.ResourceOptions(parent=file_system),
        )

        class_name = args["storage_class_name"]
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-efs-sc",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=class_name),
            provisioner="efs.csi.aws.com",
            parameters={
                # Dynamic provisioning: one access point (own directory, own POSIX id) per volume.
                "provisioningMode": "efs-ap",
                "fileSystemId": file_system.id,
                "directoryPerms": "700",
                "basePath": "/dynamic",
                "gidRangeStart": "50000",
                "gidRangeEnd": "60000",
                "ensureUniqueDirectory": "true",
            },
            mount_options=["tls"],
            reclaim_policy="Retain" if protect else "Delete",
            volume_binding_mode="Immediate",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster["provider"], depends_on=mount_targets),
        )

        self.file_system_id = file_system.id
        self.file_system_arn = file_system.arn
        self.access_point_id = access_point.id
        self.security_group_id = security_group.id
        self.storage_class_name = storage_class.metadata.apply(lambda m: m.name or class_name)
        self.register_outputs(
            {
                "file_system_id": self.file_system_id,
                "file_system_arn": self.file_system_arn,
                "access_point_id": self.access_point_id,
                "security_group_id": self.security_group_id,
                "storage_class_name": self.storage_class_name,
            }
        )
