"""`kubeboard:logReports`: 10-minute error-log exports from Loki to S3 and their reports (K4, O3)."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .types import RetentionDays

K8sName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
_CPU = re.compile(r"^([1-9]\d*m|\d+(\.\d+)?)$")
_MEMORY = re.compile(r"^[1-9]\d*(Mi|Gi)$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _cpu(text: str) -> str:
    if not _CPU.match(text):
        raise ValueError(f"{text!r} is not a CPU quantity such as 100m or 0.5")
    return text


def _memory(text: str) -> str:
    if not _MEMORY.match(text):
        raise ValueError(f"{text!r} is not a memory quantity such as 128Mi or 1Gi")
    return text


Cpu = Annotated[str, AfterValidator(_cpu)]
Memory = Annotated[str, AfterValidator(_memory)]


class ExporterResources(Model):
    cpu_request: Cpu = "50m"
    memory_request: Memory = "96Mi"
    cpu_limit: Cpu = "500m"
    memory_limit: Memory = "256Mi"


class ExporterSettings(Model):
    """The CronJob that exports Loki's error lines every 10 minutes."""

    repository: str = "kubeboard/log-exporter"
    """The platform's ECR repository holding the exporter image (tags there are immutable)."""
    image_tag: Annotated[str | None, Field(default=None)] = None
    """An immutable release tag of the image, e.g. ``0.1.0``; or give ``imageDigest``."""
    image_digest: Annotated[str | None, Field(default=None)] = None
    """``sha256:<64 hex>``: pins the exact image; wins over the tag."""
    namespace: K8sName = "log-export"
    service_account: K8sName = "log-exporter"
    schedule: str = "*/10 * * * *"
    """Cron schedule; each run exports every closed window still missing, so the exact minute is free."""
    backfill_windows: Annotated[int, Field(ge=1, le=1008)] = 36
    """How many past 10-minute windows a run checks and fills (36 = 6 hours)."""
    page_limit: Annotated[int, Field(ge=100, le=5000)] = 5000
    """Entries per Loki query page (at most Loki's ``max_entries_limit_per_query``, 5000 by default)."""
    line_filter: str = ""
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
        if len(self.schedule.split()) != 5:
            raise ValueError(f"schedule: {self.schedule!r} is not a five-field cron expression")
        if "`" in self.line_filter:
            raise ValueError("lineFilter: must not contain a backtick")
        try:
            re.compile(self.line_filter)
        except re.error as error:
            raise ValueError(f"lineFilter: not a regular expression ({error})") from None
        return self


class LogReportsSettings(Model):
    enabled: bool = True
    namespaces: Annotated[list[K8sName], Field(min_length=1)] = Field(default_factory=lambda: ["default"])
    """The Kubernetes namespaces whose error lines are exported and reported (one alarm each)."""
    raw_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Days an exported window stays in the raw bucket."""
    report_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Days a report stays in the processed bucket."""
    error_threshold: Annotated[int, Field(ge=1, le=10_000_000)] = 100
    """Error lines of one namespace in one 10-minute window that raise its alarm."""
    log_retention_days: RetentionDays = 30
    reserved_concurrency: Annotated[int, Field(ge=1, le=100)] = 5
    memory_mb: Annotated[int, Field(ge=128, le=10240)] = 256
    max_retry_attempts: Annotated[int, Field(ge=0, le=2)] = 2
    exporter: ExporterSettings | None = None
    """Required when enabled: at least the image's pinned tag or digest."""

    @model_validator(mode="after")
    def _unique_namespaces(self) -> Self:
        for index, namespace in enumerate(self.namespaces):
            if namespace in self.namespaces[:index]:
                raise ValueError(f"namespaces[{index}]: {namespace!r} is listed twice")
        if self.enabled and self.exporter is None:
            raise ValueError("exporter: required when enabled (at least exporter.imageTag or imageDigest)")
        return self
