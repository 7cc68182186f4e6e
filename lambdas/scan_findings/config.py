"""Function configuration, read once from environment variables set by the ImageScanAlerts component."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .events import REPOSITORY_NAME_PATTERN

ENV_FINDINGS_BUCKET = "FINDINGS_BUCKET"
ENV_FINDINGS_PREFIX = "FINDINGS_PREFIX"
ENV_ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
ENV_CRITICAL_THRESHOLD = "CRITICAL_THRESHOLD"
ENV_HIGH_THRESHOLD = "HIGH_THRESHOLD"
ENV_MANAGED_REPOSITORIES = "MANAGED_REPOSITORIES"
ENV_TOP_FINDINGS = "TOP_FINDINGS_IN_NOTIFICATION"
ENV_PAGE_SIZE = "FINDINGS_PAGE_SIZE"
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

DEFAULT_PREFIX = "scan-findings/"
DEFAULT_NAMESPACE = "Kubeboard/ImageScan"
# describe_image_scan_findings accepts 1..1000 results per page; the largest page means fewest calls.
MAX_PAGE_SIZE = 1000

_BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TOPIC_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


class ConfigurationError(Exception):
    """The function's environment is wrong: a deployment fault, not a property of the event."""


@dataclass(frozen=True, slots=True)
class Config:
    findings_bucket: str
    findings_prefix: str
    alert_topic_arn: str
    critical_threshold: int
    high_threshold: int
    managed_repositories: frozenset[str]
    top_findings: int
    page_size: int
    metrics_namespace: str


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name}: required environment variable is missing or empty")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}: must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name}: must be between {minimum} and {maximum}, got {value}")
    return value


def _repositories(env: Mapping[str, str]) -> frozenset[str]:
    names = frozenset(part.strip() for part in _required(env, ENV_MANAGED_REPOSITORIES).split(","))
    names -= {""}
    invalid = sorted(name for name in names if not REPOSITORY_NAME_PATTERN.fullmatch(name))
    if invalid:
        raise ConfigurationError(f"{ENV_MANAGED_REPOSITORIES}: invalid repository names {invalid}")
    if not names:
        raise ConfigurationError(f"{ENV_MANAGED_REPOSITORIES}: lists no repository")
    return names


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Validate the environment; every error names the variable at fault."""
    env = os.environ if env is None else env
    bucket = _required(env, ENV_FINDINGS_BUCKET)
    if not _BUCKET_PATTERN.fullmatch(bucket):
        raise ConfigurationError(f"{ENV_FINDINGS_BUCKET}: {bucket!r} is not a valid S3 bucket name")
    topic = _required(env, ENV_ALERT_TOPIC_ARN)
    if not _TOPIC_ARN_PATTERN.fullmatch(topic):
        raise ConfigurationError(f"{ENV_ALERT_TOPIC_ARN}: {topic!r} is not an SNS topic ARN")
    prefix = env.get(ENV_FINDINGS_PREFIX, DEFAULT_PREFIX).strip().lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return Config(
        findings_bucket=bucket,
        findings_prefix=prefix,
        alert_topic_arn=topic,
        critical_threshold=_int(env, ENV_CRITICAL_THRESHOLD, 1, 1, 1_000_000),
        high_threshold=_int(env, ENV_HIGH_THRESHOLD, 1, 1, 1_000_000),
        managed_repositories=_repositories(env),
        top_findings=_int(env, ENV_TOP_FINDINGS, 10, 0, 50),
        page_size=_int(env, ENV_PAGE_SIZE, MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        metrics_namespace=env.get(ENV_METRICS_NAMESPACE, "").strip() or DEFAULT_NAMESPACE,
    )
