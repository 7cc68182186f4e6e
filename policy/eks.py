"""EKS clusters: API access entries, private endpoint in prod, full control-plane logging, secrets KMS.

``eks:index:Cluster`` (pulumi-eks) is a remote component: offline it is one registration whose
inputs carry the settings, under the CLI its ``aws:eks/cluster:Cluster`` child is analysed too. Both
shapes are read.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.context import is_production
from kubeboard_policy.networks import internet_wide
from kubeboard_policy.props import get, items, strings

EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
CLUSTER_TYPES = (EKS_COMPONENT, EKS_CLUSTER)

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _is_component(args: ResourceValidationArgs) -> bool:
    return args.resource_type == EKS_COMPONENT


def _api_authentication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    key = "authenticationMode" if _is_component(args) else "accessConfig.authenticationMode"
    mode = get(args.props, key)
    if mode != "API":
        report(f"authentication mode is {mode or 'unset (CONFIG_MAP)'}; use API with access entries", None)


require_api_authentication_mode = TypedResourcePolicy(
    name="aws-eks-cluster-require-api-authentication-mode",
    description="EKS clusters grant access through access entries only (authentication mode API).",
    resource_types=CLUSTER_TYPES,
    check=_api_authentication,
    severity=Severity.HIGH,
    remediation_steps="Set authentication_mode='API' and grant roles with access entries.",
)


def _endpoint_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_production():
        return
    prefix = "" if _is_component(args) else "vpcConfig."
    # Both pulumi-eks and EKS itself default to a public endpoint open to 0.0.0.0/0.
    public = get(args.props, f"{prefix}endpointPublicAccess", True)
    if public is False or str(public).lower() == "false":
        return
    cidrs = strings(get(args.props, f"{prefix}publicAccessCidrs")) or ["0.0.0.0/0"]
    open_to_world = internet_wide(cidrs)
    if open_to_world:
        report(
            f"public API endpoint is reachable from {', '.join(open_to_world)} in a production stack", None
        )


disallow_api_endpoint_public_access = TypedResourcePolicy(
    name="aws-eks-cluster-disallow-api-endpoint-public-access",
    description="In prod the EKS API endpoint is private, or public only to an allow-list that does not cover the internet.",
    resource_types=CLUSTER_TYPES,
    check=_endpoint_private,
    severity=Severity.CRITICAL,
    remediation_steps="Set endpoint_public_access=False, or public_access_cidrs to the operators' ranges.",
)


def _logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    enabled = set(strings(get(args.props, "enabledClusterLogTypes")))
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        report(f"control-plane log types not enabled: {', '.join(missing)}", None)


enable_control_plane_logging = TypedResourcePolicy(
    name="aws-eks-cluster-enable-control-plane-logging",
    description="EKS clusters send all five control-plane log types to CloudWatch.",
    resource_types=CLUSTER_TYPES,
    check=_logging,
    severity=Severity.MEDIUM,
    remediation_steps="enabled_cluster_log_types=['api','audit','authenticator','controllerManager','scheduler'].",
)


def _secrets_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _is_component(args):
        if not get(args.props, "encryptionConfigKeyArn"):
            report("no KMS key for envelope encryption of Kubernetes secrets (encryptionConfigKeyArn)", None)
        return
    configs = items(get(args.props, "encryptionConfig"))
    covered = any("secrets" in strings(get(c, "resources")) and get(c, "provider.keyArn") for c in configs)
    if not covered:
        report("no KMS key encrypts the 'secrets' resource (encryptionConfig)", None)


enable_cluster_encryption_config = TypedResourcePolicy(
    name="aws-eks-cluster-enable-cluster-encryption-config",
    description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
    resource_types=CLUSTER_TYPES,
    check=_secrets_encryption,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Pass a rotating aws.kms.Key ARN as encryption_config_key_arn.",
)

POLICIES = [
    require_api_authentication_mode,
    disallow_api_endpoint_public_access,
    enable_control_plane_logging,
    enable_cluster_encryption_config,
]
