"""Cluster: the EKS control plane, its managed node groups and managed add-ons (K1, F3, O1, O5, O7, D4).

Humans reach the API through EKS access entries (authentication mode API, no aws-auth ConfigMap):
an admin, a developer (edit in the developer namespaces, view elsewhere) and a viewer role, each
also put in a Kubernetes group so in-cluster RoleBindings can refer to them. Secrets are envelope
encrypted with a rotating KMS key; every control-plane log type goes to a log group whose
retention is ours (created before the cluster, or EKS would create one that never expires).
"""

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .addons import managed as eks_addons
from .args import validate_args
from .contracts import ClusterAccess
from .deploy_roles import CREATOR_TAG
from .log_retention import retention_problem
from .node_groups import (
    NODE_GROUP_DEFAULTS,
    NodeGroupArgs,
    managed_node_group,
    node_group_problems,
    node_role,
)

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/{}"
# Kubernetes groups the access entries put each role in; RoleBindings in the chart bind to these.
ADMIN_GROUP = "kubeboard:admins"
DEVELOPER_GROUP = "kubeboard:developers"
VIEWER_GROUP = "kubeboard:viewers"
# EKS versions still in standard or extended support (1.28 and later), as ``1.<minor>``.
_KUBERNETES_VERSION = re.compile(r"^1\.(2[89]|[3-9]\d)$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
MANAGED_ADDONS = tuple(addon.name for addon in eks_addons.MANAGED_CATALOG)


class UpgradePolicy(StrEnum):
    """What EKS does when ``kubernetes_version`` reaches the end of standard support."""

    STANDARD = "STANDARD"
    """EKS upgrades the control plane to the next minor itself; the next ``up`` must then carry that
    version (the stack file's older one would be a downgrade, which EKS refuses)."""
    EXTENDED = "EXTENDED"
    """The cluster stays on its version for 12 more months of extended support, billed per hour."""


class AccessArgs(TypedDict):
    admin_role_arn: pulumi.Input[str]
    """Cluster admin (AmazonEKSClusterAdminPolicy on the whole cluster). Required."""
    developer_role_arn: pulumi.Input[str]
    """Edit in `developer_namespaces`, view everywhere else. Required."""
    viewer_role_arn: pulumi.Input[str]
    """View only, cluster-wide. Required."""
    developer_namespaces: list[str]
    """Where developers may edit (at least one, no ``kube-*`` namespace). Required."""
    deploy_role_arns: NotRequired[list[str]]
    """Roles that run ``pulumi up`` of the stack: cluster admin, cluster-wide (default: none)."""
    preview_role_arn: NotRequired[str | None]
    """The read-only role of pull-request previews: view, cluster-wide (default: none)."""


class ClusterCreator(TypedDict):
    """Who creates the EKS cluster: EKS makes that principal admin itself, so it gets no entry.

    ``provider`` resolves to ``role_arn`` in deploys; only the cluster is created through it, so
    every other principal (the deploy roles included) is admitted by an explicit access entry.
    """

    provider: aws.Provider
    """The AWS provider that acts as ``role_arn``. Required."""
    role_arn: str
    """The creator's role. Required."""


class ClusterConfig(TypedDict):
    """The cluster's plain values: what ``kubeboard:cluster`` holds besides who may use the API."""

    kubernetes_version: str
    """``<major>.<minor>``, e.g. ``1.36``; see the README's upgrade procedure before changing it. Required."""
    upgrade_policy: UpgradePolicy
    """``STANDARD`` (EKS upgrades the control plane at the end of standard support) or ``EXTENDED``
    (12 more months on the same version, at the extended-support price). Required."""
    node_groups: list[NodeGroupArgs]
    """At least one managed node group, each named once. Required."""
    addon_versions: Mapping[str, str]
    """EKS managed add-on versions by add-on name (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver,
    aws-efs-csi-driver), each ``v<x.y.z>-eksbuild.<n>``; kube-proxy's minor is the cluster's. Required."""
    log_retention_days: NotRequired[int]
    """Retention of the control-plane log group, a CloudWatch Logs retention value (default 90)."""
    endpoint_public_access: NotRequired[bool]
    """Off by default: the API is reachable only from inside the VPC."""
    public_access_cidrs: NotRequired[list[str]]
    """The allow-list when the public endpoint is on (required then; default: none)."""


class ClusterArgs(ClusterConfig):
    """`ClusterConfig` and what the platform adds: the network, who may use the API, the creator."""

    name: str
    """The EKS cluster name; also the prefix of its resources. Required."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster. Required."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Control-plane ENIs and every node live here; nodes never get public subnets. Required."""
    access: AccessArgs
    """Who may use the API, through EKS access entries. Required."""
    protect: NotRequired[bool]
    """Deletion protection on the cluster and `protect` on its key (prod; default: false)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the cluster's AWS resources (default: none)."""
    creator: NotRequired[ClusterCreator]
    """A dedicated cluster creator; without it (default) the identity running ``pulumi up`` creates the
    cluster."""


DEFAULTS: dict[str, Any] = {
    "log_retention_days": 90,
    "endpoint_public_access": False,
    "public_access_cidrs": [],
    "protect": False,
    "tags": {},
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `ClusterArgs`, wiring left out or not) cannot build a cluster."""
    found: list[str] = []
    version = args.get("kubernetes_version")
    if not _KUBERNETES_VERSION.match(str(version)):
        found.append(
            f"kubernetes_version: must be <major>.<minor> of a supported EKS version, e.g. 1.36 (got {version!r})"
        )
    if "upgrade_policy" in args and args["upgrade_policy"] not in set(UpgradePolicy):
        found.append(f"upgrade_policy: {args['upgrade_policy']!r} is not one of {', '.join(UpgradePolicy)}")
    retention = retention_problem(args.get("log_retention_days", DEFAULTS["log_retention_days"]))
    if retention:
        found.append(f"log_retention_days: {retention}")
    found += _endpoint_problems(args)
    found += _node_group_problems(list(args.get("node_groups") or []))
    found += _addon_problems(args.get("addon_versions") or {}, str(version))
    if "access" in args:
        found += access_problems(args["access"], (args.get("creator") or {}).get("role_arn"))
    return found


def _endpoint_problems(args: Mapping[str, Any]) -> list[str]:
    public = args.get("endpoint_public_access", False)
    cidrs = list(args.get("public_access_cidrs") or [])
    if public and not cidrs:
        return ["public_access_cidrs: a public endpoint needs an allow-list of CIDRs"]
    if not public and cidrs:
        return ["public_access_cidrs: only used with a public endpoint; remove it or turn that on"]
    found = []
    for index, cidr in enumerate(cidrs):
        try:
            ipaddress.IPv4Network(cidr)
        except (TypeError, ValueError):
            found.append(f"public_access_cidrs[{index}]: {cidr!r} is not an IPv4 CIDR block")
    return found


def _node_group_problems(groups: list[Mapping[str, Any]]) -> list[str]:
    if not groups:
        return ["node_groups: needs at least one node group"]
    found = []
    names = [group.get("name") for group in groups]
    for index, group in enumerate(groups):
        found += [f"node_groups[{index}].{problem}" for problem in node_group_problems(group)]
        if names[index] in names[:index]:
            found.append(f"node_groups[{index}].name: {names[index]!r} is used by another node group")
    return found


def _addon_problems(versions: Mapping[str, str], kubernetes_version: str) -> list[str]:
    found = [f"addon_versions: no version of {name}" for name in MANAGED_ADDONS if name not in versions]
    found += [
        f"addon_versions.{name}: {version!r} is not an EKS add-on version such as v1.19.0-eksbuild.1"
        for name, version in versions.items()
        if not _ADDON_VERSION.match(str(version))
    ]
    kube_proxy = versions.get("kube-proxy")
    # kube-proxy must match the control plane's minor version exactly.
    if not found and kube_proxy and not kube_proxy.startswith(f"v{kubernetes_version}."):
        found.append(
            f"addon_versions.kube-proxy: {kube_proxy} does not match `kubernetes_version` {kubernetes_version} "
            f"(expected v{kubernetes_version}.x-eksbuild.N)"
        )
    return found


def access_problems(access: Mapping[str, Any], creator_role_arn: str | None) -> list[str]:
    """One access entry per principal, none for the creator (EKS makes it admin), one role per job.

    ARNs known only at deploy time (Outputs) are left to EKS.
    """
    found: list[str] = []
    namespaces = list(access.get("developer_namespaces") or [])
    if not namespaces:
        found.append("access.developer_namespaces: needs at least one namespace")
    if any(str(ns).startswith("kube-") for ns in namespaces):
        found.append("access.developer_namespaces: developers may not edit kube-* system namespaces")
    people = {key: access.get(key) for key in ("admin_role_arn", "developer_role_arn", "viewer_role_arn")}
    for key in ("admin_role_arn", "developer_role_arn"):
        arn = people[key]
        if isinstance(arn, str) and arn == people["viewer_role_arn"]:
            found.append(
                f"access.viewer_role_arn: must differ from `access.{key}`: one role, one set of permissions"
            )
    if isinstance(people["admin_role_arn"], str) and people["admin_role_arn"] == people["developer_role_arn"]:
        found.append(
            "access.developer_role_arn: must differ from `access.admin_role_arn`: one role, one set of permissions"
        )
    entries: dict[str, list[Any]] = {key: [arn] for key, arn in people.items() if arn}
    entries["deploy_role_arns"] = list(access.get("deploy_role_arns") or [])
    entries["preview_role_arn"] = [access["preview_role_arn"]] if access.get("preview_role_arn") else []
    seen: dict[str, str] = {}
    for key, arns in entries.items():
        for arn in arns:
            if not isinstance(arn, str):
                continue
            if arn == creator_role_arn:
                found.append(
                    f"creator.role_arn: {arn} is also `access.{key}`: EKS already makes the creator cluster "
                    "admin, and a second access entry for it fails (ResourceInUseException)"
                )
            elif arn in seen and key in ("deploy_role_arns", "preview_role_arn"):
                found.append(f"access.{key}: {arn} already has an access entry as `access.{seen[arn]}`")
            seen.setdefault(arn, key)
    return found


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
    access: ClusterAccess
    """What a component installing into this cluster takes: its name, provider, OIDC and node group."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Cluster", name, None, opts)
        validate_args("Cluster", args, ClusterArgs, problems)
        args = cast(ClusterArgs, {**DEFAULTS, **args})
        cluster_name = args["name"]
        tags = dict(args["tags"])
        protect = args["protect"]
        public = args["endpoint_public_access"]
        public_cidrs = list(args["public_access_cidrs"])
        child = pulumi.ResourceOptions(parent=self)
        creator = args.get("creator")

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
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(
                support_type=UpgradePolicy(args["upgrade_policy"]).value
            ),
            tags=tags,
            # The creator is recorded on the cluster itself: its admin is the one no entry shows.
            cluster_tags={CREATOR_TAG: creator["role_arn"]} if creator else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[log_group],
                providers={"aws": creator["provider"]} if creator else None,
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
                cast(NodeGroupArgs, {**NODE_GROUP_DEFAULTS, **group}),
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
        self.access = {
            "cluster_name": self.cluster_name,
            "provider": self.provider,
            "oidc_provider_arn": self.oidc_provider_arn,
            "oidc_issuer": self.oidc_issuer,
            "node_security_group_id": self.node_security_group_id,
        }
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
                "cluster_security_group_id": self.cluster_security_group_id,
                "node_security_group_id": self.node_security_group_id,
                "node_role_arn": self.node_role_arn,
                "node_role_name": self.node_role_name,
                "secrets_key_arn": self.secrets_key_arn,
                "control_plane_log_group_name": self.control_plane_log_group_name,
                "provider": self.provider,
                "node_groups": self.node_groups,
                "managed_addons": self.managed_addons,
                "access": self.access,
            }
        )
