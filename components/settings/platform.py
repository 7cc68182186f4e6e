"""`kubeboard:platform`: what the stack is called and what kind of environment it is."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ..environment import Environment
from .base import Model
from .types import Name, at_most

_STACK_REFERENCE = re.compile(r"^(?:[A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")


def _stack_reference(name: str) -> str:
    if not _STACK_REFERENCE.match(name):
        raise ValueError(f"{name!r} is not a stack name; use <stack> or <organization>/<project>/<stack>")
    return name


StackReferenceName = Annotated[str, AfterValidator(_stack_reference)]

# Every physical name is built from the platform name; this is the longest with which all of them
# still fit their AWS limits (kubeboard plan checks them: components/plan/aws_limits.py). The
# tightest is the log-report bucket: "<name>-error-logs-raw-" plus the 26 characters the provider
# appends to a bucket prefix must stay within S3's 63.
NAME_MAX_LENGTH = 21


PrefixName = Annotated[
    Name,
    at_most(
        NAME_MAX_LENGTH,
        so_that="every AWS name built from it (buckets, IAM roles, node groups) fits its limit",
    ),
]
"""A name every physical name of a stack starts with (the platform's, the account's)."""


class PlatformSettings(Model):
    name: PrefixName
    """Prefix of every resource name, and the EKS cluster's name (e.g. ``kubeboard-prod``); 3 to 21
    characters."""
    environment: Environment
    """``dev`` or ``prod``: prod protects stateful resources and applies stricter defaults."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags put on every AWS resource, beside ``Project``, ``Environment`` and ``ManagedBy``."""
    account_stack: StackReferenceName
    """The account stack this environment reads its registry from (``kubeboard:account``), as
    ``pulumi stack ls`` names it: ``shared``, or ``<organization>/kubeboard/shared``."""
