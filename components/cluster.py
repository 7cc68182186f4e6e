"""Cluster: the EKS control plane, its managed node groups and managed add-ons (K1, F3, O1, O5, O7, D4).

Humans reach the API through EKS access entries (authentication mode API, no aws-auth ConfigMap):
an admin, a developer (edit in the developer namespaces, view elsewhere) and a viewer role, each
also put in a Kubernetes group so in-cluster RoleBindings can refer to them. Secrets are envelope
encrypted with a rotating KMS key; every control-plane log type goes to a log group whose
retention is ours (created before the cluster, or EKS would create one that never expires).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .addons import managed as eks_addons
from .deploy_roles import CREATOR_TAG
from .node_groups import NodeGroupArgs, managed_node_group, node_role

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"
# Kubernetes groups the access entries put each role in; RoleBindings in the chart bind to these.
ADMIN_GROUP = "kubeboard:admins"
DEVELOPER_GROUP = "kubeboard:developers"
VIEWER_GROUP = "kubeboard:viewers"


class AccessArgs(TypedDict):
    admin_role_arn: pulumi.Input[str]
    """Cluster admin (AmazonEKSClusterAdminPolicy on the whole cluster)."""
    developer_role_arn: pulumi.Input[str]
    """Edit in `developer_namespaces`, view everywhere else."""
    viewer_role_arn: pulumi.Input[str]
    """View only, cluster-wide."""
    developer_namespaces: list[str]
    deploy_role_arns: NotRequired[list[str]]
    """Roles that run ``pulumi up`` of the stack: cluster admin, cluster-wide."""
    preview_role_arn: NotRequired[str | None]
    """The read-only role of pull-request previews: view, cluster-wide."""


@dataclass(frozen=True)
class ClusterCreator:
    """Who creates the EKS cluster: EKS makes that principal admin itself, so it gets no entry.

    ``provider`` resolves to ``role_arn`` in deploys; only the cluster is created through it, so
    every other principal (the deploy roles included) is admitted by an explicit access entry.
    """

    provider: aws.Provider
    role_arn: str


class ClusterArgs(TypedDict):
    name: str
    """The EKS cluster name; also the prefix of its resources."""
    kubernetes_version: str
    """``<major>.<minor>``, e.g. ``1.36``; see the README's upgrade procedure before changing it."""
    upgrade_policy: str
    """``STANDARD`` (EKS upgrades the control plane at the end of standard support) or ``EXTENDED``
    (12 more months on the same version, at the extended-support price)."""
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Control-plane ENIs and every node live here; nodes never get public subnets."""
    access: AccessArgs
    node_groups: list[NodeGroupArgs]
    addon_versions: Mapping[str, str]
    """EKS managed add-on versions by add-on name (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver,
    aws-efs-csi-driver)."""
    log_retention_days: int
    endpoint_public_access: NotRequired[bool]
    """Off by default: the API is reachable only from inside the VPC."""
    public_access_cidrs: NotRequired[list[str]]
    """The allow-list when the public endpoint is on (required then)."""
    protect: NotRequired[bool]
    """Deletion protection on the cluster and `protect` on its key (prod)."""
    tags: NotRequired[Mapping[str, str]]
    creator: NotRequired[ClusterCreator]
    """A dedicated cluster creator; without it the identity running ``pulumi up`` creates the cluster."""


def access_entries(access: AccessArgs) -> dict[str, eks.AccessEntryArgs]:
    """Admin, developer and viewer access entries (F3, O5, H6)."""

    def cluster_scope(policy: str) -> eks.AccessPolicyAssociationArgs:
        return eks.AccessPolicyAssociationArgs(
            policy_arn=ACCESS_POLICY.format(policy),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        )

    return {
        "admin": eks.AccessEntryArgs(
            principal_arn=access["admin_role_arn"],
            kubernetes_groups=[ADMIN_GROUP],
            access_policies={"clusterAdmin": cluster_scope("AmazonEKSClusterAdminPolicy")},
        ),
        "developer": eks.AccessEntryArgs(
            principal_arn=access["developer_role_arn"],
            kubernetes_groups=[DEVELOPER_GROUP],
            access_policies={
                "editDeveloperNamespaces": eks.AccessPolicyAssociationArgs(
                    policy_arn=ACCESS_POLICY.format("AmazonEKSEditPolicy"),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                        type="namespace", namespaces=list(access["developer_namespaces"])
                    ),
                ),
                "viewCluster": cluster_scope("AmazonEKSViewPolicy"),
            },
        ),
        "viewer": eks.AccessEntryArgs(
            principal_arn=access["viewer_role_arn"],
            kubernetes_groups=[VIEWER_GROUP],
            access_policies={"viewCluster": cluster_scope("AmazonEKSViewPolicy")},
        ),
        **deploy_access_entries(access),
    }


def deploy_access_entries(access: AccessArgs) -> dict[str, eks.AccessEntryArgs]:
    """CI: each deploy role is cluster admin (it applies every release), the preview role views."""
    cluster_scope = aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
    entries = {
        f"deploy{index}": eks.AccessEntryArgs(
            principal_arn=arn,
            access_policies={
                "clusterAdmin": eks.AccessPolicyAssociationArgs(
                    policy_arn=ACCESS_POLICY.format("AmazonEKSClusterAdminPolicy"), access_scope=cluster_scope
                )
            },
        )
        for index, arn in enumerate(access.get("deploy_role_arns") or [])
    }
    preview = access.get("preview_role_arn")
    if preview:
        entries["preview"] = eks.AccessEntryArgs(
            principal_arn=preview,
            access_policies={
                "viewCluster": eks.AccessPolicyAssociationArgs(
                    policy_arn=ACCESS_POLICY.format("AmazonEKSViewPolicy"), access_scope=cluster_scope
                )
            },
        )
    return entries


def secrets_key_policy(account_id: str, partition: str, region: str, log_group_name: str) -> dict:
    """The account administers the key; CloudWatch Logs may use it only for this cluster's log group."""
    root = f"arn:{partition}:iam::{account_id}:root"
    log_group_arn = f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsTheControlPlaneLogs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
                # The encryption context is a string key: compared exactly with a string operator.
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
            },
        ],
    }


