"""SharedStorage: an EFS file system every node can mount, and the `efs-sc` StorageClass (K2).

The seed moved workloads from EBS to EFS so pods on different nodes (and AZs) share one volume.
The file system is encrypted with its own rotating key, reachable only from the cluster's
security group on NFS (2049), backed up by AWS Backup, and tiered to Infrequent Access. The
StorageClass provisions one access point per volume (``efs-ap``) through the EFS CSI driver.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .kms import rotating_key

NFS_PORT = 2049


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
    path: str
    uid: int
    gid: int
    permissions: str


class SharedStorageArgs(TypedDict):
    name: str
    """Prefix of every resource name."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The private subnets: one mount target each, so every AZ with nodes has a local one."""
    client_security_group_id: pulumi.Input[str]
    """The only security group admitted on NFS: the one the cluster's nodes carry."""
    provider: k8s.Provider
    """The cluster's Kubernetes provider, for the StorageClass."""
    access_point: AccessPointArgs
    storage_class_name: NotRequired[str]
    """Default ``efs-sc``."""
    performance_mode: NotRequired[str]
    throughput_mode: NotRequired[str]
    transition_to_ia_days: NotRequired[int]
    protect: NotRequired[bool]
    """Protect the file system and its key from deletion (prod)."""
    tags: NotRequired[Mapping[str, str]]


class SharedStorage(pulumi.ComponentResource):
    file_system_id: pulumi.Output[str]
    file_system_arn: pulumi.Output[str]
    access_point_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    storage_class_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SharedStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:SharedStorage", name, None, opts)
        prefix = args["name"]
        tags = dict(args.get("tags") or {})
        protect = args.get("protect", False)
        child = pulumi.ResourceOptions(parent=self)
        if not args["subnet_ids"]:
            raise ValueError("shared storage needs at least one subnet for a mount target")

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
            performance_mode=args.get("performance_mode", "generalPurpose"),
            throughput_mode=args.get("throughput_mode", "elastic"),
            lifecycle_policies=[
                aws.efs.FileSystemLifecyclePolicyArgs(
                    transition_to_ia=transition_to_ia(args.get("transition_to_ia_days", 30))
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
            referenced_security_group_id=args["client_security_group_id"],
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

        access = args["access_point"]
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

        class_name = args.get("storage_class_name", "efs-sc")
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
            opts=pulumi.ResourceOptions(parent=self, provider=args["provider"], depends_on=mount_targets),
        )

        self.file_system_id = file_system.id
        self.file_system_arn = file_system.arn
        self.access_point_id = access_point.id
        self.security_group_id = security_group.id
        self.storage_class_name = storage_class.metadata.apply(lambda m: m.name or class_name)
        self.register_outputs(
            {
                "fileSystemId": self.file_system_id,
                "accessPointId": self.access_point_id,
                "storageClassName": self.storage_class_name,
            }
        )
