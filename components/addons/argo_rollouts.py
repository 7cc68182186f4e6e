"""argo-rollouts: canary and blue/green deployments of workloads, with analysis on Prometheus metrics.

The controller shifts traffic through the ALB (it writes the weighted-forward action annotation the
load balancer controller turns into weighted target groups) and, with ``--aws-verify-target-group``,
reads the ALB back through IRSA before it counts a step as done. Its metrics are scraped through a
ServiceMonitor that kube-prometheus-stack creates (`service_monitor`), as for Loki: the release
then needs none of the monitoring CRDs and installs with the other add-ons.
"""

from __future__ import annotations

from typing import Any

from ..irsa import PolicyDocument
from .contract import AddOnSpec, IrsaSpec
from .pod_security import restricted_container

NAME = "argo-rollouts"
CHART_VERSION = "2.41.0"
APP_VERSION = "v1.9.0"
REPOSITORY = "https://argoproj.github.io/argo-helm"
NAMESPACE = "argo-rollouts"
SERVICE_ACCOUNT = "argo-rollouts"
METRICS_PORT_NAME = "metrics"
CONTROLLER_LABELS = {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/instance": NAME,
    "app.kubernetes.io/component": "rollouts-controller",
}
"""The controller's pod labels (and its metrics Service's), as the chart sets them."""
# The controller itself needs no other add-on; a strategy through the ALB needs the load balancer
# controller, which the settings check where the strategy is chosen.
DEPENDS_ON: tuple[str, ...] = ()


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


def spec(*, is_prod: bool) -> AddOnSpec:
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
    return AddOnSpec(
        name=NAME,
        chart=NAME,
        version=CHART_VERSION,
        repository=REPOSITORY,
        namespace=NAMESPACE,
        depends_on=DEPENDS_ON,
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
