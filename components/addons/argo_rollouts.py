"""argo-rollouts: canary and blue/green deployments of workloads, with analysis on Prometheus metrics.

The controller shifts traffic through the ALB (it writes the weighted-forward action annotation the
load balancer controller turns into weighted target groups) and, with ``--aws-verify-target-group``,
reads the ALB back through IRSA before it counts a step as done. Its metrics are scraped through a
ServiceMonitor that kube-prometheus-stack creates (`service_monitor`), as for Loki: the release
then needs none of the monitoring CRDs and installs with the other add-ons.
"""

from enum import StrEnum
from typing import Any, TypedDict

from ..irsa import PolicyDocument
from .contract import AddOnSpec, IrsaSpec
from .definition import AddOnContext, AddOnDefinition
from .pod_security import restricted_container

NAME = "argo-rollouts"
CHART_VERSION = "2.41.0"
APP_VERSION = "v1.9.0"
NAMESPACE = "argo-rollouts"
SERVICE_ACCOUNT = "argo-rollouts"
METRICS_PORT_NAME = "metrics"
CONTROLLER_LABELS = {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/instance": NAME,
    "app.kubernetes.io/component": "rollouts-controller",
}
"""The controller's pod labels (and its metrics Service's), as the chart sets them."""


class FrontPageStrategy(StrEnum):
    """How a new version of the front page's web tier reaches its users."""

    DEPLOYMENT = "deployment"
    """A rolling update of a plain Deployment (no Argo Rollouts involved)."""
    CANARY = "canary"
    """A Rollout: the ALB sends a growing share of requests to the new pods, checked on Prometheus."""
    BLUE_GREEN = "blueGreen"
    """A Rollout: the new pods start beside the old behind a preview Service; the switch is all at once."""


class ArgoRolloutsOptions(TypedDict):
    front_page_strategy: FrontPageStrategy
    """The front page's strategy (default ``deployment``); the others need this add-on enabled.
    A strategy through the ALB needs the load balancer controller, which the settings check where
    the strategy is chosen (the controller itself needs no other add-on)."""


DEFAULTS: ArgoRolloutsOptions = {"front_page_strategy": FrontPageStrategy.DEPLOYMENT}


def iam_policy() -> PolicyDocument:
    """Read-only ELB access: verifying target groups and weights only describes the ALB."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Describe calls support no resource-level permissions.
                "Sid": "VerifyTargetGroupsAndWeights",
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTags",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                ],
                "Resource": "*",
            }
        ],
    }


def service_monitor(namespace: str = NAMESPACE) -> dict[str, Any]:
    """The controller's ServiceMonitor, as the chart would make it, for kube-prometheus-stack to create."""
    return {
        "name": NAME,
        "namespaceSelector": {"matchNames": [namespace]},
        "selector": {"matchLabels": dict(CONTROLLER_LABELS)},
        "endpoints": [{"port": METRICS_PORT_NAME, "interval": "30s"}],
    }


def _build(context: AddOnContext, _options: ArgoRolloutsOptions) -> AddOnSpec:
    is_prod = context["is_prod"]
    # Leader election keeps one active controller; prod runs a standby and a PDB keeps one up.
    replicas = 2 if is_prod else 1
    controller: dict[str, Any] = {
        "replicas": replicas,
        "pdb": {"enabled": is_prod, "minAvailable": 1},
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        # A step counts only once the ALB really forwards the new weights to registered targets.
        "awsVerifyTargetGroup": True,
        "metrics": {
            "enabled": True,
            "service": {"portName": METRICS_PORT_NAME},
            "serviceMonitor": {"enabled": False},
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            }
        ],
    }
    return DEFINITION.spec(
        irsa=IrsaSpec(service_account=SERVICE_ACCOUNT, policy_documents={"elb-read": iam_policy()}),
        values={
            # Deleting a CRD deletes every Rollout: uninstalling keeps them (the chart's default).
            "installCRDs": True,
            "keepCRDs": True,
            "controller": controller,
            # The UI is off: `kubectl argo rollouts` and Argo CD show the same; enable through values.
            "dashboard": {"enabled": False},
            "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": restricted_container(),
            # Only the traffic router the platform uses gets RBAC (no Istio, SMI, Traefik, ...).
            "providerRBAC": {
                "enabled": True,
                "providers": {
                    "istio": False,
                    "smi": False,
                    "ambassador": False,
                    "awsLoadBalancerController": True,
                    "awsAppMesh": False,
                    "traefik": False,
                    "apisix": False,
                    "contour": False,
                    "glooPlatform": False,
                    "gatewayAPI": False,
                },
            },
        },
    )


DEFINITION: AddOnDefinition[ArgoRolloutsOptions] = AddOnDefinition(
    name=NAME,
    chart=NAME,
    version=CHART_VERSION,
    repository="https://argoproj.github.io/argo-helm",
    namespace=NAMESPACE,
    settings_key="argoRollouts",
    options=ArgoRolloutsOptions,
    defaults=DEFAULTS,
    build=_build,
)
