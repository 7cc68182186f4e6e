"""EKS managed add-ons: the VPC CNI (network policy enforcement on), CoreDNS, kube-proxy, and the
EBS and EFS CSI drivers, each at a pinned version and, where it calls AWS, with its own IRSA role."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .irsa import irsa_role


@dataclass(frozen=True)
class ManagedAddOn:
    """One EKS managed add-on: its name, what it runs as, and whether it needs nodes first."""

    name: str
    service_account: str | None = None
    managed_policy_arn: str | None = None
    needs_nodes: bool = False
    """Deployments (not DaemonSets) only turn ACTIVE once nodes can run them."""
    configuration: Mapping[str, Any] | None = None


VPC_CNI = ManagedAddOn(
    "vpc-cni",
    service_account="aws-node",
    managed_policy_arn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    # The network policy agent enforces NetworkPolicies (default deny, O8); without it they are inert.
    configuration={"enableNetworkPolicy": "true"},
)
KUBE_PROXY = ManagedAddOn("kube-proxy")
COREDNS = ManagedAddOn("coredns", needs_nodes=True)
EBS_CSI = ManagedAddOn(
    "aws-ebs-csi-driver",
    service_account="ebs-csi-controller-sa",
    managed_policy_arn="arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    needs_nodes=True,
)
EFS_CSI = ManagedAddOn(
    "aws-efs-csi-driver",
    service_account="efs-csi-controller-sa",
    managed_policy_arn="arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
    needs_nodes=True,
)
ALL = (VPC_CNI, KUBE_PROXY, COREDNS, EBS_CSI, EFS_CSI)
BEFORE_NODES = tuple(addon for addon in ALL if not addon.needs_nodes)
AFTER_NODES = tuple(addon for addon in ALL if addon.needs_nodes)


def install_managed_addons(
    name: str,
    addons: Sequence[ManagedAddOn],
    *,
    cluster_name: str,
    versions: Mapping[str, str],
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> dict[str, aws.eks.Addon]:
    """Install `addons` at the versions given by add-on name; `opts` carries parent and ordering."""
    installed = {}
    for addon in addons:
        if addon.name not in versions:
            raise ValueError(f"no version pinned for the EKS add-on {addon.name}")
        role_arn: pulumi.Output[str] | None = None
        ready: list[pulumi.Resource] = []
        if addon.service_account and addon.managed_policy_arn:
            role = irsa_role(
                f"{name}-{addon.name}",
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                namespace="kube-system",
                service_account=addon.service_account,
                managed_policy_arns=[addon.managed_policy_arn],
                description=f"EKS add-on {addon.name} of {cluster_name}",
                opts=opts,
            )
            role_arn = role.arn
            ready = role.ready
        installed[addon.name] = aws.eks.Addon(
            f"{name}-{addon.name}",
            cluster_name=cluster_name,
            addon_name=addon.name,
            addon_version=versions[addon.name],
            service_account_role_arn=role_arn,
            configuration_values=json.dumps(addon.configuration) if addon.configuration else None,
            # Take over the self-managed copy if one exists; keep our configuration on upgrades.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=ready)),
        )
    return installed
