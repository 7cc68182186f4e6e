"""`kubeboard:sso`: one sign-in for every UI (Argo CD, Grafana, the front page).

Argo CD's bundled dex is the identity provider: its GitHub connector admits the members of the
listed teams of one organisation, and reports each team to the UIs as the group ``<org>:<team>``.
Grafana and the ALB in front of the front page are dex clients with their own secrets.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from .base import Model
from .secrets import PLAN_PLACEHOLDER_PREFIX, Secret

_GITHUB_NAME = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$"
# A team slug as GitHub spells it in URLs (lower case, digits, '-', '_', '.').
_TEAM_SLUG = r"^[a-z0-9][a-z0-9._-]{0,99}$"
# dex compares client secrets byte for byte; anything shorter than this is guessable.
MIN_CLIENT_SECRET_LENGTH = 32

TeamSlug = Annotated[str, Field(pattern=_TEAM_SLUG)]


def _not_empty(secret: SecretStr) -> SecretStr:
    # Never echo the value: it is the credential.
    if not secret.get_secret_value().strip():
        raise ValueError("must not be empty")
    return secret


def _github_client_secret(secret: SecretStr) -> SecretStr:
    _not_empty(secret)
    value = secret.get_secret_value()
    # GitHub OAuth app secrets are 40 hex characters; the offline plan stands in a placeholder.
    if not (value.startswith(PLAN_PLACEHOLDER_PREFIX) or re.fullmatch(r"[0-9a-f]{40}", value)):
        raise ValueError("must be a GitHub OAuth app client secret (40 hex characters)")
    return secret


def _client_secret(secret: SecretStr) -> SecretStr:
    _not_empty(secret)
    value = secret.get_secret_value()
    if not value.startswith(PLAN_PLACEHOLDER_PREFIX) and len(value) < MIN_CLIENT_SECRET_LENGTH:
        raise ValueError(
            f"must be at least {MIN_CLIENT_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`)"
        )
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain whitespace")
    return secret


def _unique(values: list[str], key: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{key}: listed twice")


class GitHubConnectorSettings(Model):
    """dex's GitHub connector: a GitHub OAuth app, limited to an organisation's teams."""

    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{8,64}$")]
    client_secret: Annotated[SecretStr, AfterValidator(_github_client_secret), Secret()]
    """The OAuth app's client secret: set it with ``pulumi config set --path --secret``."""
    org: Annotated[str, Field(pattern=_GITHUB_NAME)]
    teams: Annotated[list[TeamSlug], Field(min_length=1)]
    """Only members of these teams may sign in (team slugs)."""

    @model_validator(mode="after")
    def _unique_teams(self) -> Self:
        _unique(self.teams, "teams")
        return self


class RoleSettings(Model):
    """Which GitHub teams get which role; every other member of ``github.teams`` only reads."""

    admins: Annotated[list[TeamSlug], Field(min_length=1)]
    """Argo CD ``role:admin`` and Grafana ``Admin``: at least one team must administer the UIs."""
    developers: list[TeamSlug] = Field(default_factory=list)
    """Grafana ``Editor`` (dashboards, Explore); Argo CD read-only, like everyone else."""

    @model_validator(mode="after")
    def _disjoint(self) -> Self:
        _unique(self.admins, "admins")
        _unique(self.developers, "developers")
        both = sorted(set(self.admins) & set(self.developers))
        if both:
            raise ValueError(f"developers: {both} already listed as admins")
        return self


class SsoSettings(Model):
    github: GitHubConnectorSettings
    roles: RoleSettings
    grafana_client_secret: Annotated[SecretStr, AfterValidator(_client_secret), Secret()]
    """Grafana's secret as dex's static client (``openssl rand -hex 32``)."""
    front_page_client_secret: Annotated[SecretStr, AfterValidator(_client_secret), Secret()]
    """The ALB's secret as dex's static client for the front page (``openssl rand -hex 32``)."""

    @model_validator(mode="after")
    def _roles_among_teams(self) -> Self:
        teams = set(self.github.teams)
        for key, listed in (("admins", self.roles.admins), ("developers", self.roles.developers)):
            outside = sorted(set(listed) - teams)
            if outside:
                raise ValueError(f"roles.{key}: {outside} not in github.teams (only those teams may sign in)")
        return self

    def group(self, team: str) -> str:
        """The group dex reports for a team: ``<org>:<team slug>``."""
        return f"{self.github.org}:{team}"

    @property
    def admin_groups(self) -> list[str]:
        return [self.group(team) for team in self.roles.admins]

    @property
    def developer_groups(self) -> list[str]:
        return [self.group(team) for team in self.roles.developers]
