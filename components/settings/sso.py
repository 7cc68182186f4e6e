"""`kubeboard:sso`: one sign-in for every UI (Argo CD, Grafana, the front page).

Argo CD's bundled dex is the identity provider: its GitHub connector admits the members of the
listed teams of one organisation, and reports each team to the UIs as the group ``<org>:<team>``.
Grafana and the ALB in front of the front page are dex clients with their own secrets. The rules
are the library's (`kubeboard_infra.sso.problems`); this model maps the section to `SsoConfig`.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from ..sso import (
    MIN_CLIENT_SECRET_LENGTH,
    SsoConfig,
    client_secret_problem,
    github_client_secret_problem,
    problems,
)
from .base import Model, raise_first
from .secrets import Secret, secret_rule

__all__ = ["MIN_CLIENT_SECRET_LENGTH", "SsoSettings"]


class GitHubConnectorSettings(Model):
    """dex's GitHub connector: a GitHub OAuth app, limited to an organisation's teams."""

    client_id: str
    client_secret: Annotated[SecretStr, AfterValidator(secret_rule(github_client_secret_problem)), Secret()]
    """The OAuth app's client secret: set it with ``pulumi config set --path --secret``."""
    org: str
    teams: list[str]
    """Only members of these teams may sign in (team slugs)."""


class RoleSettings(Model):
    """Which GitHub teams get which role; every other member of ``github.teams`` only reads."""

    admins: list[str]
    """Argo CD ``role:admin`` and Grafana ``Admin``: at least one team must administer the UIs."""
    developers: list[str] = Field(default_factory=list)
    """Grafana ``Editor`` (dashboards, Explore); Argo CD read-only, like everyone else."""


class SsoSettings(Model):
    github: GitHubConnectorSettings
    roles: RoleSettings
    grafana_client_secret: Annotated[SecretStr, AfterValidator(secret_rule(client_secret_problem)), Secret()]
    """Grafana's secret as dex's static client (``openssl rand -hex 32``)."""
    front_page_client_secret: Annotated[
        SecretStr, AfterValidator(secret_rule(client_secret_problem)), Secret()
    ]
    """The ALB's secret as dex's static client for the front page (``openssl rand -hex 32``)."""

    @model_validator(mode="after")
    def _library_rules(self) -> Self:
        raise_first(problems(self.to_config()))
        return self

    def to_config(self) -> SsoConfig:
        """The section as the library's `SsoConfig` (secrets as their text: components keep them secret)."""
        return {
            "github": {
                "client_id": self.github.client_id,
                "client_secret": self.github.client_secret.get_secret_value(),
                "org": self.github.org,
                "teams": list(self.github.teams),
            },
            "roles": {"admins": list(self.roles.admins), "developers": list(self.roles.developers)},
            "grafana_client_secret": self.grafana_client_secret.get_secret_value(),
            "front_page_client_secret": self.front_page_client_secret.get_secret_value(),
        }
