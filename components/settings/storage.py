"""`kubeboard:storage`: the EFS file system shared by pods on several nodes (K2).

The rules live with the component (`kubeboard_infra.shared_storage.problems`); this section calls them.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ..shared_storage import PerformanceMode, SharedStorageConfig, ThroughputMode, problems
from .base import Model, raise_first

__all__ = ["AccessPointSettings", "PerformanceMode", "SharedStorageSettings", "ThroughputMode"]


class AccessPointSettings(Model):
    """The directory pods mount and the POSIX identity they act as on it."""

    path: str = "/kubeboard"
    uid: int = 1000
    gid: int = 1000
    permissions: str = "0750"


class SharedStorageSettings(Model):
    enabled: bool = True
    performance_mode: PerformanceMode = PerformanceMode.GENERAL_PURPOSE
    throughput_mode: ThroughputMode = ThroughputMode.ELASTIC
    transition_to_ia_days: int = 30
    """Files not read for this many days move to Infrequent Access (and back on first read)."""
    access_point: AccessPointSettings = AccessPointSettings()
    storage_class_name: str = "efs-sc"

    def to_config(self) -> SharedStorageConfig:
        """The `SharedStorage` component's values from this section."""
        point = self.access_point
        return {
            "performance_mode": self.performance_mode,
            "throughput_mode": self.throughput_mode,
            "transition_to_ia_days": self.transition_to_ia_days,
            "access_point": {
                "path": point.path,
                "uid": point.uid,
                "gid": point.gid,
                "permissions": point.permissions,
            },
            "storage_class_name": self.storage_class_name,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_config()))
        return self
