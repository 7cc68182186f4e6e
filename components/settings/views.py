"""`kubeboard:views`: the front page's error-log reports and image vulnerabilities (issue 18).

A CronJob of the platform chart copies the reports the log-report Lambda writes and the findings the
account stack's scan Lambda writes onto the shared volume the front page serves; its IRSA role
(``components/report_reader.py``) may only list and read those two prefixes.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import Model

_CRON = r"^(@(hourly|daily|weekly|monthly|yearly)|([0-9*/,-]+ ){4}[0-9*/,-]+)$"


class ViewsSettings(Model):
    enabled: bool = False
    error_reports: bool = True
    """The "Error-log reports" view, from this environment's processed bucket (``kubeboard:logReports``)."""
    image_findings: bool = True
    """The "Image vulnerabilities" view, from the account stack's findings bucket (its ``scanning``)."""
    schedule: Annotated[str, Field(pattern=_CRON)] = "*/5 * * * *"
    max_reports: Annotated[int, Field(ge=1, le=20000)] = 1000
    """The most recent report windows the view lists (all namespaces together)."""
    max_images: Annotated[int, Field(ge=1, le=10000)] = 500
    """The most recently scanned images the view lists."""
    top_findings: Annotated[int, Field(ge=0, le=50)] = 10
    """Findings shown per image, most severe first."""

    @model_validator(mode="after")
    def _shows_something(self) -> Self:
        if self.enabled and not (self.error_reports or self.image_findings):
            raise ValueError(
                "errorReports: turn on errorReports, imageFindings or both (or views.enabled off)"
            )
        return self
