"""EKS managed add-ons: the VPC CNI (network policy enforcement on), CoreDNS, kube-proxy, and the
EBS and EFS CSI drivers, each at the version the stack pins and, where it calls AWS, with its own
IRSA role made by the same helper as the Helm add-ons' (`irsa.irsa_role`)."""

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from ..irsa import irsa_role
from .contract import IrsaSpec
from .definition import ManagedAddOnDefinition

VPC_CNI = ManagedAddOnDefinition(
    name="vpc-cni",
    settings_key="vpcCni",
    irsa=IrsaSpec(
        service_account="aws-node", managed_policy_arns=("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",)
    ),
    # The network policy agent enforces NetworkPolicies (default deny, O8); without it they are inert.
    configuration={"enableNetworkPolicy": "true"},
)
KUBE_PROXY = ManagedAddOnDefinition(name="kube-proxy", settings_key="kubeProxy")
COREDNS = ManagedAddOnDefinition(name="coredns", settings_key="coredns", needs_nodes=True)
EBS_CSI = ManagedAddOnDefinition(
    name="aws-ebs-csi-driver",
    settings_key="awsEbsCsiDriver",
    irsa=IrsaSpec(
        service_account="ebs-csi-controller-sa",
        managed_policy_arns=("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",),
    ),
    needs_nodes=True,
)
EFS_CSI = ManagedAddOnDefinition(
    name="aws-efs-csi-driver",
    settings_key="awsEfsCsiDriver",
    irsa=IrsaSpec(
        service_account="efs-csi-controller-sa",
        managed_policy_arns=("arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",),
    ),
    needs_nodes=True,
)
MANAGED_CATALOG = (VPC_CNI, KUBE_PROXY, COREDNS, EBS_CSI, EFS_CSI)
"""Every EKS managed add-on the cluster installs; the stack file pins a version of each."""
BEFORE_NODES = tuple(addon for addon in MANAGED_CATALOG if not addon.needs_nodes)
AFTER_NODES = tuple(addon for addon in MANAGED_CATALOG if addon.needs_nodes)


def install_managed_addons(
    name: str,
    addons: Sequence[ManagedAddOnDefinition],
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
        if addon.irsa is not None:
            role = irsa_role(
                f"{name}-{addon.name}",
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                namespace=addon.namespace,
                service_account=addon.irsa.service_account,
                policy_documents=addon.irsa.policy_documents,
                managed_policy_arns=addon.irsa.managed_policy_arns,
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
