"""`kubeboard:cluster`: the EKS control plane, who may use it, its node groups and managed add-ons.

Rules about the environment (prod's endpoint) live in ``Settings`` because they need two sections.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic.alias_generators import to_snake

from ..addons.managed import MANAGED_CATALOG
from .base import Model
from .human_roles import CreateRolesSettings
from .types import IamRoleArn, Ipv4Cidr, Name, RetentionDays, at_most

_KUBERNETES_VERSION = re.compile(r"^1\.(2[89]|[3-9]\d)$")


def _kubernetes_version(text: str) -> str:
    if not _KUBERNETES_VERSION.match(text):
        raise ValueError(f"must be <major>.<minor> of a supported EKS version, e.g. 1.36 (got {text!r})")
    return text


KubernetesVersion = Annotated[str, AfterValidator(_kubernetes_version)]
"""``1.<minor>``: EKS versions still in standard or extended support (1.28 and later)."""
EksAddonVersion = Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]
InstanceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
# The cluster autoscaler learns a node group's labels and taints from Auto Scaling group tags
# "k8s.io/cluster-autoscaler/node-template/label/<key>" (and ".../taint/<key>"); AWS tag keys are at
# most 128 characters.
LABEL_KEY_MAX_LENGTH = 128 - len("k8s.io/cluster-autoscaler/node-template/label/")


LabelKey = Annotated[
    str,
    Field(pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"),
    at_most(
        LABEL_KEY_MAX_LENGTH,
        so_that="the cluster autoscaler's tag k8s.io/cluster-autoscaler/node-template/label/<key> "
        "(or taint/<key>) fits AWS's 128",
    ),
]
# Kubernetes label and taint values: at most 63 characters (which also keeps the autoscaler's tag
# values within AWS's 256).
LabelValue = Annotated[str, Field(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", max_length=63)]
Namespace = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]


class CapacityType(StrEnum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"
    """Up to 90% cheaper; nodes can be reclaimed with two minutes' notice."""


class UpgradePolicy(StrEnum):
    """What EKS does when ``kubernetesVersion`` reaches the end of standard support."""

    STANDARD = "STANDARD"
    """EKS upgrades the control plane to the next minor itself; the next ``up`` must then carry that
    version (the stack file's older one would be a downgrade, which EKS refuses)."""
    EXTENDED = "EXTENDED"
    """The cluster stays on its version for 12 more months of extended support, billed per hour."""


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NO_SCHEDULE"
    NO_EXECUTE = "NO_EXECUTE"
    PREFER_NO_SCHEDULE = "PREFER_NO_SCHEDULE"


class AmiType(StrEnum):
    """AL2023 only: the launch template's root device (/dev/xvda) and IMDS settings assume it."""

    AL2023_X86_64 = "AL2023_x86_64_STANDARD"
    AL2023_ARM_64 = "AL2023_ARM_64_STANDARD"


class Taint(Model):
    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect


class NodeGroupSettings(Model):
    name: Name
    instance_types: Annotated[list[InstanceType], Field(min_length=1, max_length=20)]
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    min_size: Annotated[int, Field(ge=0)]
    desired_size: Annotated[int, Field(ge=0)]
    max_size: Annotated[int, Field(ge=1, le=450)]
    disk_size_gib: Annotated[int, Field(ge=20, le=16384)] = 50
    ami_type: AmiType = AmiType.AL2023_X86_64
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sizes_ordered(self) -> Self:
        if self.max_size < self.min_size:
            raise ValueError(f"maxSize: must be >= minSize ({self.min_size})")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"desiredSize: must be between minSize ({self.min_size}) and maxSize ({self.max_size})"
            )
        if self.capacity_type is CapacityType.SPOT and len(self.instance_types) < 2:
            raise ValueError(
                "instanceTypes: a SPOT group needs at least two instance types, so one reclaimed "
                "capacity pool cannot empty it"
            )
        return self


class EndpointSettings(Model):
    """Who reaches the Kubernetes API (O7). Private access is always on."""

    public_access: bool = False
    public_access_cidrs: list[Ipv4Cidr] = Field(default_factory=list)
    """Required when ``publicAccess`` is on: the only sources the public endpoint admits."""

    @model_validator(mode="after")
    def _allow_list(self) -> Self:
        if self.public_access and not self.public_access_cidrs:
            raise ValueError("publicAccessCidrs: a public endpoint needs an allow-list of CIDRs")
        if not self.public_access and self.public_access_cidrs:
            raise ValueError(
                "publicAccessCidrs: only used with publicAccess: true; remove it or turn that on"
            )
        return self

    @property
    def open_to_internet(self) -> bool:
        return self.public_access and any(
            ipaddress.IPv4Network(cidr).prefixlen == 0 for cidr in self.public_access_cidrs
        )


