"""Exporter settings, read from the environment (the CronJob's env) and overridable on the command line."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from .classify import LINE_FILTER

# Kubernetes namespace names are DNS-1123 labels; anything else cannot be a namespace and would
# also break the LogQL selector and the object key built from it.
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")

# The built-in classifier's LogQL prefilter; a LINE_FILTER of one's own replaces the classifier too.
DEFAULT_LINE_FILTER = LINE_FILTER
DEFAULT_APP_LABELS = ("app", "app_kubernetes_io_name", "container", "job")


class SettingsError(ValueError):
    """Raised for a missing or invalid setting; the message names the variable."""


@dataclass(frozen=True)
class ExporterSettings:
    loki_url: str
    bucket: str
    namespaces: tuple[str, ...]
    prefix: str = "errors"
    tenant: str | None = None
    window: timedelta = timedelta(minutes=10)
    delay: timedelta = timedelta(minutes=10)
    backfill_windows: int = 36
    page_limit: int = 5000
    line_filter: str = DEFAULT_LINE_FILTER
    app_labels: tuple[str, ...] = DEFAULT_APP_LABELS
    max_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    http_timeout_seconds: float = 30.0
    extra_selector: str = field(default="")

    def __post_init__(self) -> None:
        scheme = urlsplit(self.loki_url).scheme
        if scheme not in {"http", "https"} or not urlsplit(self.loki_url).netloc:
            raise SettingsError(f"LOKI_URL: must be an http(s) URL, got {self.loki_url!r}")
        if not self.bucket:
            raise SettingsError("EXPORT_BUCKET: must be set")
        if not self.namespaces:
            raise SettingsError("EXPORT_NAMESPACES: must list at least one namespace")
        for ns in self.namespaces:
            if not _NAMESPACE.match(ns):
                raise SettingsError(f"EXPORT_NAMESPACES: {ns!r} is not a valid Kubernetes namespace name")
        if not _PREFIX.match(self.prefix):
            raise SettingsError(f"EXPORT_PREFIX: {self.prefix!r} must be a relative key prefix without '//'")
        window_s = self.window.total_seconds()
        if window_s < 60 or window_s % 60 or 86400 % window_s:
            raise SettingsError("WINDOW_MINUTES: must be whole minutes that divide a day evenly")
        if self.delay < timedelta(0):
            raise SettingsError("DELAY_MINUTES: must not be negative")
        if not 1 <= self.backfill_windows <= 1008:
            raise SettingsError("BACKFILL_WINDOWS: must be between 1 and 1008 (a week of 10-minute windows)")
        if not 1 <= self.page_limit <= 100_000:
            raise SettingsError("PAGE_LIMIT: must be between 1 and 100000")
        if self.max_attempts < 1:
            raise SettingsError("MAX_ATTEMPTS: must be at least 1")
        if "`" in self.line_filter:
            raise SettingsError("LINE_FILTER: must not contain a backtick (it is sent as a LogQL raw string)")
        try:
            re.compile(self.line_filter)
        except re.error as exc:
            raise SettingsError(f"LINE_FILTER: not a valid regular expression: {exc}") from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExporterSettings:
        env = os.environ if env is None else env

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name}: must be set")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name}: must be an integer, got {raw!r}") from None

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise SettingsError(f"{name}: must be a number, got {raw!r}") from None

        def csv(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            raw = env.get(name, "")
            items = tuple(part.strip() for part in raw.split(",") if part.strip())
            return items or default

        return cls(
            loki_url=required("LOKI_URL").rstrip("/"),
            bucket=required("EXPORT_BUCKET"),
            namespaces=csv("EXPORT_NAMESPACES", ()),
            prefix=env.get("EXPORT_PREFIX", "errors").strip().strip("/") or "errors",
            tenant=env.get("LOKI_TENANT", "").strip() or None,
            window=timedelta(minutes=integer("WINDOW_MINUTES", 10)),
            delay=timedelta(minutes=integer("DELAY_MINUTES", 10)),
            backfill_windows=integer("BACKFILL_WINDOWS", 36),
            page_limit=integer("PAGE_LIMIT", 5000),
            line_filter=env.get("LINE_FILTER", "").strip() or DEFAULT_LINE_FILTER,
            app_labels=csv("APP_LABELS", DEFAULT_APP_LABELS),
            max_attempts=integer("MAX_ATTEMPTS", 5),
            backoff_base_seconds=number("BACKOFF_BASE_SECONDS", 1.0),
            backoff_max_seconds=number("BACKOFF_MAX_SECONDS", 30.0),
            http_timeout_seconds=number("HTTP_TIMEOUT_SECONDS", 30.0),
            extra_selector=env.get("EXTRA_SELECTOR", "").strip(),
        )

    @property
    def classifier_pattern(self) -> re.Pattern[str] | None:
        """None: the built-in classifier decides; else the operator's own LINE_FILTER does."""
        return None if self.line_filter == DEFAULT_LINE_FILTER else re.compile(self.line_filter)

    def logql(self, namespace: str) -> str:
        """The LogQL query for one namespace: its streams, filtered to error lines."""
        selector = f'namespace="{namespace}"'
        if self.extra_selector:
            selector = f"{selector}, {self.extra_selector}"
        # A backtick raw string needs no escaping of the regular expression's backslashes.
        return f"{{{selector}}} |~ `{self.line_filter}`"
