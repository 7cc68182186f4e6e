"""SharedStorage (EFS) in both stacks' plans (K2, F2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubeboard_infra.shared_storage import SharedStorage, transition_to_ia

from .conftest import plan_for, resources_of, stack_file
from .helpers.direct_call import assert_refused, install_mocks

STACKS = ["dev", "prod"]


def _efs_class(plan: dict[str, Any]) -> dict[str, Any]:
    [storage_class] = [
        c
        for c in resources_of(plan, "kubernetes:storage.k8s.io/v1:StorageClass")
        if c["inputs"]["metadata"]["name"] == "efs-sc"
    ]
    return storage_class


def _one(plan: dict[str, Any], token: str) -> dict[str, Any]:
    [resource] = resources_of(plan, token)
    return resource


@pytest.mark.parametrize("stack", STACKS)
def test_file_system_is_kms_encrypted_backed_up_and_tiered(stack: str) -> None:
    plan = plan_for(stack)
    file_system = _one(plan, "aws:efs/fileSystem:FileSystem")
    days = stack_file(stack)["config"]["kubeboard:storage"]["transitionToIaDays"]

    assert file_system["inputs"]["encrypted"] is True
    assert file_system["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert {"transitionToIa": f"AFTER_{days}_DAYS"} in file_system["inputs"]["lifecyclePolicies"]
    backup = _one(plan, "aws:efs/backupPolicy:BackupPolicy")
    assert backup["inputs"]["backupPolicy"] == {"status": "ENABLED"}
    assert backup["inputs"]["fileSystemId"] == file_system["id"]
    [key] = [k for k in resources_of(plan, "aws:kms/key:Key") if k["name"] == "shared-storage-efs"]
    assert key["inputs"]["enableKeyRotation"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_one_mount_target_per_private_subnet_behind_an_nfs_only_group(stack: str) -> None:
    plan = plan_for(stack)
    file_system = _one(plan, "aws:efs/fileSystem:FileSystem")
    private = {
        s["id"]
        for s in resources_of(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["kubeboard.io/tier"] == "private"
    }
    targets = resources_of(plan, "aws:efs/mountTarget:MountTarget")
    [group] = [
        g
        for g in resources_of(plan, "aws:ec2/securityGroup:SecurityGroup")
        if g["name"] == "shared-storage-efs"
    ]

    assert sorted(t["inputs"]["subnetId"] for t in targets) == sorted(private)
    assert all(t["inputs"]["fileSystemId"] == file_system["id"] for t in targets)
    assert all(t["inputs"]["securityGroups"] == [group["id"]] for t in targets)
    assert "ingress" not in group["inputs"]
    rules = [
        r
        for r in resources_of(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["parent"] == group["urn"]
    ]
    [rule] = rules
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"], rule["inputs"]["ipProtocol"]) == (
        2049,
        2049,
        "tcp",
    )
    assert rule["inputs"]["referencedSecurityGroupId"] == plan["outputs"]["clusterSecurityGroupId"]
    assert "cidrIpv4" not in rule["inputs"]


@pytest.mark.parametrize("stack", STACKS)
def test_storage_class_provisions_access_points_on_this_file_system(stack: str) -> None:
    plan = plan_for(stack)
    file_system = _one(plan, "aws:efs/fileSystem:FileSystem")
    storage_class = _efs_class(plan)
    [provider] = [p for p in resources_of(plan, "pulumi:providers:kubernetes") if p["name"] == "cluster-k8s"]

    assert storage_class["inputs"]["provisioner"] == "efs.csi.aws.com"
    assert storage_class["inputs"]["parameters"]["provisioningMode"] == "efs-ap"
    assert storage_class["inputs"]["parameters"]["fileSystemId"] == file_system["id"]
    assert storage_class["provider"].startswith(provider["urn"])
    access_point = _one(plan, "aws:efs/accessPoint:AccessPoint")
    assert access_point["inputs"]["fileSystemId"] == file_system["id"]
    assert access_point["inputs"]["posixUser"] == {"uid": 1000, "gid": 1000}


def test_clients_must_encrypt_in_transit(dev_plan: dict[str, Any]) -> None:
    policy = json.loads(_one(dev_plan, "aws:efs/fileSystemPolicy:FileSystemPolicy")["inputs"]["policy"])
    [deny] = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_client_gets_root_on_the_file_system(stack: str) -> None:
    """Volumes are access points with their own POSIX user: whoever reaches a mount target mounts
    and writes as that user, never as root."""
    policy = json.loads(
        _one(plan_for(stack), "aws:efs/fileSystemPolicy:FileSystemPolicy")["inputs"]["policy"]
    )
    [allow] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}


def test_prod_protects_the_file_system_and_its_key(
    prod_plan: dict[str, Any], dev_plan: dict[str, Any]
) -> None:
    assert _one(prod_plan, "aws:efs/fileSystem:FileSystem")["protect"] is True
    assert [
        k["protect"] for k in resources_of(prod_plan, "aws:kms/key:Key") if k["name"] == "shared-storage-efs"
    ] == [True]
    assert _efs_class(prod_plan)["inputs"]["reclaimPolicy"] == "Retain"
    assert _one(dev_plan, "aws:efs/fileSystem:FileSystem")["protect"] is False


def test_lifecycle_spelling() -> None:
    assert transition_to_ia(1) == "AFTER_1_DAY"
    assert transition_to_ia(30) == "AFTER_30_DAYS"


def test_a_direct_call_with_an_age_efs_does_not_offer_names_the_arg_and_builds_nothing() -> None:
    mocks = install_mocks()
    cluster: Any = {
        "cluster_name": "acme",
        "provider": None,
        "oidc_provider_arn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks",
        "oidc_issuer": "oidc.eks",
        "node_security_group_id": "sg-0nodes",
    }
    args: Any = {
        "name": "acme",
        "vpc_id": "vpc-0a",
        "subnet_ids": ["subnet-0a"],
        "cluster": cluster,
        "transition_to_ia_days": 45,
    }

    assert_refused(
        lambda: SharedStorage("shared-storage", args),
        "SharedStorage args: transition_to_ia_days: must be one of 1, 7, 14, 30, 60, 90, 180, 270, 365 "
        "(what EFS offers), got 45",
        mocks,
    )
