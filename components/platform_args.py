"""`PlatformArgs`: everything one environment is built from, as plain values.

Each section is the config part of one component's args (the platform adds the wiring: names,
the cluster contract, the ingress contract, the alert topic). A section that is absent or ``None``
means that component is off. The stack-file schema maps to this in `settings/platform_args.py`.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from .addons.catalog import AddOnChoice
from .cluster import ClusterConfig
from .deploy_runner import DeployRunnerConfig
from .edge.component import EdgeConfig
from .environment import Environment
from .fleet.config import FleetArgs, FleetRole
from .fleet.spoke import HubNetworkArgs
from .gitops.args import GitOpsConfig
from .human_roles import HumanRolesConfig
from .log_reports import LogReportsConfig
from .network import NetworkConfig
from .observability.args import ObservabilityConfig
from .shared_storage import SharedStorageConfig
from .sso import SsoConfig


class ClusterAccessSection(TypedDict):
    """Who reaches the cluster's API, and through which role the cluster is created."""

    admin_role_arn: NotRequired[str | None]
    """The admins' role, when the stack does not create it."""
    developer_role_arn: NotRequired[str | None]
    """The developers' role, when the stack does not create it."""
    viewer_role_arn: NotRequired[str | None]
    """The viewers' role, when the stack does not create it."""
    create_roles: NotRequired[HumanRolesConfig | None]
    """Create the three roles in this stack. Default: none (their ARNs are given)."""
    developer_namespaces: list[str]
    """Namespaces developers may write to."""
    deploy_role_arns: NotRequired[list[str]]
    """Roles deploys run as. Default: none."""
    preview_role_arn: NotRequired[str | None]
    """The read-only role previews run as. Default: none."""
    cluster_creator_role_arn: str
    """The role the cluster is created through (its permanent admin)."""
    cluster_creator_profile: NotRequired[str | None]
    """The AWS profile resolving to that role. Default: none (the deploy's own credentials are
    that role's)."""


class ClusterSection(ClusterConfig):
    """EKS: `ClusterConfig` and who may use the API (the platform adds the network and the creator)."""

    access: ClusterAccessSection
    """Access entries and the creator role. Required."""


class ExporterSection(TypedDict):
    """The error-log exporter CronJob (its image is read from the account stack's registry)."""

    repository: str
    """The account registry's repository of the exporter image."""
    image_tag: str | None
    """The image tag (or the digest)."""
    image_digest: str | None
    """The image digest (preferred over the tag)."""
    namespace: str
    """The exporter's namespace."""
    service_account: str
    """The exporter's service account."""
    schedule: str
    """Cron schedule."""
    backfill_windows: int
    """Windows a run catches up on."""
    page_limit: int
    """Lines per Loki query page."""
    line_filter: str
    """LogQL line filter."""
    resources: dict[str, dict[str, str]]
    """``requests``/``limits`` of the exporter."""


class LogReportsSection(LogReportsConfig):
    """Error-log exports and reports: `LogReportsConfig` and the exporter, whose image is read from the
    account stack's registry."""

    exporter: ExporterSection
    """The exporter. Required."""


class ViewsSection(TypedDict):
    """The front page's error-log reports and image vulnerabilities."""

    schedule: str
    """Cron schedule of the views sync."""
    error_reports: bool
    """Show the error-log reports."""
    image_findings: bool
    """Show the image findings."""
    max_reports: int
    """Reports kept on the page."""
    max_images: int
    """Images kept on the page."""
    top_findings: int
    """Findings per image."""


class LogAlarmsSection(TypedDict):
    """ERROR metric filters and alarms on the platform's log groups."""

    control_plane_threshold: int
    """Control-plane ERROR lines per period that alarm."""
    function_threshold: int
    """Lambda ERROR lines per period that alarm."""
    period_seconds: int
    """The alarm period."""


