"""GitOps: Argo CD behind the shared ALB and the root Application of the platform chart (K6, D1)."""

from .args import DEFAULTS, FleetHubOptions, GitOpsArgs, GitOpsConfig, RepositoryConfig, problems
from .component import GitOps, app_project, application
from .values import (
    CHART,
    CHART_NAMESPACE,
    CHART_VERSION,
    IN_CLUSTER,
    PLATFORM_CLUSTER_KINDS,
    PLATFORM_PROJECT,
    REPOSITORY,
    argocd_values,
    front_page_rollout,
    platform_chart_values,
)

__all__ = [
    "CHART",
    "CHART_NAMESPACE",
    "CHART_VERSION",
    "DEFAULTS",
    "IN_CLUSTER",
    "PLATFORM_CLUSTER_KINDS",
    "PLATFORM_PROJECT",
    "REPOSITORY",
    "FleetHubOptions",
    "GitOps",
    "GitOpsArgs",
    "GitOpsConfig",
    "RepositoryConfig",
    "app_project",
    "application",
    "argocd_values",
    "front_page_rollout",
    "platform_chart_values",
    "problems",
]