class AccessSettings(Model):
    """IAM roles mapped to cluster permissions through EKS access entries (F3, O5, H6)."""

    admin_role_arn: IamRoleArn | None = None
    developer_role_arn: IamRoleArn | None = None
    viewer_role_arn: IamRoleArn | None = None
    """The three people's roles, made elsewhere; or leave them out and set ``createRoles``."""
    create_roles: CreateRolesSettings | None = None
    """The stack makes ``<platform.name>-admin``, ``-developer`` and ``-viewer``, trusting the account's
    identity provider (SAML, OIDC or IAM Identity Center), each mapped to its access entry."""
    developer_namespaces: Annotated[list[Namespace], Field(min_length=1)] = Field(
        default_factory=lambda: ["dev"]
    )
    """Where developers may edit; everywhere else they only view."""
    deploy_role_arns: Annotated[list[IamRoleArn], Field(min_length=1)]
    """Roles that run ``pulumi up`` of this stack (its CI deploy role): cluster admin entries."""
    preview_role_arn: IamRoleArn | None = None
    """The read-only role of pull-request previews: a view entry."""
    cluster_creator_role_arn: IamRoleArn
    """The role the cluster is created with; EKS makes its creator admin by itself, so it gets no entry."""
    cluster_creator_profile: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = (
        "kubeboard-cluster-creator"
    )
    """The AWS profile that resolves to ``clusterCreatorRoleArn`` in deploys (see the README)."""

    @model_validator(mode="after")
    def _roles_given_or_created(self) -> Self:
        given = {
            "adminRoleArn": self.admin_role_arn,
            "developerRoleArn": self.developer_role_arn,
            "viewerRoleArn": self.viewer_role_arn,
        }
        for key, arn in given.items():
            if self.create_roles is not None and arn is not None:
                raise ValueError(f"{key}: the stack creates this role (createRoles); remove the ARN")
            if self.create_roles is None and arn is None:
                raise ValueError(f"{key}: required, or set createRoles to have the stack create the roles")
        return self

    @model_validator(mode="after")
    def _one_entry_per_principal(self) -> Self:
        entries = {
            "adminRoleArn": [self.admin_role_arn] if self.admin_role_arn else [],
            "developerRoleArn": [self.developer_role_arn] if self.developer_role_arn else [],
            "viewerRoleArn": [self.viewer_role_arn] if self.viewer_role_arn else [],
            "deployRoleArns": self.deploy_role_arns,
            "previewRoleArn": [self.preview_role_arn] if self.preview_role_arn else [],
        }
        seen: dict[str, str] = {}
        for key, arns in entries.items():
            for arn in arns:
                if arn == self.cluster_creator_role_arn:
                    raise ValueError(
                        f"clusterCreatorRoleArn: {arn} is also {key}: EKS already makes the creator cluster "
                        "admin, and a second access entry for it fails (ResourceInUseException)"
                    )
                if arn in seen and key not in ("adminRoleArn", "developerRoleArn", "viewerRoleArn"):
                    raise ValueError(f"{key}: {arn} already has an access entry as {seen[arn]}")
                seen.setdefault(arn, key)
        return self

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        roles = {"adminRoleArn": self.admin_role_arn, "developerRoleArn": self.developer_role_arn}
        for key, arn in roles.items():
            if arn is not None and arn == self.viewer_role_arn:
                raise ValueError(f"viewerRoleArn: must differ from {key}: one role, one set of permissions")
        if self.admin_role_arn is not None and self.admin_role_arn == self.developer_role_arn:
            raise ValueError(
                "developerRoleArn: must differ from adminRoleArn: one role, one set of permissions"
            )
        if any(ns.startswith("kube-") for ns in self.developer_namespaces):
            raise ValueError("developerNamespaces: developers may not edit kube-* system namespaces")
        return self


class ManagedAddonVersions(Model):
    """EKS managed add-on versions, pinned (``aws eks describe-addon-versions`` lists them)."""

    vpc_cni: EksAddonVersion
    coredns: EksAddonVersion
    kube_proxy: EksAddonVersion
    aws_ebs_csi_driver: EksAddonVersion
    aws_efs_csi_driver: EksAddonVersion

    def by_addon_name(self) -> dict[str, str]:
        """Each pinned version by EKS add-on name, as `Cluster` takes them (``addon_versions``)."""
        return {addon.name: getattr(self, to_snake(addon.settings_key)) for addon in MANAGED_CATALOG}


class ClusterSettings(Model):
    kubernetes_version: KubernetesVersion
    """``1.<minor>``; upgrade one minor at a time (see the README's upgrade procedure)."""
    upgrade_policy: UpgradePolicy
    """Required, so the choice between an automatic upgrade and extended-support charges is written down."""
    log_retention_days: RetentionDays = 90
    """Retention of the control-plane log group (``/aws/eks/<name>/cluster``)."""
    endpoint: EndpointSettings = EndpointSettings()
    access: AccessSettings
    node_groups: Annotated[list[NodeGroupSettings], Field(min_length=1)]
    managed_addons: ManagedAddonVersions

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [group.name for group in self.node_groups]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"nodeGroups[{index}].name: {name!r} is used by another node group")
        # kube-proxy must match the control plane's minor version exactly.
        if not self.managed_addons.kube_proxy.startswith(f"v{self.kubernetes_version}."):
            raise ValueError(
                f"managedAddons.kubeProxy: {self.managed_addons.kube_proxy} does not match kubernetesVersion "
                f"{self.kubernetes_version} (expected v{self.kubernetes_version}.x-eksbuild.N)"
            )
        return self
