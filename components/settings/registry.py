"""`kubeboard:account.registry`: private ECR repositories and the registry's image scanning (K9, K10, D8)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from .base import Model

RepositoryName = Annotated[
    str, Field(pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", max_length=256)
]


class ScanType(StrEnum):
    BASIC = "BASIC"
    """ECR's own scan on push (free)."""
    ENHANCED = "ENHANCED"
    """Amazon Inspector: OS and language packages, rescanned continuously as new CVEs appear."""


class RepositorySettings(Model):
    name: RepositoryName
    keep_tagged_images: Annotated[int, Field(ge=1, le=10000)] = 30
    """How many tagged images to keep; older ones expire."""
    untagged_expire_days: Annotated[int, Field(ge=1, le=365)] = 7


class RegistrySettings(Model):
    repositories: Annotated[list[RepositorySettings], Field(min_length=1)]
    scan_type: ScanType = ScanType.BASIC

    @model_validator(mode="after")
    def _unique(self) -> Self:
        names = [repository.name for repository in self.repositories]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"repositories[{index}].name: {name!r} is listed twice")
        return self
