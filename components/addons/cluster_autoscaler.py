"""cluster-autoscaler: grows and shrinks the managed node groups' ASGs with pending pods (O4)."""

from __future__ import annotations

from typing import Any

from ..irsa import PolicyDocument
from .contract import AddOnSpec, IrsaSpec
from .pod_security import restricted_container, restricted_pod

NAME = "cluster-autoscaler"
CHART_VERSION = "9.59.0"
REPOSITORY = "https://kubernetes.github.io/autoscaler"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
DEPENDS_ON: tuple[str, ...] = ()


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """The ASG tags the autoscaler discovers node groups by; its write permissions require them too."""
    return {"k8s.io/cluster-autoscaler/enabled": "true", f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}


def iam_policy(cluster_name: str) -> PolicyDocument:
    """Read what it needs everywhere; resize and terminate only ASGs tagged as this cluster's."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScaleOnlyThisClustersGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                # EKS names a managed node group's ASG eks-<node group>-<id>; the tag does the rest.
                "Resource": "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/eks-*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                },
            },
            {
                # Describe/List calls do not support resource-level permissions.
                "Sid": "DiscoverGroupsAndInstanceTypes",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ReadThisClustersNodeGroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": f"arn:aws:eks:*:*:nodegroup/{cluster_name}/*/*",
            },
        ],
    }


def spec(*, cluster_name: str, region: str, kubernetes_version: str) -> AddOnSpec:
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        # The autoscaler's minor version must match the control plane's.
        "image": {"tag": f"v{kubernetes_version}.0"},
        "extraArgs": {
            "balance-similar-node-groups": True,
            "skip-nodes-with-system-pods": False,
            "expander": "least-waste",
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "300Mi"},
            "limits": {"cpu": "500m", "memory": "600Mi"},
        },
        # The chart sets no security context; the autoscaler needs no privileges at all.
        "securityContext": restricted_pod(),
        "containerSecurityContext": restricted_container(),
    }
    return AddOnSpec(
        name=NAME,
        chart=NAME,
        version=CHART_VERSION,
        repository=REPOSITORY,
        namespace=NAMESPACE,
        depends_on=DEPENDS_ON,
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT,
            policy_documents={"autoscaling": iam_policy(cluster_name)},
            service_account_path=("rbac", "serviceAccount"),
        ),
        values=values,
    )
