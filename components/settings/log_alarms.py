"""Error-log metric filters and their alarms (O3): ``kubeboard:logAlarms`` in an environment stack,
``kubeboard:account.logAlarms`` in the account stack. The rules and defaults are the component's
(components/log_alarms.py); this section only reads the stack file."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ..log_alarms import DEFAULTS, LogAlarmsConfig, config_problems
from .base import Model, raise_first


class LogAlarmsSettings(Model):
    enabled: bool = False
    function_threshold: int = DEFAULTS["function_threshold"]
    """Error lines in one period of a platform Lambda's log group that raise its alarm."""
    control_plane_threshold: int = DEFAULTS["control_plane_threshold"]
    """klog error/fatal lines of the EKS control plane in one period that raise its alarm."""
    period_seconds: int = DEFAULTS["period_seconds"]

    def to_config(self) -> LogAlarmsConfig:
        return {
            "function_threshold": self.function_threshold,
            "control_plane_threshold": self.control_plane_threshold,
            "period_seconds": self.period_seconds,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(config_problems(self.to_config()))
        return self
