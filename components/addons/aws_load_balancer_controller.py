"""aws-load-balancer-controller: turns Ingresses into ALBs and Services into NLBs (K7)."""

import json
from functools import cache
from importlib import resources
from typing import Any

from ..irsa import PolicyDocument
from .contract import AddOnSpec, IrsaSpec
from .definition import AddOnContext, AddOnDefinition, NoOptions
from .pod_security import restricted_container

NAME = "aws-load-balancer-controller"
# The label the platform chart puts on namespaces; team namespaces (dev, prod) carry `team`.
TIER_LABEL = "kubeboard.io/tier"
TEAM_TIER = "team"
CONTROLLER_VERSION = "v3.5.0"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
# The upstream docs/install/iam_policy.json at the controller's tag, kept byte for byte: a policy
# retyped by hand drifts from what the controller actually calls.
IAM_POLICY_FILE = f"aws-load-balancer-controller-iam-policy-{CONTROLLER_VERSION}.json"


@cache
def iam_policy() -> PolicyDocument:
    """The upstream IAM policy for the pinned controller version."""
    text = resources.files(__package__).joinpath("data", IAM_POLICY_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _build(context: AddOnContext, _options: NoOptions) -> AddOnSpec:
    cluster_name = context["cluster_name"]
    return DEFINITION.spec(
        irsa=IrsaSpec(service_account=SERVICE_ACCOUNT, policy_documents={"controller": iam_policy()}),
        values={
            # Set explicitly so the controller never falls back to reading IMDS (hop limit 1 blocks it).
            "clusterName": cluster_name,
            "region": context["region"],
            "vpcId": context["vpc_id"],
            "replicaCount": 2,
            "podDisruptionBudget": {"maxUnavailable": 1},
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
            "defaultTags": {"kubeboard.io/cluster": cluster_name},
            # The platform exposes everything through ALB Ingresses, never LoadBalancer Services.
            # The Service webhook (failurePolicy Fail, every Service in the cluster) would make any
            # release that creates a Service fail while the controller is starting or down.
            "enableServiceMutatorWebhook": False,
            # The chart's default keeps capabilities and the runtime's seccomp profile unset.
            "securityContext": restricted_container(),
            # The platform's class `alb` serves every namespace but the teams': those publish through
            # their own class (charts/kubeboard tenancy.yaml), never on the platform UIs' ALB.
            "ingressClassParams": {
                "spec": {
                    "namespaceSelector": {
                        "matchExpressions": [{"key": TIER_LABEL, "operator": "NotIn", "values": [TEAM_TIER]}]
                    }
                }
            },
        },
    )


DEFINITION: AddOnDefinition[NoOptions] = AddOnDefinition(
    name=NAME,
    chart=NAME,
    version="3.5.0",
    repository="https://aws.github.io/eks-charts",
    namespace="kube-system",
    settings_key="awsLoadBalancerController",
    options=NoOptions,
    defaults={},
    build=_build,
)
