"""The validated stack file as `PlatformArgs`: the one place the schema meets the library's Platform."""

from __future__ import annotations

from ..fleet.config import FleetRole
from ..platform_args import ClusterSection, FleetSection, HumanRolesSection, LogReportsSection, PlatformArgs
from . import Settings
from .cluster import ClusterSettings
from .fleet import FleetSettings


def _human_roles(cluster: ClusterSettings) -> HumanRolesSection | None:
    create = cluster.access.create_roles
    if create is None:
        return None
    return {
        "saml": {"provider_arn": create.saml.provider_arn} if create.saml else None,
        "oidc": (
            {
                "provider_arn": create.oidc.provider_arn,
                "audience": create.oidc.audience,
                "subjects": create.oidc.subjects.model_dump(),
            }
            if create.oidc
            else None
        ),
        "identity_center": (
            {"permission_sets": create.identity_center.permission_sets.model_dump()}
            if create.identity_center
            else None
        ),
        "max_session_hours": create.max_session_hours,
    }


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
    return {
        "namespaces": reports.namespaces,
        "exporter": {
            "repository": exporter.repository,
            "image_tag": exporter.image_tag,
            "image_digest": exporter.image_digest,
            "namespace": exporter.namespace,
            "service_account": exporter.service_account,
            "schedule": exporter.schedule,
            "backfill_windows": exporter.backfill_windows,
            "page_limit": exporter.page_limit,
            "line_filter": exporter.line_filter,
            "resources": {
                "requests": {
                    "cpu": exporter.resources.cpu_request,
                    "memory": exporter.resources.memory_request,
                },
                "limits": {"cpu": exporter.resources.cpu_limit, "memory": exporter.resources.memory_limit},
            },
        },
        "raw_retention_days": reports.raw_retention_days,
        "report_retention_days": reports.report_retention_days,
        "error_threshold": reports.error_threshold,
        "log_retention_days": reports.log_retention_days,
        "reserved_concurrency": reports.reserved_concurrency,
        "memory_mb": reports.memory_mb,
        "max_retry_attempts": reports.max_retry_attempts,
    }


def platform_args(settings: Settings) -> PlatformArgs:
    """The `Platform` component's args from an environment stack's validated settings."""
    network, edge, waf = settings.network, settings.edge, settings.edge.waf
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
        "network": {
            "cidr": network.cidr,
            "availability_zones": network.availability_zones,
            "public_subnet_cidrs": network.public_subnet_cidrs,
            "private_subnet_cidrs": network.private_subnet_cidrs,
            "intra_subnet_cidrs": network.intra_subnet_cidrs,
            "nat_gateways": network.nat_gateways.value,
            "endpoints": network.endpoints.model_dump(),
            "flow_log_retention_days": network.flow_logs.retention_days,
            "flow_log_traffic_type": network.flow_logs.traffic_type,
        },
        "edge": {
            "domain": edge.domain,
            "hosted_zone_id": edge.hosted_zone.id,
            "ingress_group": edge.ingress_group,
            "rate_limit": waf.rate_limit,
            "rate_limit_window_seconds": waf.rate_limit_window_seconds,
            "allowed_countries": waf.allowed_countries,
            "block_anonymous_ips": waf.block_anonymous_ips,
            "allow_cidrs": waf.allow_cidrs,
            "deny_cidrs": waf.deny_cidrs,
            "waf_log_retention_days": waf.log_retention_days,
            "access_log_expiration_days": edge.access_logs.expiration_days,
            "access_log_force_destroy": edge.access_logs.force_destroy,
        },
        "cluster": _cluster(settings.cluster),
        "addons": settings.addons.choices(),
        "storage": (
            {
                "access_point": {
                    "path": storage.access_point.path,
                    "uid": storage.access_point.uid,
                    "gid": storage.access_point.gid,
                    "permissions": storage.access_point.permissions,
                },
                "storage_class_name": storage.storage_class_name,
                "performance_mode": storage.performance_mode,
                "throughput_mode": storage.throughput_mode,
                "transition_to_ia_days": storage.transition_to_ia_days,
            }
            if storage.enabled
            else None
        ),
        "observability": settings.observability.to_config() if settings.observability.enabled else None,
        "gitops": settings.gitops.to_config() if settings.gitops.enabled else None,
        "sso": settings.sso.to_config() if settings.sso is not None else None,
        "log_reports": _log_reports(settings),
        "deploy_runner": (
            {
                "repository": runner.repository,
                "connection_arn": runner.connection_arn,
                "compute_type": runner.compute_type.value,
                "image": runner.image,
                "timeout_minutes": runner.timeout_minutes,
                "log_retention_days": runner.log_retention_days,
            }
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
        "log_alarms": (
            {
                "control_plane_threshold": alarms.control_plane_threshold,
                "function_threshold": alarms.function_threshold,
                "period_seconds": alarms.period_seconds,
            }
            if alarms.enabled
            else None
        ),
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