class FleetSection(TypedDict):
    """The stack's part in a fleet (components/fleet)."""

    role: FleetRole
    """``none``, ``hub`` (its Argo CD deploys every cluster) or ``spoke``. Required."""
    name: NotRequired[str]
    """The fleet's name (hub and spokes agree). Default ``kubeboard``."""
    hub: NotRequired[FleetArgs | None]
    """A hub's fleet: its spokes, waves and team applications. Required for a hub."""
    hub_stack: NotRequired[str | None]
    """A spoke's hub stack, read for the hub's Argo CD role. Required for a spoke."""
    hub_network: NotRequired[HubNetworkArgs | None]
    """How the hub's Argo CD reaches a spoke's API. Required for a spoke."""


class PlatformArgs(TypedDict):
    """One environment: its platform-wide values and each component's section."""

    name: str
    """Prefix of every resource name, and the EKS cluster's name."""
    region: str
    """The AWS region."""
    environment: Environment
    """``dev`` or ``prod``: prod protects stateful resources and runs Argo CD highly available."""
    account_stack: str
    """The account stack this environment reads its registry from."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every AWS resource, beside ``Project``, ``Environment`` and ``ManagedBy``. Default: none."""
    network: NetworkConfig
    """The VPC."""
    edge: EdgeConfig
    """The certificate, WAF and access logs."""
    cluster: ClusterSection
    """EKS."""
    addons: Mapping[str, AddOnChoice]
    """What the stack chose for each add-on of `addons.catalog.CATALOG`, by release name; an add-on
    left out takes its definition's defaults."""
    storage: NotRequired[SharedStorageConfig | None]
    """Shared EFS storage. Default: none."""
    observability: NotRequired[ObservabilityConfig | None]
    """Loki, Alloy, kube-prometheus-stack. Default: none."""
    gitops: NotRequired[GitOpsConfig | None]
    """Argo CD and the root Application. Default: none."""
    sso: NotRequired[SsoConfig | None]
    """The sign-in every UI shares; required with gitops or observability. Default: none."""
    log_reports: NotRequired[LogReportsSection | None]
    """Error-log exports and reports. Default: none."""
    deploy_runner: NotRequired[DeployRunnerConfig | None]
    """The in-VPC deploy runner. Default: none."""
    views: NotRequired[ViewsSection | None]
    """The front page's views. Default: none."""
    log_alarms: NotRequired[LogAlarmsSection | None]
    """Log alarms. Default: none."""
    fleet: NotRequired[FleetSection]
    """The stack's part in a fleet. Default: not part of one."""


DEFAULTS: dict[str, Any] = {
    "tags": {},
    "fleet": {"role": FleetRole.NONE},
    **dict.fromkeys(
        ("storage", "observability", "gitops", "sso", "log_reports", "deploy_runner", "views", "log_alarms")
    ),
}
"""No extra tags, no fleet; every optional component off."""


def problems(args: PlatformArgs) -> list[str]:
    """What the sections must hold together, each naming its arg path."""
    found = []
    uis = [key for key in ("gitops", "observability") if args.get(key)]
    if uis and not args.get("sso"):
        found.append(
            f"sso: required with {' and '.join(uis)} enabled (every UI signs in through dex; "
            "sso: {github: {clientId, clientSecret (secret), org, teams}, roles: {admins, developers}, "
            "grafanaClientSecret, frontPageClientSecret (secrets)})"
        )
    observability = args.get("observability")
    alert_topic = bool(observability and (observability.get("alerting") or {}).get("emails"))
    if args.get("log_reports") and not alert_topic:
        found.append(
            "log_reports: needs observability enabled (Loki) with alerting.emails "
            "(its alarms notify that alert topic)"
        )
    if args.get("log_alarms") and not alert_topic:
        found.append(
            "log_alarms: needs observability enabled with alerting.emails (the alarms notify that alert topic)"
        )
    access = args["cluster"]["access"]
    if not access.get("create_roles"):
        found += [
            f"cluster.access.{role}_role_arn: required unless cluster.access.create_roles is set"
            for role in ("admin", "developer", "viewer")
            if not access.get(f"{role}_role_arn")
        ]
    return found
