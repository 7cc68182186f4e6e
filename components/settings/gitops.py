"""`kubeboard:gitops`: Argo CD and the app of apps (K6, D1); who signs in and as what is `kubeboard:sso`."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from .base import Model
from .observability import Resources
from .secrets import Secret

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
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


class GitOpsSettings(Model):
    enabled: bool = True
    namespace: Annotated[str, Field(pattern=_DNS_LABEL)] = "argocd"
    hostname_prefix: Annotated[str, Field(pattern=_DNS_LABEL)] = "argocd"
    """Argo CD is published at ``<hostnamePrefix>.<edge domain>`` through the shared ALB."""
    repository: RepositorySettings | None = None
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
