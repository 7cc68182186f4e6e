"""`kubeboard:platform`: what the stack is called and what kind of environment it is."""

from __future__ import annotations

from pydantic import Field

from .base import Model
from .types import Environment, Name


class PlatformSettings(Model):
    name: Name
    """Prefix of every resource name, and the EKS cluster's name (e.g. ``kubeboard-prod``)."""
    environment: Environment
    """``dev`` or ``prod``: prod protects stateful resources and applies stricter defaults."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags put on every AWS resource, beside ``Project``, ``Environment`` and ``ManagedBy``."""
