"""`kubeboard:storage`: the EFS file system shared by pods on several nodes (K2)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from .base import Model


class PerformanceMode(StrEnum):
    GENERAL_PURPOSE = "generalPurpose"
    MAX_IO = "maxIO"


class ThroughputMode(StrEnum):
    ELASTIC = "elastic"
    """Pay per use; scales with the workload (the right default for spiky platform traffic)."""
    BURSTING = "bursting"


class AccessPointSettings(Model):
    """The directory pods mount and the POSIX identity they act as on it."""

    path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]*$")] = "/kubeboard"
    uid: Annotated[int, Field(ge=0)] = 1000
    gid: Annotated[int, Field(ge=0)] = 1000
    permissions: Annotated[str, Field(pattern=r"^0?[0-7]{3}$")] = "0750"


class SharedStorageSettings(Model):
    enabled: bool = True
    performance_mode: PerformanceMode = PerformanceMode.GENERAL_PURPOSE
    throughput_mode: ThroughputMode = ThroughputMode.ELASTIC
    transition_to_ia_days: Literal[1, 7, 14, 30, 60, 90, 180, 270, 365] = 30
    """Files not read for this many days move to Infrequent Access (and back on first read)."""
    access_point: AccessPointSettings = AccessPointSettings()
    storage_class_name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$")] = "efs-sc"
