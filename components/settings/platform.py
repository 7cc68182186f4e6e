"""`kubeboard:platform`: what the stack is called and what kind of environment it is."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from .base import Model
from .types import Environment, Name

_STACK_REFERENCE = re.compile(r"^(?:[A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")


def _stack_reference(name: str) -> str:
    if not _STACK_REFERENCE.match(name):
        raise ValueError(f"{name!r} is not a stack name; use <stack> or <organization>/<project>/<stack>")
    return name


StackReferenceName = Annotated[str, AfterValidator(_stack_reference)]


class PlatformSettings(Model):
    name: Name
    """Prefix of every resource name, and the EKS cluster's name (e.g. ``kubeboard-prod``)."""
    environment: Environment
    """``dev`` or ``prod``: prod protects stateful resources and applies stricter defaults."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags put on every AWS resource, beside ``Project``, ``Environment`` and ``ManagedBy``."""
    account_stack: StackReferenceName
    """The account stack this environment reads its registry from (``kubeboard:account``), as
    ``pulumi stack ls`` names it: ``shared``, or ``<organization>/kubeboard/shared``."""
