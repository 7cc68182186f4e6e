"""`kubeboard:observability`: Loki, Alloy, kube-prometheus-stack and where alerts go (K3, K5, K12, F5, O3)."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from ..value_rules import CPU as _CPU
from ..value_rules import EMAIL as _EMAIL
from .base import Model
from .secrets import PLAN_PLACEHOLDER_PREFIX, Secret
from .types import PositiveInt

_QUANTITY = re.compile(r"^([1-9]\d*)(Mi|Gi|Ti)$")
_SLACK_CHANNEL = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
_BYTES = {"Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity_bytes(text: str) -> int:
    """``"50Gi"`` -> bytes."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a storage size such as 512Mi, 50Gi or 1Ti")
    return int(match.group(1)) * _BYTES[match.group(2)]


def _storage_size(text: str) -> str:
    quantity_bytes(text)
    if quantity_bytes(text) < 2**30:
        raise ValueError(f"{text!r} is below 1Gi, the smallest gp3 volume")
    return text


def _memory(text: str) -> str:
    quantity_bytes(text)
    return text


def _cpu(text: str) -> str:
    if not _CPU.match(text):
        raise ValueError(f"{text!r} is not a CPU quantity such as 250m or 2")
    return text


def _email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


def _webhook(secret: SecretStr) -> SecretStr:
    # Never echo the URL itself: it is the credential.
    value = secret.get_secret_value()
    if not value.startswith(("https://hooks.slack.com/", PLAN_PLACEHOLDER_PREFIX)):
        raise ValueError("must be a Slack incoming-webhook URL (https://hooks.slack.com/...)")
    return secret


def _https(secret: SecretStr) -> SecretStr:
    if not secret.get_secret_value().startswith(("https://", PLAN_PLACEHOLDER_PREFIX)):
        raise ValueError("must be an https:// URL")
    return secret


StorageSize = Annotated[str, AfterValidator(_storage_size)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
Email = Annotated[str, AfterValidator(_email)]


class Resources(Model):
    """Requests and limits of one workload (O4: requests/limits everywhere)."""

    cpu_request: CpuQuantity
    memory_request: MemoryQuantity
    memory_limit: MemoryQuantity
    """CPU is not limited (throttling hurts latency); memory is, so a leak cannot starve the node."""

    @model_validator(mode="after")
    def _limit_covers_request(self) -> Self:
        if quantity_bytes(self.memory_limit) < quantity_bytes(self.memory_request):
            raise ValueError(f"memoryLimit: must be >= memoryRequest ({self.memory_request})")
        return self

    def as_values(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"memory": self.memory_limit},
        }


class LokiSettings(Model):
    retention_days: Annotated[int, Field(ge=1, le=3650)]
    """How long logs are kept; the compactor deletes older chunks from S3 (and S3 expires them too)."""
    storage_size: StorageSize = "20Gi"
    """gp3 volume for the write-ahead log, index cache and compactor work space."""
    resources: Resources = Resources(cpu_request="250m", memory_request="1Gi", memory_limit="2Gi")


class PrometheusSettings(Model):
    retention_days: Annotated[int, Field(ge=1, le=365)]
    storage_size: StorageSize = "50Gi"
    resources: Resources = Resources(cpu_request="500m", memory_request="2Gi", memory_limit="4Gi")


class SlackSettings(Model):
    channel: Annotated[str, Field(pattern=_SLACK_CHANNEL.pattern)]
    """Channel the webhook posts to, e.g. ``#kubeboard-alerts``."""
    webhook_url: Annotated[SecretStr, AfterValidator(_webhook), Secret()]
    """Incoming-webhook URL: set it with ``pulumi config set --secret`` (it is the credential)."""


class AlertingSettings(Model):
    slack: SlackSettings | None = None
    """Warning and critical alerts go to Slack when set."""
    emails: list[Email] = Field(default_factory=list)
    """Addresses subscribed to the alert SNS topic (each confirms by e-mail): critical alerts always,
    warnings too when there is no Slack."""
    drop_warnings: bool = False
    """``true`` discards every warning alert on purpose; otherwise warnings need Slack or e-mail."""
    heartbeat_url: Annotated[SecretStr, AfterValidator(_https), Secret()] | None = None
    """Dead man's switch (e.g. healthchecks.io) the always-firing Watchdog alert is sent to."""
    critical_repeat_hours: PositiveInt = 4
    warning_repeat_hours: PositiveInt = 12

    @property
    def warning_receiver_missing(self) -> bool:
        return not self.drop_warnings and self.slack is None and not self.emails

    @model_validator(mode="after")
    def _unique_emails(self) -> Self:
        lowered = [email.lower() for email in self.emails]
        duplicates = sorted({email for email in lowered if lowered.count(email) > 1})
        if duplicates:
            raise ValueError(f"emails: listed twice: {', '.join(duplicates)}")
        return self


class GrafanaSettings(Model):
    hostname_prefix: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] = "grafana"
    """Grafana is published at ``<hostnamePrefix>.<edge domain>`` through the shared ALB."""
    storage_size: StorageSize = "10Gi"


class ObservabilitySettings(Model):
    enabled: bool = True
    namespace: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] = "monitoring"
    loki: LokiSettings
    prometheus: PrometheusSettings
    grafana: GrafanaSettings = GrafanaSettings()
    alerting: AlertingSettings = AlertingSettings()

    @model_validator(mode="after")
    def _warnings_reach_someone(self) -> Self:
        # Warnings include the Loki error-rate rule: unrouted, they would fire into the void.
        if self.enabled and self.alerting.warning_receiver_missing:
            raise ValueError(
                "alerting.dropWarnings: warning alerts would reach nobody; configure alerting.slack, "
                "list alerting.emails (warnings then go to the SNS e-mail topic), or set "
                "dropWarnings: true to discard them on purpose"
            )
        return self

    def require_alert_destination(self) -> None:
        """Prod stacks must page someone: called by the root settings for prod."""
        if self.enabled and self.alerting.slack is None and not self.alerting.emails:
            raise ValueError(
                "observability.alerting: a prod stack needs a slack webhook or at least one e-mail"
            )
