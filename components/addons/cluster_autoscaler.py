"""cluster-autoscaler: grows and shrinks the managed node groups' ASGs with pending pods (O4).

It owns the tags it discovers the node groups' ASGs by (`attach`): they exist only while it runs.
"""

from typing import Any

import pulumi
import pulumi_aws as aws

from ..irsa import PolicyDocument
from ..node_groups import TAINT_EFFECTS, NodeGroupArgs
from .contract import AddOnSpec, IrsaSpec
from .definition import AddOnContext, AddOnDefinition, NoOptions
from .pod_security import restricted_container, restricted_pod
from .release import HelmAddOn

NAME = "cluster-autoscaler"
SERVICE_ACCOUNT = "cluster-autoscaler"
TAG_PREFIX = "k8s.io/cluster-autoscaler/"


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """The ASG tags the autoscaler discovers node groups by; its write permissions require them too."""
    return {f"{TAG_PREFIX}enabled": "true", f"{TAG_PREFIX}{cluster_name}": "owned"}


def asg_tags(cluster_name: str, group: NodeGroupArgs) -> dict[str, str]:
    """Tags it reads on a node group's ASG: discovery, plus its labels and taints to scale from zero."""
    tags = discovery_tags(cluster_name)
    for key, value in (group.get("labels") or {}).items():
        tags[f"{TAG_PREFIX}node-template/label/{key}"] = value
    for taint in group.get("taints") or []:
        effect = TAINT_EFFECTS[taint["effect"]]
        tags[f"{TAG_PREFIX}node-template/taint/{taint['key']}"] = f"{taint.get('value', '')}:{effect}"
    return tags


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


def _build(context: AddOnContext, _options: NoOptions) -> AddOnSpec:
    cluster_name = context["cluster_name"]
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        "awsRegion": context["region"],
        "autoDiscovery": {"clusterName": cluster_name},
        # The autoscaler's minor version must match the control plane's.
        "image": {"tag": f"v{context['kubernetes_version']}.0"},
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
    return DEFINITION.spec(
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT,
            policy_documents={"autoscaling": iam_policy(cluster_name)},
            service_account_path=("rbac", "serviceAccount"),
        ),
        values=values,
    )


def _attach(context: AddOnContext, _release: HelmAddOn, opts: pulumi.ResourceOptions) -> None:
    """Tag each node group's ASG (EKS does not pass a node group's tags on to its ASG).

    Each tag is a child of its node group, so it goes (and comes back) with the group.
    """
    cluster_name = context["cluster_name"]
    for group in context.get("node_groups", ()):
        name = group["args"]["name"]
        asg_name = group["node_group"].resources.apply(_asg_name)
        for key, value in asg_tags(cluster_name, group["args"]).items():
            suffix = key.removeprefix(TAG_PREFIX).replace("/", "-").replace(".", "-")
            aws.autoscaling.Tag(
                f"{cluster_name}-{name}-{suffix}",
                autoscaling_group_name=asg_name,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=group["node_group"])),
            )


def _asg_name(resources: list[aws.eks.outputs.NodeGroupResource]) -> str:
    """The name of the Auto Scaling group EKS created for a managed node group."""
    groups = resources[0].autoscaling_groups or []
    if not groups or not groups[0].name:
        raise ValueError("EKS reported no Auto Scaling group for the node group")
    return groups[0].name


DEFINITION: AddOnDefinition[NoOptions] = AddOnDefinition(
    name=NAME,
    chart=NAME,
    version="9.59.0",
    repository="https://kubernetes.github.io/autoscaler",
    namespace="kube-system",
    settings_key="clusterAutoscaler",
    options=NoOptions,
    defaults={},
    build=_build,
    attach=_attach,
)
