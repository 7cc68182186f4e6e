"""Error-log metric filters and their alarms (O3): ``kubeboard:logAlarms`` in an environment stack,
``kubeboard:account.logAlarms`` in the account stack."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Model


class LogAlarmsSettings(Model):
    enabled: bool = False
    function_threshold: Annotated[int, Field(ge=1, le=100_000)] = 1
    """Error lines in one period of a platform Lambda's log group that raise its alarm."""
    control_plane_threshold: Annotated[int, Field(ge=1, le=1_000_000)] = 20
    """klog error/fatal lines of the EKS control plane in one period that raise its alarm."""
    period_seconds: Annotated[int, Field(ge=60, le=86400, multiple_of=60)] = 300
