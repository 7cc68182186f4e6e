"""`kubeboard:account.registry`: private ECR repositories and the registry's image scanning (K9, K10, D8).

The rules are the component's (components/registry.py); this section only reads the stack file.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ..registry import DEFAULTS, REPOSITORY_DEFAULTS, RegistryArgs, RepositoryArgs, ScanType, problems
from .base import Model, raise_first

__all__ = ["RegistrySettings", "RepositorySettings", "ScanType"]


class RepositorySettings(Model):
    name: str
    keep_tagged_images: int = REPOSITORY_DEFAULTS["keep_tagged_images"]
    """How many tagged images to keep; older ones expire."""
    untagged_expire_days: int = REPOSITORY_DEFAULTS["untagged_expire_days"]

    def to_args(self) -> RepositoryArgs:
        return {
            "name": self.name,
            "keep_tagged_images": self.keep_tagged_images,
            "untagged_expire_days": self.untagged_expire_days,
        }


class RegistrySettings(Model):
    repositories: list[RepositorySettings]
    scan_type: ScanType = DEFAULTS["scan_type"]

    def to_args(self, name: str) -> RegistryArgs:
        """The ``Registry`` args this section maps to, under the account's name prefix."""
        return {
            "name": name,
            "repositories": [repository.to_args() for repository in self.repositories],
            "scan_type": self.scan_type,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_args("")))
        return self