class Cluster(pulumi.ComponentResource):
    """An EKS cluster with access entries, encrypted secrets, logged control plane and node groups."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    """The issuer host and path without ``https://``, as IAM condition keys spell it."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (JSON) for the cluster, as a secret."""
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    """Managed nodes carry the EKS cluster security group; this is that group."""
    node_role_arn: pulumi.Output[str]
    node_role_name: pulumi.Output[str]
    secrets_key_arn: pulumi.Output[str]
    control_plane_log_group_name: pulumi.Output[str]
    """``/aws/eks/<name>/cluster``: the control plane's logs (watched by the platform's log alarms)."""
    provider: k8s.Provider
    """Kubernetes provider for this cluster: every in-cluster resource is created through it."""
    node_groups: dict[str, aws.eks.NodeGroup]
    managed_addons: dict[str, aws.eks.Addon]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Cluster", name, None, opts)
        cluster_name = args["name"]
        tags = dict(args.get("tags") or {})
        protect = args.get("protect", False)
        public = args.get("endpoint_public_access", False)
        public_cidrs = list(args.get("public_access_cidrs") or [])
        if public and not public_cidrs:
            raise ValueError(f"cluster {cluster_name}: a public endpoint needs an allow-list of CIDRs")
        child = pulumi.ResourceOptions(parent=self)
        creator = args.get("creator")
        if creator is not None:
            _check_creator_has_no_entry(cluster_name, creator.role_arn, args["access"])

        log_group_name = f"/aws/eks/{cluster_name}/cluster"
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of {cluster_name} Kubernetes secrets and control-plane logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(identity.account_id, partition.partition, region.region).apply(
                lambda a: json.dumps(secrets_key_policy(a[0], a[1], a[2], log_group_name))
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.kms.Alias(
            f"{name}-secrets",
            name=f"alias/{cluster_name}-eks-secrets",
            target_key_id=self.secrets_key.key_id,
            opts=child,
        )
        # Created before the cluster with our retention; EKS would otherwise create it unbounded.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=log_group_name,
            retention_in_days=args["log_retention_days"],
            kms_key_id=self.secrets_key.arn,
            tags=tags,
            opts=child,
        )

        self.eks = eks.Cluster(
            name,
            name=cluster_name,
            version=args["kubernetes_version"],
            vpc_id=args["vpc_id"],
            private_subnet_ids=args["private_subnet_ids"],
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=public_cidrs if public else None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries(args["access"]),
            encryption_config_key_arn=self.secrets_key.arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            create_oidc_provider=True,
            skip_default_node_group=True,
            # Managed nodes get the EKS-created cluster security group; no extra self-managed pair.
            skip_default_security_groups=True,
            # The add-ons below are EKS managed add-ons at pinned versions, nothing self-managed.
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            deletion_protection=protect,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args["upgrade_policy"]),
            tags=tags,
            # The creator is recorded on the cluster itself: its admin is the one no entry shows.
            cluster_tags={CREATOR_TAG: creator.role_arn} if creator else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[log_group],
                providers={"aws": creator.provider} if creator else None,
            ),
        )

        # The name is known up front; deriving it from an output makes dependents wait for the cluster.
        self.cluster_name = self.eks.oidc_provider_arn.apply(lambda _: cluster_name)
        self.endpoint = self.eks.core.endpoint
        self.oidc_provider_arn = self.eks.oidc_provider_arn
        self.oidc_issuer = self.eks.oidc_issuer.apply(lambda issuer: issuer.removeprefix("https://"))
        self.kubeconfig = pulumi.Output.secret(self.eks.kubeconfig_json)
        self.cluster_security_group_id = self.eks.cluster_security_group_id
        self.node_security_group_id = self.eks.cluster_security_group_id
        self.secrets_key_arn = self.secrets_key.arn
        self.control_plane_log_group_name = log_group.name

        addon_options = pulumi.ResourceOptions(parent=self, depends_on=[self.eks])
        # The CNI and kube-proxy (DaemonSets) first, so nodes become Ready as soon as they join.
        self.managed_addons = eks_addons.install_managed_addons(
            cluster_name,
            eks_addons.BEFORE_NODES,
            cluster_name=cluster_name,
            versions=args["addon_versions"],
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer=self.oidc_issuer,
            opts=addon_options,
        )

        role = node_role(cluster_name, opts=child)
        self.node_role_arn = role.arn
        self.node_role_name = role.name
        node_options = pulumi.ResourceOptions(
            parent=self, depends_on=[self.eks, *self.managed_addons.values()]
        )
        self.node_groups = {
            group["name"]: managed_node_group(
                cluster_name,
                group,
                cluster_name=cluster_name,
                kubernetes_version=args["kubernetes_version"],
                role=role,
                subnet_ids=args["private_subnet_ids"],
                tags=tags,
                opts=node_options,
            )
            for group in args["node_groups"]
        }
        self.managed_addons |= eks_addons.install_managed_addons(
            cluster_name,
            eks_addons.AFTER_NODES,
            cluster_name=cluster_name,
            versions=args["addon_versions"],
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer=self.oidc_issuer,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.eks, *self.node_groups.values()]),
        )

        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Namespaces and releases are created only once nodes and CoreDNS can run them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.managed_addons.values())),
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "oidcProviderArn": self.oidc_provider_arn,
                "oidcIssuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeRoleArn": self.node_role_arn,
            }
        )


def _check_creator_has_no_entry(cluster_name: str, creator_role_arn: str, access: AccessArgs) -> None:
    # EKS creates the creator's admin entry itself; declaring another one fails with ResourceInUseException.
    # Roles the stack creates itself (Outputs) cannot be the creator, which exists before the stack.
    principals = [entry.principal_arn for entry in access_entries(access).values()]
    if creator_role_arn in principals:
        raise ValueError(
            f"cluster {cluster_name}: the cluster creator {creator_role_arn} may not also have an access entry"
        )
