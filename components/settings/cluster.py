"""`kubeboard:cluster`: the EKS control plane, who may use it, its node groups and managed add-ons.

Rules about the environment (prod's endpoint) live in ``Settings`` because they need two sections.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Self

from pydantic import Field, model_validator
from pydantic.alias_generators import to_snake

from ..addons.managed import MANAGED_CATALOG
from ..cluster import DEFAULTS, UpgradePolicy, problems
from ..node_groups import AmiType, CapacityType, NodeGroupArgs, TaintEffect, node_group_problems
from .base import Model, raise_first
from .human_roles import CreateRolesSettings
from .types import IamRoleArn, Ipv4Cidr, at_most

__all__ = ["AmiType", "CapacityType", "ClusterSettings", "NodeGroupSettings", "TaintEffect", "UpgradePolicy"]

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


class Taint(Model):
    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect


class NodeGroupSettings(Model):
    """One managed node group; its rules (name, sizes, instance types) are the component's."""

    name: str
    instance_types: list[str]
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int = 50
    ami_type: AmiType = AmiType.AL2023_X86_64
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)

    def to_config(self) -> NodeGroupArgs:
        return {
            "name": self.name,
            "instance_types": list(self.instance_types),
            "capacity_type": self.capacity_type,
            "min_size": self.min_size,
            "desired_size": self.desired_size,
            "max_size": self.max_size,
            "disk_size_gib": self.disk_size_gib,
            "ami_type": self.ami_type,
            "labels": dict(self.labels),
            "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in self.taints],
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(node_group_problems(self.to_config()))
        return self


class EndpointSettings(Model):
    """Who reaches the Kubernetes API (O7). Private access is always on."""

    public_access: bool = False
    public_access_cidrs: list[Ipv4Cidr] = Field(default_factory=list)
    """Required when ``publicAccess`` is on: the only sources the public endpoint admits."""

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
    developer_namespaces: list[Namespace] = Field(default_factory=lambda: ["dev"])
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


class ManagedAddonVersions(Model):
    """EKS managed add-on versions, pinned (``aws eks describe-addon-versions`` lists them)."""

    vpc_cni: str
    coredns: str
    kube_proxy: str
    aws_ebs_csi_driver: str
    aws_efs_csi_driver: str

    def by_addon_name(self) -> dict[str, str]:
        """Each pinned version by EKS add-on name, as `Cluster` takes them (``addon_versions``)."""
        return {addon.name: getattr(self, to_snake(addon.settings_key)) for addon in MANAGED_CATALOG}


# Where the stack file keeps what the component takes under another name.
_STACK_KEYS = {
    "endpoint_public_access": "endpoint.public_access",
    "public_access_cidrs": "endpoint.public_access_cidrs",
    "creator.role_arn": "access.cluster_creator_role_arn",
    "addon_versions": "managed_addons",
    **{
        f"addon_versions.{addon.name}": f"managed_addons.{to_snake(addon.settings_key)}"
        for addon in MANAGED_CATALOG
    },
}


class ClusterSettings(Model):
    kubernetes_version: str
    """``1.<minor>`` of an EKS version still supported (1.28 and later); upgrade one minor at a time
    (see the README's upgrade procedure)."""
    upgrade_policy: UpgradePolicy
    """Required, so the choice between an automatic upgrade and extended-support charges is written down."""
    log_retention_days: int = DEFAULTS["log_retention_days"]
    """Retention of the control-plane log group (``/aws/eks/<name>/cluster``)."""
    endpoint: EndpointSettings = EndpointSettings()
    access: AccessSettings
    node_groups: list[NodeGroupSettings]
    managed_addons: ManagedAddonVersions

    def to_config(self) -> dict[str, Any]:
        """The `Cluster` component's plain values from this section (roles created here left out)."""
        access = self.access
        given = {
            "admin_role_arn": access.admin_role_arn,
            "developer_role_arn": access.developer_role_arn,
            "viewer_role_arn": access.viewer_role_arn,
        }
        return {
            "kubernetes_version": self.kubernetes_version,
            "upgrade_policy": self.upgrade_policy,
            "log_retention_days": self.log_retention_days,
            "endpoint_public_access": self.endpoint.public_access,
            "public_access_cidrs": list(self.endpoint.public_access_cidrs),
            "node_groups": [group.to_config() for group in self.node_groups],
            "addon_versions": self.managed_addons.by_addon_name(),
            "access": {
                **{key: arn for key, arn in given.items() if arn is not None},
                "developer_namespaces": list(access.developer_namespaces),
                "deploy_role_arns": list(access.deploy_role_arns),
                "preview_role_arn": access.preview_role_arn,
            },
            "creator": {"role_arn": access.cluster_creator_role_arn},
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_config()), _STACK_KEYS)
        return self
