"""The validated stack file as `PlatformArgs`: the one place the schema meets the library's Platform."""

from __future__ import annotations

from typing import cast

from ..deploy_runner import DeployRunnerConfig
from ..fleet.config import FleetRole
from ..human_roles import HumanRolesConfig
from ..platform_args import (
    ClusterSection,
    FleetSection,
    LogAlarmsSection,
    LogReportsSection,
    PlatformArgs,
)
from . import Settings
from .cluster import ClusterSettings
from .fleet import FleetSettings


def _human_roles(cluster: ClusterSettings) -> HumanRolesConfig | None:
    create = cluster.access.create_roles
    return create.to_config() if create is not None else None


def _cluster(cluster: ClusterSettings) -> ClusterSection:
    access = cluster.access
    return {
        "kubernetes_version": cluster.kubernetes_version,
        "upgrade_policy": cluster.upgrade_policy,
        "endpoint_public_access": cluster.endpoint.public_access,
        "public_access_cidrs": cluster.endpoint.public_access_cidrs,
        "access": {
            "admin_role_arn": access.admin_role_arn,
            "developer_role_arn": access.developer_role_arn,
            "viewer_role_arn": access.viewer_role_arn,
            "create_roles": _human_roles(cluster),
            "developer_namespaces": access.developer_namespaces,
            "deploy_role_arns": access.deploy_role_arns,
            "preview_role_arn": access.preview_role_arn,
            "cluster_creator_role_arn": access.cluster_creator_role_arn,
            "cluster_creator_profile": access.cluster_creator_profile,
        },
        "node_groups": [group.to_config() for group in cluster.node_groups],
        "addon_versions": cluster.managed_addons.by_addon_name(),
        "log_retention_days": cluster.log_retention_days,
    }


def _log_reports(settings: Settings) -> LogReportsSection | None:
    reports = settings.logReports
    exporter = reports.exporter
    if not reports.enabled or exporter is None:
        return None
    pinned = {
        "repository": exporter.repository,
        "image_tag": exporter.image_tag,
        "image_digest": exporter.image_digest,
    }
    return cast(LogReportsSection, {**reports.to_config(), "exporter": {**pinned, **exporter.to_config()}})


def platform_args(settings: Settings) -> PlatformArgs:
    """The `Platform` component's args from an environment stack's validated settings."""
    storage, runner, views, alarms = (
        settings.storage,
        settings.deployRunner,
        settings.views,
        settings.logAlarms,
    )
    return {
        "name": settings.platform.name,
        "region": settings.region,
        "environment": settings.platform.environment,
        "account_stack": settings.platform.account_stack,
        "tags": dict(settings.platform.tags),
        "network": settings.network.to_config(),
        "edge": settings.edge.to_config(),
        "cluster": _cluster(settings.cluster),
        "addons": settings.addons.choices(),
        "storage": storage.to_config() if storage.enabled else None,
        "observability": settings.observability.to_config() if settings.observability.enabled else None,
        "gitops": settings.gitops.to_config() if settings.gitops.enabled else None,
        "sso": settings.sso.to_config() if settings.sso is not None else None,
        "log_reports": _log_reports(settings),
        "deploy_runner": (
            cast(DeployRunnerConfig, runner.to_config())
            if runner.enabled and runner.repository is not None and runner.connection_arn is not None
            else None
        ),
        "views": (
            {
                "schedule": views.schedule,
                "error_reports": views.error_reports,
                "image_findings": views.image_findings,
                "max_reports": views.max_reports,
                "max_images": views.max_images,
                "top_findings": views.top_findings,
            }
            if views.enabled
            else None
        ),
        "log_alarms": cast(LogAlarmsSection, alarms.to_config()) if alarms.enabled else None,
        "fleet": _fleet(settings.fleet),
    }


def _fleet(fleet: FleetSettings) -> FleetSection:
    network = fleet.hub_network
    return {
        "role": fleet.role,
        "name": fleet.name,
        "hub": fleet.hub_config() if fleet.role == FleetRole.HUB else None,
        "hub_stack": fleet.hub_stack,
        "hub_network": {"path": network.path, "cidrs": list(network.cidrs)} if network else None,
    }
