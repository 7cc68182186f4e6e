"""`kubeboard:gitops`: Argo CD, who may do what in it, how people sign in, and the app of apps (K6, D1)."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from .base import Model
from .observability import Resources
from .secrets import PLAN_PLACEHOLDER_PREFIX, Secret

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_GITHUB_NAME = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$"
# A team slug as GitHub spells it in URLs (lower case, digits, '-', '_', '.').
_TEAM_SLUG = r"^[a-z0-9][a-z0-9._-]{0,99}$"
# Argo CD group names as dex reports GitHub teams (``org:team``) or any OIDC group.
_GROUP = r"^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$"
_REPO_PATH = re.compile(r"^(?!/)(?!.*\.\.)[A-Za-z0-9._/-]+$")


def _https_git_url(url: str) -> str:
    # Argo CD reads the repository over HTTPS with a token; ssh:// would need a key instead.
    if not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/[A-Za-z0-9._/-]+$", url):
        raise ValueError(f"{url!r} must be an https:// git repository URL")
    return url


def _relative_path(path: str) -> str:
    if not _REPO_PATH.match(path):
        raise ValueError(f"{path!r} must be a relative path inside the repository (no '..')")
    return path


def _not_empty_secret(secret: SecretStr) -> SecretStr:
    # Never echo the value: it is the credential.
    if not secret.get_secret_value().strip():
        raise ValueError("must not be empty")
    return secret


def _client_secret(secret: SecretStr) -> SecretStr:
    _not_empty_secret(secret)
    value = secret.get_secret_value()
    # GitHub OAuth app secrets are 40 hex characters; the offline plan stands in a placeholder.
    if not (value.startswith(PLAN_PLACEHOLDER_PREFIX) or re.fullmatch(r"[0-9a-f]{40}", value)):
        raise ValueError("must be a GitHub OAuth app client secret (40 hex characters)")
    return secret


class RepositorySettings(Model):
    """The git repository the root Application reads the platform chart from."""

    url: Annotated[str, AfterValidator(_https_git_url)]
    target_revision: Annotated[str, Field(min_length=1, max_length=255)] = "main"
    """Branch, tag or commit the platform follows (prod may pin a tag)."""
    path: Annotated[str, AfterValidator(_relative_path)] = "charts/kubeboard"
    username: Annotated[str, Field(min_length=1, max_length=100)] = "x-access-token"
    private: bool = False
    """Argo CD needs a token to read a private repository."""
    token: Annotated[SecretStr, AfterValidator(_not_empty_secret), Secret(required_if="private")] | None = (
        None
    )
    """Read-only token (``pulumi config set --secret --path``); required when ``private``."""


class GitHubSsoSettings(Model):
    """Sign-in through dex with a GitHub OAuth app, limited to an organisation's teams."""

    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{8,64}$")]
    client_secret: Annotated[SecretStr, AfterValidator(_client_secret), Secret()]
    """The OAuth app's client secret: set it with ``pulumi config set --path --secret``."""
    org: Annotated[str, Field(pattern=_GITHUB_NAME)]
    teams: Annotated[list[Annotated[str, Field(pattern=_TEAM_SLUG)]], Field(min_length=1)]
    """Only members of these teams may sign in (team slugs)."""

    @model_validator(mode="after")
    def _unique_teams(self) -> Self:
        if len(set(self.teams)) != len(self.teams):
            raise ValueError("teams: listed twice")
        return self


class SsoSettings(Model):
    github: GitHubSsoSettings


class RbacSettings(Model):
    """Argo CD roles by group; everyone else signed in only reads (``policy.default: role:readonly``)."""

    admin_groups: list[Annotated[str, Field(pattern=_GROUP)]] = Field(default_factory=list)
    """Groups mapped to ``role:admin``, e.g. ``kubeboard:platform`` (GitHub ``org:team``)."""

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.admin_groups)) != len(self.admin_groups):
            raise ValueError("adminGroups: listed twice")
        return self


class GitOpsSettings(Model):
    enabled: bool = True
    namespace: Annotated[str, Field(pattern=_DNS_LABEL)] = "argocd"
    hostname_prefix: Annotated[str, Field(pattern=_DNS_LABEL)] = "argocd"
    """Argo CD is published at ``<hostnamePrefix>.<edge domain>`` through the shared ALB."""
    repository: RepositorySettings | None = None
    rbac: RbacSettings = RbacSettings()
    sso: SsoSettings | None = None
    """Required in prod, where the local admin is disabled."""
    resources: Resources = Resources(cpu_request="100m", memory_request="256Mi", memory_limit="512Mi")
    """Requests and limits of the server, repo server and ApplicationSet controller."""
    controller_resources: Resources = Resources(
        cpu_request="250m", memory_request="512Mi", memory_limit="1Gi"
    )

    @model_validator(mode="after")
    def _repository_when_enabled(self) -> Self:
        if self.enabled and self.repository is None:
            raise ValueError("repository: required when gitops is enabled ({url, targetRevision, path})")
        return self

    @model_validator(mode="after")
    def _admins_with_sso(self) -> Self:
        if self.sso is not None and not self.rbac.admin_groups:
            raise ValueError("rbac.adminGroups: with SSO on, name at least one group to administer Argo CD")
        return self

    def require_sso(self) -> None:
        """Prod has no local admin: someone must be able to sign in. Called by the root settings."""
        if self.enabled and self.sso is None:
            raise ValueError(
                "gitops.sso: a prod stack disables the local admin and needs SSO "
                "(sso.github: {clientId, clientSecret (secret), org, teams})"
            )
