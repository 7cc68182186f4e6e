"""What `Observability` is built from: its config (plain values a stack file holds), the wiring
the platform adds, its ``DEFAULTS`` and its rules (``problems``), written here once."""

import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from ..addons.definition import AddOnContext
from ..edge.ingress import IngressContract
from ..sso import SsoConfig
from ..sso import problems as sso_problems
from ..value_rules import email_problems
from ..workload import (
    WorkloadResources,
    dns_label_problem,
    int_range_problem,
    resources_problems,
    storage_size_problem,
    with_defaults,
)

_SLACK_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/"


class PodPeer(TypedDict):
    """Pods of another namespace allowed in (e.g. the error-log exporter reading Loki)."""

    namespace: str
    """Their namespace."""
    labels: NotRequired[Mapping[str, str]]
    """Their pods' labels; none: every pod of the namespace."""


class LokiConfig(TypedDict):
    """Loki's retention, volume and size."""

    retention_days: int
    """How long logs are kept (1 to 3650 days); the compactor deletes older chunks from S3. Required."""
    storage_size: NotRequired[str]
    """gp3 volume for the write-ahead log, index cache and compactor work space. Default ``20Gi``."""
    resources: NotRequired[WorkloadResources]
    """Default: 250m CPU, 1Gi memory requested, 2Gi memory limit."""


class PrometheusConfig(TypedDict):
    """Prometheus's retention, volume and size."""

    retention_days: int
    """How long metrics are kept (1 to 365 days). Required."""
    storage_size: NotRequired[str]
    """The TSDB's gp3 volume. Default ``50Gi``."""
    resources: NotRequired[WorkloadResources]
    """Default: 500m CPU, 2Gi memory requested, 4Gi memory limit."""


class GrafanaConfig(TypedDict):
    """Where Grafana is published and its volume."""

    hostname_prefix: NotRequired[str]
    """Grafana is published at ``<hostname_prefix>.<edge domain>``. Default ``grafana``."""
    storage_size: NotRequired[str]
    """Grafana's gp3 volume. Default ``10Gi``."""


class SlackConfig(TypedDict):
    """A Slack incoming webhook warnings and critical alerts go to."""

    channel: str
    """Channel the webhook posts to, e.g. ``#kubeboard-alerts``."""
    webhook_url: pulumi.Input[str]
    """Incoming-webhook URL (the credential: kept a Pulumi secret)."""


class AlertingConfig(TypedDict):
    """Where alerts go."""

    slack: NotRequired[SlackConfig | None]
    """Warning and critical alerts go to Slack when set. Default: none."""
    emails: NotRequired[list[str]]
    """Addresses subscribed to the alert SNS topic: critical alerts always, warnings too when there
    is no Slack. Default: none (and then no topic)."""
    drop_warnings: NotRequired[bool]
    """``True`` discards every warning alert on purpose; otherwise warnings need Slack or e-mail.
    Default ``False``."""
    heartbeat_url: NotRequired[pulumi.Input[str] | None]
    """Dead man's switch the always-firing Watchdog alert is sent to (a Pulumi secret). Default: none."""
    critical_repeat_hours: NotRequired[int]
    """How often a firing critical alert is sent again. Default 4."""
    warning_repeat_hours: NotRequired[int]
    """How often a firing warning is sent again. Default 12."""


class ObservabilityConfig(TypedDict):
    """Loki, Prometheus, Grafana and alerting, as a stack file sets them."""

    namespace: NotRequired[str]
    """The namespace of every release. Default ``monitoring``."""
    loki: LokiConfig
    """Loki. Required."""
    prometheus: PrometheusConfig
    """Prometheus. Required."""
    grafana: NotRequired[GrafanaConfig]
    """Grafana. Default: the defaults of each key."""
    alerting: NotRequired[AlertingConfig]
    """Alert routing. Default: the defaults of each key (which route warnings nowhere: refused)."""


class GrafanaSignIn(TypedDict):
    """Grafana as a static client of dex (the sign-in every UI shares)."""

    sso: SsoConfig
    """Who signs in and as what; ``grafana_client_secret`` is Grafana's secret with dex."""
    dex_host: str
    """The host dex is served on (Argo CD's): the issuer is ``https://<dex_host>/api/dex``."""


class ObservabilityArgs(ObservabilityConfig):
    """`ObservabilityConfig` and what the platform wires in."""

    name_prefix: str
    """Prefix of AWS resource names (the platform name)."""
    context: AddOnContext
    """What its releases are built in, like every add-on's: the cluster they install into (whose
    OIDC provider their roles trust) and its region (CloudWatch data source, SNS signing)."""
    alb_cidrs: Sequence[str]
    """The public subnets: the ALB's nodes reach Grafana from there (NetworkPolicy)."""
    api_server_cidrs: Sequence[str]
    """The subnets of the control plane's ENIs: they call the prometheus-operator's webhook."""
    ingress: NotRequired[IngressContract | None]
    """The Edge ingress contract; without it Grafana is reachable only through port-forwarding."""
    sign_in: NotRequired[GrafanaSignIn | None]
    """Grafana's SSO (dex); required with ``ingress``: no UI is published with a local login."""
    protect: NotRequired[bool]
    """Protect stateful resources (the Loki bucket, the alert key) from deletion. Default ``False``."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the AWS resources. Default: none."""
    loki_readers: NotRequired[Sequence[PodPeer]]
    """Pods of other namespaces that query Loki (the error-log exporter). Default: none."""
    prometheus_readers: NotRequired[Sequence[PodPeer]]
    """Pods of other namespaces that query Prometheus (Argo Rollouts' analysis). Default: none."""
    service_monitors: NotRequired[Sequence[Mapping[str, Any]]]
    """ServiceMonitors of releases outside this component, created by kube-prometheus-stack, which
    installs their CRD: those releases then need not wait for it. Default: none."""


