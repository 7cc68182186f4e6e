"""`PlatformArgs`: everything one environment is built from, as plain values.

Each section is the config part of one component's args (the platform adds the wiring: names,
the cluster contract, the ingress contract, the alert topic). A section that is absent or ``None``
means that component is off. The stack-file schema maps to this in `settings/platform_args.py`.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from .addons.catalog import AddOnChoice
from .cluster import UpgradePolicy
from .environment import Environment
from .fleet.config import FleetArgs, FleetRole
from .fleet.spoke import HubNetworkArgs
from .gitops.args import GitOpsConfig
from .human_roles import IdentityCenterArgs, OidcArgs, SamlArgs
from .network import FlowLogTraffic
from .node_groups import NodeGroupArgs
from .observability.args import ObservabilityConfig
from .shared_storage import AccessPointArgs, PerformanceMode, ThroughputMode
from .sso import SsoConfig


class NetworkSection(TypedDict):
    """The VPC (`NetworkArgs` without its names)."""

    cidr: str
    """The VPC's IPv4 range."""
    availability_zones: list[str]
    """Two to six zones."""
    public_subnet_cidrs: list[str]
    """One per zone."""
    private_subnet_cidrs: list[str]
    """One per zone."""
    intra_subnet_cidrs: NotRequired[list[str]]
    """Subnets without a route out. Default: none."""
    nat_gateways: NotRequired[str]
    """NAT gateway strategy (a `NatGatewayStrategy` value: ``single`` or ``one-per-az``). Default: one per zone."""
    endpoints: NotRequired[dict[str, bool]]
    """Interface endpoints by name. Default: all on."""
    flow_log_retention_days: NotRequired[int]
    """Flow-log retention. Default 30."""
    flow_log_traffic_type: NotRequired[FlowLogTraffic]
    """Flow-log traffic type. Default ``ALL``."""


class EdgeSection(TypedDict):
    """The certificate, WAF and access logs (`EdgeArgs` without name, region and protection)."""

    domain: str
    """The platform's domain; every UI is ``<prefix>.<domain>``."""
    hosted_zone_id: str
    """The Route 53 zone of the domain."""
    ingress_group: NotRequired[str]
    """The ALB ingress group every UI shares. Default: Edge's (``platform``)."""
    rate_limit: int
    """Requests per client address and window before the WAF blocks."""
    rate_limit_window_seconds: NotRequired[int]
    """The rate limit's window. Default 300."""
    allowed_countries: list[str]
    """Countries admitted."""
    block_anonymous_ips: NotRequired[bool]
    """Block anonymising services. Default ``True``."""
    allow_cidrs: NotRequired[list[str]]
    """Always admitted. Default: none."""
    deny_cidrs: NotRequired[list[str]]
    """Always refused. Default: none."""
    waf_log_retention_days: NotRequired[int]
    """WAF log retention. Default: Edge's (90)."""
    access_log_expiration_days: NotRequired[int]
    """ALB access-log expiry. Default: Edge's (90)."""
    access_log_force_destroy: NotRequired[bool]
    """Delete the access-log bucket with its objects. Default ``False``."""


class HumanRolesSection(TypedDict):
    """The people's roles the stack creates (`HumanRolesArgs` without names)."""

    saml: NotRequired[SamlArgs | None]
    """SAML federation. Default: none."""
    oidc: NotRequired[OidcArgs | None]
    """OIDC federation. Default: none."""
    identity_center: NotRequired[IdentityCenterArgs | None]
    """IAM Identity Center (``permission_sets``). Default: none."""
    max_session_hours: NotRequired[int]
    """Session length. Default: the component's."""


class ClusterAccessSection(TypedDict):
    """Who reaches the cluster's API, and through which role the cluster is created."""

    admin_role_arn: NotRequired[str | None]
    """The admins' role, when the stack does not create it."""
    developer_role_arn: NotRequired[str | None]
    """The developers' role, when the stack does not create it."""
    viewer_role_arn: NotRequired[str | None]
    """The viewers' role, when the stack does not create it."""
    create_roles: NotRequired[HumanRolesSection | None]
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


class ClusterSection(TypedDict):
    """EKS (`ClusterArgs` without the network and the creator provider)."""

    kubernetes_version: str
    """The Kubernetes minor, e.g. ``1.33``."""
    upgrade_policy: UpgradePolicy
    """``STANDARD`` or ``EXTENDED`` support."""
    endpoint_public_access: NotRequired[bool]
    """Whether the API has a public endpoint. Default: Cluster's (``False``)."""
    public_access_cidrs: NotRequired[list[str]]
    """Who may reach the public endpoint. Default: none."""
    access: ClusterAccessSection
    """Access entries and the creator role."""
    node_groups: list[NodeGroupArgs]
    """The managed node groups."""
    addon_versions: dict[str, str]
    """EKS managed add-on versions by add-on name."""
    log_retention_days: NotRequired[int]
    """Control-plane log retention. Default: Cluster's (90)."""


class StorageSection(TypedDict):
    """Shared EFS storage (`SharedStorageArgs` without the network and the cluster)."""

    access_point: AccessPointArgs
    """The EFS access point teams' volumes go through."""
    storage_class_name: str
    """The StorageClass teams claim volumes with."""
    performance_mode: PerformanceMode
    """EFS performance mode."""
    throughput_mode: ThroughputMode
    """EFS throughput mode."""
    transition_to_ia_days: int
    """Days before files move to Infrequent Access."""


class DeployRunnerSection(TypedDict):
    """The in-VPC deploy runner (`DeployRunnerArgs` without the network)."""

    repository: str
    """``owner/name`` of the repository whose workflows run on it."""
    connection_arn: str
    """The CodeConnections connection to GitHub."""
    compute_type: str
    """CodeBuild compute type."""
    image: str
    """CodeBuild image."""
    timeout_minutes: int
    """Build timeout."""
    log_retention_days: int
    """Log retention."""


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


class LogReportsSection(TypedDict):
    """Error-log exports and reports (`LogReportsArgs` without the cluster and the alert topic)."""

    namespaces: list[str]
    """Namespaces whose errors are reported."""
    exporter: ExporterSection
    """The exporter."""
    raw_retention_days: int
    """Raw export retention."""
    report_retention_days: int
    """Report retention."""
    error_threshold: int
    """Errors per window that raise an alert."""
    log_retention_days: int
    """The Lambda's log retention."""
    reserved_concurrency: int
    """The Lambda's reserved concurrency."""
    memory_mb: int
    """The Lambda's memory."""
    max_retry_attempts: int
    """Retries of a failed report."""


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
    network: NetworkSection
    """The VPC."""
    edge: EdgeSection
    """The certificate, WAF and access logs."""
    cluster: ClusterSection
    """EKS."""
    addons: Mapping[str, AddOnChoice]
    """What the stack chose for each add-on of `addons.catalog.CATALOG`, by release name; an add-on
    left out takes its definition's defaults."""
    storage: NotRequired[StorageSection | None]
    """Shared EFS storage. Default: none."""
    observability: NotRequired[ObservabilityConfig | None]
    """Loki, Alloy, kube-prometheus-stack. Default: none."""
    gitops: NotRequired[GitOpsConfig | None]
    """Argo CD and the root Application. Default: none."""
    sso: NotRequired[SsoConfig | None]
    """The sign-in every UI shares; required with gitops or observability. Default: none."""
    log_reports: NotRequired[LogReportsSection | None]
    """Error-log exports and reports. Default: none."""
    deploy_runner: NotRequired[DeployRunnerSection | None]
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
