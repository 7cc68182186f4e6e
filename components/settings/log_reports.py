"""`kubeboard:logReports`: 10-minute error-log exports from Loki to S3 and their reports (K4, O3)."""

from __future__ import annotations

import re
from typing import Any, Self

from pydantic import Field, model_validator

from ..args import settings_key
from ..log_reports import (
    DEFAULTS,
    EXPORTER_DEFAULTS,
    config_problems,
    exporter_problems,
)
from ..value_rules import cpu_problems, memory_problems
from .base import Model, raise_first
from .types import RetentionDays

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_RESOURCES = EXPORTER_DEFAULTS["resources"]


class ExporterResources(Model):
    cpu_request: str = _RESOURCES["requests"]["cpu"]
    memory_request: str = _RESOURCES["requests"]["memory"]
    cpu_limit: str = _RESOURCES["limits"]["cpu"]
    memory_limit: str = _RESOURCES["limits"]["memory"]

    @model_validator(mode="after")
    def _quantities(self) -> Self:
        # The component's quantity rules, under this section's own key names.
        found = cpu_problems("cpu_request", self.cpu_request) + memory_problems(
            "memory_request", self.memory_request
        )
        found += cpu_problems("cpu_limit", self.cpu_limit) + memory_problems(
            "memory_limit", self.memory_limit
        )
        raise_first(found)
        return self


class ExporterSettings(Model):
    """The CronJob that exports Loki's error lines every 10 minutes."""

    repository: str = "kubeboard/log-exporter"
    """The platform's ECR repository holding the exporter image (tags there are immutable)."""
    image_tag: str | None = None
    """An immutable release tag of the image, e.g. ``0.1.0``; or give ``imageDigest``."""
    image_digest: str | None = None
    """``sha256:<64 hex>``: pins the exact image; wins over the tag."""
    namespace: str = EXPORTER_DEFAULTS["namespace"]
    service_account: str = EXPORTER_DEFAULTS["service_account"]
    schedule: str = EXPORTER_DEFAULTS["schedule"]
    """Cron schedule; each run exports every closed window still missing, so the exact minute is free."""
    backfill_windows: int = EXPORTER_DEFAULTS["backfill_windows"]
    """How many past 10-minute windows a run checks and fills (36 = 6 hours)."""
    page_limit: int = EXPORTER_DEFAULTS["page_limit"]
    """Entries per Loki query page (at most Loki's ``max_entries_limit_per_query``, 5000 by default)."""
    line_filter: str = EXPORTER_DEFAULTS["line_filter"]
    """Regular expression selecting error lines (a LogQL ``|~`` filter) instead of the exporter's built-in
    error classifier (JVM, Python, Go, Node, klog, nginx, JSON/logfmt levels; README "Error-log reports").
    Empty: the built-in classifier."""
    resources: ExporterResources = ExporterResources()

    @model_validator(mode="after")
    def _pinned(self) -> Self:
        if self.image_digest is None and self.image_tag is None:
            raise ValueError("imageTag: give the exporter image's release tag or imageDigest")
        if self.image_digest is not None and not _DIGEST.match(self.image_digest):
            raise ValueError(f"imageDigest: {self.image_digest!r} is not sha256:<64 lower-case hex>")
        if self.image_tag is not None:
            if not _TAG.match(self.image_tag):
                raise ValueError(f"imageTag: {self.image_tag!r} is not a valid image tag")
            if self.image_tag == "latest":
                raise ValueError(
                    "imageTag: 'latest' is not a pinned version; use a release tag or imageDigest"
                )
        # The component's rules; resources are checked above under their own keys.
        if found := [
            p for p in exporter_problems(self.to_config()) if not p.startswith("exporter.resources")
        ]:
            raise ValueError(settings_key(found[0].removeprefix("exporter.")))
        return self

    def to_config(self) -> dict[str, Any]:
        """The ``LogReports`` exporter args this section maps to (the platform adds image and Loki)."""
        return {
            "namespace": self.namespace,
            "service_account": self.service_account,
            "schedule": self.schedule,
            "backfill_windows": self.backfill_windows,
            "page_limit": self.page_limit,
            "line_filter": self.line_filter,
            "resources": {
                "requests": {"cpu": self.resources.cpu_request, "memory": self.resources.memory_request},
                "limits": {"cpu": self.resources.cpu_limit, "memory": self.resources.memory_limit},
            },
        }


class LogReportsSettings(Model):
    enabled: bool = True
    namespaces: list[str] = Field(default_factory=lambda: list(DEFAULTS["namespaces"]))
    """The Kubernetes namespaces whose error lines are exported and reported (one alarm each)."""
    raw_retention_days: int = DEFAULTS["raw_retention_days"]
    """Days an exported window stays in the raw bucket."""
    report_retention_days: int = DEFAULTS["report_retention_days"]
    """Days a report stays in the processed bucket."""
    error_threshold: int = DEFAULTS["error_threshold"]
    """Error lines of one namespace in one 10-minute window that raise its alarm."""
    log_retention_days: RetentionDays = DEFAULTS["log_retention_days"]
    reserved_concurrency: int = DEFAULTS["reserved_concurrency"]
    memory_mb: int = DEFAULTS["memory_mb"]
    max_retry_attempts: int = DEFAULTS["max_retry_attempts"]
    exporter: ExporterSettings | None = None
    """Required when enabled: at least the image's pinned tag or digest."""

    def to_config(self) -> dict[str, Any]:
        """The ``LogReports`` args this section maps to, but the exporter and the wiring."""
        return {
            "namespaces": list(self.namespaces),
            "raw_retention_days": self.raw_retention_days,
            "report_retention_days": self.report_retention_days,
            "error_threshold": self.error_threshold,
            "log_retention_days": self.log_retention_days,
            "reserved_concurrency": self.reserved_concurrency,
            "memory_mb": self.memory_mb,
            "max_retry_attempts": self.max_retry_attempts,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(config_problems(self.to_config()))
        if self.enabled and self.exporter is None:
            raise ValueError("exporter: required when enabled (at least exporter.imageTag or imageDigest)")
        return self
