"""`kubeboard:observability`: Loki, Alloy, kube-prometheus-stack and where alerts go (K3, K5, K12, F5, O3).

The rules are the library's (`kubeboard_infra.observability.problems`); this model maps the
section to `ObservabilityConfig` and reports each problem under its stack key.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from ..observability.args import ObservabilityConfig, https_problem, problems, slack_webhook_problem
from ..value_rules import checked
from ..workload import WorkloadResources, email_problem, quantity_bytes, storage_size_problem
from .base import Model, raise_first
from .secrets import Secret, secret_rule
from .types import PositiveInt

__all__ = ["Email", "ObservabilitySettings", "StorageSize", "quantity_bytes"]


StorageSize = Annotated[str, AfterValidator(checked(storage_size_problem))]
Email = Annotated[str, AfterValidator(checked(email_problem))]


class Resources(Model):
    """Requests and limits of one workload (O4: requests/limits everywhere)."""

    cpu_request: str
    memory_request: str
    memory_limit: str
    """CPU is not limited (throttling hurts latency); memory is, so a leak cannot starve the node."""

    def to_config(self) -> WorkloadResources:
        return {
            "cpu_request": self.cpu_request,
            "memory_request": self.memory_request,
            "memory_limit": self.memory_limit,
        }


class LokiSettings(Model):
    retention_days: int
    """How long logs are kept; the compactor deletes older chunks from S3 (and S3 expires them too)."""
    storage_size: StorageSize = "20Gi"
    """gp3 volume for the write-ahead log, index cache and compactor work space."""
    resources: Resources = Resources(cpu_request="250m", memory_request="1Gi", memory_limit="2Gi")


class PrometheusSettings(Model):
    retention_days: int
    storage_size: StorageSize = "50Gi"
    resources: Resources = Resources(cpu_request="500m", memory_request="2Gi", memory_limit="4Gi")


class SlackSettings(Model):
    channel: str
    """Channel the webhook posts to, e.g. ``#kubeboard-alerts``."""
    webhook_url: Annotated[SecretStr, AfterValidator(secret_rule(slack_webhook_problem)), Secret()]
    """Incoming-webhook URL: set it with ``pulumi config set --secret`` (it is the credential)."""


class AlertingSettings(Model):
    slack: SlackSettings | None = None
    """Warning and critical alerts go to Slack when set."""
    emails: list[Email] = Field(default_factory=list)
    """Addresses subscribed to the alert SNS topic (each confirms by e-mail): critical alerts always,
    warnings too when there is no Slack."""
    drop_warnings: bool = False
    """``true`` discards every warning alert on purpose; otherwise warnings need Slack or e-mail."""
    heartbeat_url: Annotated[SecretStr, AfterValidator(secret_rule(https_problem)), Secret()] | None = None
    """Dead man's switch (e.g. healthchecks.io) the always-firing Watchdog alert is sent to."""
    critical_repeat_hours: PositiveInt = 4
    warning_repeat_hours: PositiveInt = 12


class GrafanaSettings(Model):
    hostname_prefix: str = "grafana"
    """Grafana is published at ``<hostnamePrefix>.<edge domain>`` through the shared ALB."""
    storage_size: StorageSize = "10Gi"


class ObservabilitySettings(Model):
    enabled: bool = True
    namespace: str = "monitoring"
    loki: LokiSettings
    prometheus: PrometheusSettings
    grafana: GrafanaSettings = GrafanaSettings()
    alerting: AlertingSettings = AlertingSettings()

    @model_validator(mode="after")
    def _library_rules(self) -> Self:
        # A disabled section builds nothing: only an enabled one is held to the component's rules.
        if self.enabled:
            raise_first(problems(self.to_config()))
        return self

    def require_alert_destination(self) -> None:
        """Prod stacks must page someone: called by the root settings for prod."""
        if self.enabled and self.alerting.slack is None and not self.alerting.emails:
            raise ValueError(
                "observability.alerting: a prod stack needs a slack webhook or at least one e-mail"
            )

    def to_config(self) -> ObservabilityConfig:
        """The section as the library's `ObservabilityConfig` (secrets as their text: the component
        keeps them secret)."""
        alerting = self.alerting
        return {
            "namespace": self.namespace,
            "loki": {
                "retention_days": self.loki.retention_days,
                "storage_size": self.loki.storage_size,
                "resources": self.loki.resources.to_config(),
            },
            "prometheus": {
                "retention_days": self.prometheus.retention_days,
                "storage_size": self.prometheus.storage_size,
                "resources": self.prometheus.resources.to_config(),
            },
            "grafana": {
                "hostname_prefix": self.grafana.hostname_prefix,
                "storage_size": self.grafana.storage_size,
            },
            "alerting": {
                "slack": (
                    {
                        "channel": alerting.slack.channel,
                        "webhook_url": alerting.slack.webhook_url.get_secret_value(),
                    }
                    if alerting.slack is not None
                    else None
                ),
                "emails": list(alerting.emails),
                "drop_warnings": alerting.drop_warnings,
                "heartbeat_url": (
                    alerting.heartbeat_url.get_secret_value() if alerting.heartbeat_url is not None else None
                ),
                "critical_repeat_hours": alerting.critical_repeat_hours,
                "warning_repeat_hours": alerting.warning_repeat_hours,
            },
        }
