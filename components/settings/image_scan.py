"""`kubeboard:account.scanning`: alerts, reports and metrics from the registry's image scans (K10, D8).

The rules and defaults are the component's (components/image_scan_alerts.py); this section only
reads the stack file.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..image_scan_alerts import DEFAULTS, ImageScanConfig, problems
from .base import Model, raise_first
from .types import RetentionDays


class ImageScanSettings(Model):
    enabled: bool = True
    alarm_emails: list[str] = Field(default_factory=list)
    """Who is e-mailed CRITICAL/HIGH alerts and alarm state changes (each confirms a subscription)."""
    critical_threshold: int = DEFAULTS["critical_threshold"]
    """An image with at least this many CRITICAL findings alerts."""
    high_threshold: int = DEFAULTS["high_threshold"]
    """An image with at least this many HIGH findings alerts."""
    log_retention_days: RetentionDays = DEFAULTS["log_retention_days"]
    report_retention_days: int = DEFAULTS["report_retention_days"]
    """Days a findings report stays in the bucket."""
    reserved_concurrency: int = DEFAULTS["reserved_concurrency"]
    max_retry_attempts: int = DEFAULTS["max_retry_attempts"]
    """Retries of a failed invocation before the event is dead-lettered (Lambda allows 0-2)."""
    max_event_age_seconds: int = DEFAULTS["max_event_age_seconds"]
    top_findings: int = DEFAULTS["top_findings"]
    """How many of the most severe findings an alert e-mail lists."""

    def to_config(self) -> ImageScanConfig:
        """The ``ImageScanAlerts`` args this section maps to (the account adds the wiring)."""
        return {
            "alarm_emails": list(self.alarm_emails),
            "critical_threshold": self.critical_threshold,
            "high_threshold": self.high_threshold,
            "log_retention_days": self.log_retention_days,
            "report_retention_days": self.report_retention_days,
            "reserved_concurrency": self.reserved_concurrency,
            "max_retry_attempts": self.max_retry_attempts,
            "max_event_age_seconds": self.max_event_age_seconds,
            "top_findings": self.top_findings,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        # A disabled section keeps its defaults and no addresses; it builds nothing.
        if self.enabled:
            raise_first(problems(self.to_config()))
        return self
