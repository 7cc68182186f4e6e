"""The GitOps bridge: what a spoke's stack exports for its hub, and how the hub's cluster secret
carries it to Argo CD (labels to select clusters by, annotations to template values from).

Both sides import this module, so the output name, the label keys and the annotation keys are
written once.
"""

import json
from collections.abc import Mapping
from typing import Any, TypedDict

BRIDGE_OUTPUT = "fleetBridge"
"""A spoke's stack output: everything the hub needs to register and deploy it (``Bridge``)."""
HUB_EGRESS_OUTPUT = "fleetHubEgressIps"
"""A hub's stack output: its NAT addresses, for a spoke whose API admits the hub by allow-list."""
HUB_ROLE_OUTPUT = "fleetHubRoleArns"
"""A hub's stack output: the roles its Argo CD runs as (controller, server), which every spoke admits."""

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
CLUSTER_SECRET_TYPE = "cluster"
PREFIX = "kubeboard.io"
FLEET_LABEL = f"{PREFIX}/fleet"
WAVE_LABEL = f"{PREFIX}/wave"
ENVIRONMENT_LABEL = f"{PREFIX}/environment"
CLUSTER_NAME_LABEL = f"{PREFIX}/cluster-name"
REGION_LABEL = f"{PREFIX}/region"
REVISION_ANNOTATION = f"{PREFIX}/target-revision"
VALUES_ANNOTATION = f"{PREFIX}/platform-values"
ACCESS_ROLE_ANNOTATION = f"{PREFIX}/access-role-arn"
EFS_ANNOTATION = f"{PREFIX}/efs-file-system-id"
IRSA_ANNOTATION = f"{PREFIX}/irsa-role-arn."
BUCKET_ANNOTATION = f"{PREFIX}/bucket."


class HubNetwork(TypedDict):
    path: str
    """``private`` or ``allowList``."""
    cidrs: list[str]
    """What the spoke's API admits the hub from."""


class Bridge(TypedDict):
    """A spoke's ``fleetBridge`` output (camelCase: it is read back from the stack's outputs)."""

    clusterName: str
    """The spoke's EKS cluster."""
    endpoint: str
    """Its Kubernetes API endpoint."""
    caData: str
    """Its API's certificate authority (public)."""
    region: str
    """Its region."""
    environment: str
    """Its environment (``dev`` or ``prod``)."""
    accessRoleArn: str
    """The role the hub's Argo CD assumes; it has the spoke's access entry."""
    fleet: str
    """The fleet the spoke joined (``fleet.name``): the hub's own."""
    hubRoleArns: list[str]
    """The hub roles the spoke admits: they must be the hub's own."""
    hubNetwork: HubNetwork
    """How the hub reaches its API."""
    irsaRoleArns: dict[str, str]
    """The IRSA roles its chart's workloads use, by key."""
    buckets: dict[str, str]
    """The buckets its chart's workloads use, by key."""
    efsFileSystemId: str | None
    """Its shared file system, if it has one."""
    platformValues: dict[str, Any]
    """The platform chart's values for this cluster (``platform_chart_values``)."""


def cluster_config(bridge: Mapping[str, Any] | None) -> dict[str, Any]:
    """The cluster secret's ``config``: IAM authentication (the hub's role assumes the spoke's), the CA.

    No token, password or client key: the credential is the hub's IRSA session, minted per request.
    """
    if bridge is None:
        return {"tlsClientConfig": {"insecure": False}}  # the hub's own cluster: its service accounts
    return {
        "awsAuthConfig": {"clusterName": bridge["clusterName"], "roleARN": bridge["accessRoleArn"]},
        "tlsClientConfig": {"insecure": False, "caData": bridge["caData"]},
    }


def secret_labels(
    *, fleet: str, wave: str, environment: str, cluster_name: str, region: str
) -> dict[str, str]:
    """What the ApplicationSets select clusters by (label values: at most 63 characters)."""
    return {
        SECRET_TYPE_LABEL: CLUSTER_SECRET_TYPE,
        FLEET_LABEL: fleet,
        WAVE_LABEL: wave,
        ENVIRONMENT_LABEL: environment,
        CLUSTER_NAME_LABEL: cluster_name,
        REGION_LABEL: region,
    }


def secret_annotations(
    *,
    target_revision: str,
    platform_values: Mapping[str, Any],
    access_role_arn: str | None,
    irsa_role_arns: Mapping[str, str],
    buckets: Mapping[str, str],
    efs_file_system_id: str | None,
) -> dict[str, str]:
    """What the ApplicationSets template per-cluster values from (any length, strings only)."""
    found = {
        REVISION_ANNOTATION: target_revision,
        # JSON is YAML: the Application passes it as the chart's `helm.values` unchanged.
        VALUES_ANNOTATION: json.dumps(_whole_numbers(platform_values), sort_keys=True),
        **{f"{IRSA_ANNOTATION}{key}": arn for key, arn in sorted(irsa_role_arns.items())},
        **{f"{BUCKET_ANNOTATION}{key}": bucket for key, bucket in sorted(buckets.items())},
    }
    if access_role_arn is not None:
        found[ACCESS_ROLE_ANNOTATION] = access_role_arn
    if efs_file_system_id is not None:
        found[EFS_ANNOTATION] = efs_file_system_id
    return found


def _whole_numbers(value: Any) -> Any:
    """Numbers read back from a stack's outputs are floats; the chart's schema wants integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value
