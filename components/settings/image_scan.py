"""`kubeboard:account.scanning`: alerts, reports and metrics from the registry's image scans (K10, D8)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import Model
from .observability import Email
from .types import RetentionDays


class ImageScanSettings(Model):
    enabled: bool = True
    alarm_emails: list[Email] = Field(default_factory=list)
    """Who is e-mailed CRITICAL/HIGH alerts and alarm state changes (each confirms a subscription)."""
    critical_threshold: Annotated[int, Field(ge=1, le=100000)] = 1
    """An image with at least this many CRITICAL findings alerts."""
    high_threshold: Annotated[int, Field(ge=1, le=100000)] = 5
    """An image with at least this many HIGH findings alerts."""
    log_retention_days: RetentionDays = 30
    report_retention_days: Annotated[int, Field(ge=1, le=3650)] = 365
    """Days a findings report stays in the bucket."""
    reserved_concurrency: Annotated[int, Field(ge=1, le=100)] = 5
    max_retry_attempts: Annotated[int, Field(ge=0, le=2)] = 2
    """Retries of a failed invocation before the event is dead-lettered (Lambda allows 0-2)."""
    max_event_age_seconds: Annotated[int, Field(ge=60, le=21600)] = 3600
    top_findings: Annotated[int, Field(ge=0, le=50)] = 10
    """How many of the most severe findings an alert e-mail lists."""

    @model_validator(mode="after")
    def _someone_is_told(self) -> Self:
        if self.enabled and not self.alarm_emails:
            raise ValueError("alarmEmails: list at least one address, or set enabled: false")
        lowered = [email.lower() for email in self.alarm_emails]
        duplicates = sorted({email for email in lowered if lowered.count(email) > 1})
        if duplicates:
            raise ValueError(f"alarmEmails: listed twice: {', '.join(duplicates)}")
        return self
