"""Small typed contracts one component hands another.

They are TypedDicts, like every Args type: a program in another language passes them through the
component provider as plain objects, which reach the component as dicts.
"""

from typing import TypedDict

import pulumi
import pulumi_kubernetes as k8s


class ClusterAccess(TypedDict):
    """What a component needs to install into a cluster and give its pods AWS roles (IRSA)."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster's name."""
    provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    oidc_provider_arn: pulumi.Input[str]
    """The IAM OIDC provider of the cluster's service-account tokens."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer without ``https://`` (the key of IRSA trust conditions)."""
    node_security_group_id: pulumi.Input[str]
    """The security group of the cluster's nodes."""


class AlertTopic(TypedDict):
    """The encrypted SNS topic alerts go to: publishers need its ARN and its key's."""

    arn: pulumi.Input[str]
    """The topic's ARN."""
    key_arn: pulumi.Input[str]
    """The KMS key the topic is encrypted with (publishers need ``kms:GenerateDataKey`` on it)."""