DEFAULTS: dict[str, Any] = {
    "namespace": "monitoring",
    "loki": {
        "storage_size": "20Gi",
        "resources": {"cpu_request": "250m", "memory_request": "1Gi", "memory_limit": "2Gi"},
    },
    "prometheus": {
        "storage_size": "50Gi",
        "resources": {"cpu_request": "500m", "memory_request": "2Gi", "memory_limit": "4Gi"},
    },
    "grafana": {"hostname_prefix": "grafana", "storage_size": "10Gi"},
    "alerting": {
        "slack": None,
        "emails": [],
        "drop_warnings": False,
        "heartbeat_url": None,
        "critical_repeat_hours": 4,
        "warning_repeat_hours": 12,
    },
}


def with_config_defaults(config: ObservabilityConfig) -> dict[str, Any]:
    """The config with every default filled in, nested sections included."""
    return with_defaults(DEFAULTS, config)


# The two URLs are secrets, given as Pulumi inputs: their text is checked where it is read (the
# stack file's settings), with these rules.
def slack_webhook_problem(url: str) -> str | None:
    # Never echo the URL itself: it is the credential.
    if not url.startswith(SLACK_WEBHOOK_PREFIX):
        return f"must be a Slack incoming-webhook URL ({SLACK_WEBHOOK_PREFIX}...)"
    return None


def https_problem(url: str) -> str | None:
    return None if url.startswith("https://") else "must be an https:// URL"


def _store_problems(name: str, section: Any, retention: tuple[int, int]) -> list[str]:
    if not isinstance(section, Mapping):
        return [f"{name}: required (retention_days at least)"]
    found = []
    for problem, key in (
        (int_range_problem(section.get("retention_days"), *retention), "retention_days"),
        (storage_size_problem(section.get("storage_size")), "storage_size"),
    ):
        if problem is not None:
            found.append(f"{name}.{key}: {problem}")
    return found + resources_problems(f"{name}.resources", section["resources"])


def _alerting_problems(alerting: Mapping[str, Any]) -> list[str]:
    found = []
    slack = alerting.get("slack")
    if slack is not None and not _SLACK_CHANNEL.match(str(slack.get("channel", ""))):
        found.append(f"alerting.slack.channel: {slack.get('channel')!r} is not a channel such as #alerts")
    emails = list(alerting.get("emails") or [])
    found += email_problems("alerting.emails", emails, required=False)
    for key in ("critical_repeat_hours", "warning_repeat_hours"):
        if (problem := int_range_problem(alerting.get(key), 1, 24 * 30)) is not None:
            found.append(f"alerting.{key}: {problem}")
    # Warnings include the Loki error-rate rule: unrouted, they would fire into the void.
    if not alerting.get("drop_warnings") and slack is None and not emails:
        found.append(
            "alerting.drop_warnings: warning alerts would reach nobody; configure alerting.slack, "
            "list alerting.emails (warnings then go to the SNS e-mail topic), or drop warnings on "
            "purpose (drop_warnings: true)"
        )
    return found


def problems(config: ObservabilityConfig) -> list[str]:
    """Every problem of the config, each naming its arg path."""
    merged = with_config_defaults(config)
    found = []
    for key in ("namespace",):
        if (problem := dns_label_problem(merged.get(key))) is not None:
            found.append(f"{key}: {problem}")
    found += _store_problems("loki", config.get("loki") and merged["loki"], (1, 3650))
    found += _store_problems("prometheus", config.get("prometheus") and merged["prometheus"], (1, 365))
    grafana = merged["grafana"]
    if (problem := dns_label_problem(grafana.get("hostname_prefix"))) is not None:
        found.append(f"grafana.hostname_prefix: {problem}")
    if (problem := storage_size_problem(grafana.get("storage_size"))) is not None:
        found.append(f"grafana.storage_size: {problem}")
    return found + _alerting_problems(merged["alerting"])


def args_problems(args: ObservabilityArgs) -> list[str]:
    """Every problem of the args: the config's and the wiring's."""
    return problems(args) + wiring_problems(args)


def wiring_problems(args: ObservabilityArgs) -> list[str]:
    """What the wiring must hold besides the config."""
    found = [f"{key}: required" for key in ("name_prefix", "context") if not args.get(key)]
    sign_in = args.get("sign_in")
    if args.get("ingress") is not None and sign_in is None:
        found.append("sign_in: required with ingress (Grafana is published only behind SSO)")
    if sign_in is not None:
        found += [f"sign_in.sso.{problem}" for problem in sso_problems(sign_in["sso"])]
    return found
