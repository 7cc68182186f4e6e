"""The values GitOps hands its charts: Argo CD's own (``argocd_values``) and the platform
chart's (``platform_chart_values``), the one place infra outputs reach GitOps: the root Application
carries them as ``helm.valuesObject``, so the chart in git never hard-codes an ARN or a CIDR."""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..edge.ingress import PREFIX, IngressContract, ingress_annotations
from ..sso import DexClient, SsoConfig, argocd_rbac_policy, dex_config
from ..workload import resource_values

CHART = "argo-cd"
CHART_VERSION = "10.1.1"
REPOSITORY = "https://argoproj.github.io/argo-helm"
# The release is named "argocd" so the chart's objects are argocd-server, argocd-cm, ...
RELEASE_NAME = "argocd"
ROOT_APPLICATION = "kubeboard-platform"
# The AppProject of the platform chart: its repository, its three namespaces, and only the
# cluster-scoped kinds the chart itself creates (never the permissive `default` project).
PLATFORM_PROJECT = "kubeboard-platform"
PLATFORM_NAMESPACES = ("dev", "prod", "common")
PLATFORM_CLUSTER_KINDS = (
    ("", "Namespace"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("networking.k8s.io", "IngressClass"),
    ("elbv2.k8s.aws", "IngressClassParams"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
)
IN_CLUSTER = "https://kubernetes.default.svc"
DEX_SECRET = "argocd-dex-github"
REPOSITORY_SECRET = "kubeboard-platform-repository"
# Where the platform chart puts its namespaced objects (charts/kubeboard: kubeboard.namespace).
CHART_NAMESPACE = "common"
# Dashboards the observability stack provisions (components/observability/dashboards/*.json).
LOGGING_DASHBOARD = "kubeboard-error-logs"
_SMALL = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
"""The notifications controller and HAProxy."""
_TINY = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
"""Sentinels, init containers and the Redis password Job."""
INFRA_DASHBOARD = "kubeboard-infrastructure"
IMAGE_SCAN_DASHBOARD = "kubeboard-image-vulnerabilities"
# Annotations the platform chart's Ingress template writes itself from its own ingress fields.
_CHART_OWN_ANNOTATIONS = frozenset(
    f"{PREFIX}/{name}"
    for name in (
        "scheme",
        "target-type",
        "group.name",
        "group.order",
        "listen-ports",
        "ssl-redirect",
        "certificate-arn",
        "ssl-policy",
        "wafv2-acl-arn",
        "healthcheck-path",
    )
)


def argocd_values(
    config: Mapping[str, Any],
    *,
    sso: SsoConfig,
    dex_clients: Sequence[DexClient],
    high_availability: bool,
    hostname: str,
    ingress: pulumi.Input[Mapping[str, Any]],
) -> dict[str, Any]:
    """The argo-cd chart's values from the config with its defaults filled in (every key checked
    against the pinned chart in the tests)."""
    workload = resource_values(config["resources"])
    cm: dict[str, Any] = {
        # Everyone signs in through dex (GitHub teams): no local account exists to be guessed.
        "admin.enabled": False,
        "exec.enabled": False,
        "dex.config": dex_config(sso, dex_clients, secret_name=DEX_SECRET),
    }
    replicas = 2 if high_availability else 1
    # Two replicas of each stateless part in prod, never on one node, and a PDB to keep one up.
    ha: dict[str, Any] = {"replicas": replicas}
    if high_availability:
        ha["pdb"] = {"enabled": True, "minAvailable": 1}
    return {
        "global": {"domain": hostname},
        "configs": {
            # TLS ends at the ALB; the server speaks plain HTTP to it inside the VPC.
            "params": {"server.insecure": True},
            "cm": cm,
            "rbac": {
                "policy.default": "role:readonly",
                "policy.csv": argocd_rbac_policy(sso),
                "scopes": "[groups]",
            },
        },
        "controller": {"replicas": 1, "resources": resource_values(config["controller_resources"])},
        "notifications": {"resources": _SMALL},
        # The hook Job that generates the Redis password.
        "redisSecretInit": {"resources": _TINY},
        "server": {
            **ha,
            "resources": workload,
            # The CLI reaches the server through the ALB with --grpc-web (plain HTTP/1.1 and 2).
            "ingress": ingress,
        },
        "repoServer": {**ha, "resources": workload},
        "applicationSet": {**ha, "resources": workload},
        "dex": {"enabled": True, "resources": workload},
        # HA Redis (3 replicas with sentinels and HAProxy) in prod; the chart then drops the single one.
        "redis": {"resources": workload},
        "redis-ha": {
            "enabled": high_availability,
            "redis": {"resources": workload},
            "sentinel": {"resources": _TINY},
            "splitBrainDetection": {"resources": _TINY},
            # The config-init containers of the Redis pods and of HAProxy.
            "init": {"resources": _TINY},
            "haproxy": {"resources": _SMALL, "init": {"resources": _TINY}},
        },
    }


def platform_chart_values(
    *,
    environment: str,
    ingress: IngressContract,
    hostname: str,
    vpc_cidr: str,
    alb_subnet_cidrs: list[str],
    grafana_hostname: str | None,
    reserved_hosts: list[str],
    developer_group: str,
    viewer_group: str,
    storage_class_name: str | None,
    kubernetes_version: str,
    views: pulumi.Input[Mapping[str, Any]] | None = None,
    sign_in_annotations: Mapping[str, str] | None = None,
    rollout: Mapping[str, Any] | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """The platform chart's values from the stack's outputs (the shape of charts/kubeboard/values.yaml).

    ``sign_in_annotations`` (``sso.alb_oidc_annotations``) make the ALB authenticate every request.
    """
    annotations = ingress_annotations(ingress, hostname, extra=sign_in_annotations)

    def build(resolved: list[Any]) -> dict[str, Any]:
        contract, certificate_arn, web_acl_arn, views_values = resolved
        values: dict[str, Any] = {
            "network": {"vpcCidr": vpc_cidr, "albSubnetCidrs": alb_subnet_cidrs},
            # Pod Security follows the cluster's minor: it moves only with a planned upgrade.
            "podSecurity": {"version": f"v{kubernetes_version}"},
            "rbac": {"developerGroup": developer_group, "viewerGroup": viewer_group},
            "frontPage": {"title": f"Kubeboard ({environment})"},
            "ingress": {
                "enabled": True,
                "className": ingress["ingress_class_name"],
                "host": hostname,
                "groupName": ingress["group_name"],
                "certificateArn": certificate_arn,
                "wafAclArn": web_acl_arn,
                "sslPolicy": ingress["ssl_policy"],
                "extraAnnotations": {
                    key: value for key, value in contract.items() if key not in _CHART_OWN_ANNOTATIONS
                },
            },
            # No team Ingress may claim a platform UI's name (the front page's is added by the chart).
            "tenancy": {"reservedHosts": sorted(set(reserved_hosts))},
        }
        if grafana_hostname is not None:
            base = f"https://{grafana_hostname}/d"
            values["frontPage"] |= {
                "grafana": {
                    "loggingUrl": f"{base}/{LOGGING_DASHBOARD}",
                    "infraUrl": f"{base}/{INFRA_DASHBOARD}",
                },
                "links": [
                    {
                        "title": "Error logs in Grafana",
                        "url": f"{base}/{LOGGING_DASHBOARD}",
                        "description": "Error lines per namespace, every 10 minutes",
                    },
                    {"title": "Image findings in Grafana", "url": f"{base}/{IMAGE_SCAN_DASHBOARD}"},
                ],
            }
        if storage_class_name is not None:
            values["storage"] = {"storageClassName": storage_class_name}
        if views_values is not None:
            # The front page's error-log reports and image vulnerabilities (components/report_reader.py).
            values["views"] = dict(views_values)
        if rollout is not None:
            # The web tier's strategy and the Prometheus its analysis reads (`front_page_rollout`).
            values["rollout"] = dict(rollout)
        return values

    return pulumi.Output.all(annotations, ingress["certificate_arn"], ingress["web_acl_arn"], views).apply(
        build
    )


def front_page_rollout(strategy: str, prometheus_url: str | None) -> dict[str, Any]:
    """The platform chart's ``rollout`` values: a Deployment, or a Rollout analysed on Prometheus."""
    values: dict[str, Any] = {"strategy": strategy}
    if prometheus_url is not None:
        values["analysis"] = {"prometheusUrl": prometheus_url}
    return values


def merged_values(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        merged[key] = (
            merged_values(current, value)
            if isinstance(current, Mapping) and isinstance(value, Mapping)
            else value
        )
    return merged
