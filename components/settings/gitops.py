"""`kubeboard:gitops`: Argo CD and the app of apps (K6, D1); who signs in and as what is `kubeboard:sso`.

The rules are the library's (`kubeboard_infra.gitops.problems`); this model maps the section to
`GitOpsConfig` and reports each problem under its stack key.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, SecretStr, model_validator

from ..gitops.args import GitOpsConfig, https_git_url_problem, problems, relative_path_problem
from .base import Model, raise_first
from .observability import Resources
from .secrets import Secret


def _https_git_url(url: str) -> str:
    """The library's rule, for other sections that name a git repository (``kubeboard:fleet``)."""
    if (problem := https_git_url_problem(url)) is not None:
        raise ValueError(problem)
    return url


def _relative_path(path: str) -> str:
    if (problem := relative_path_problem(path)) is not None:
        raise ValueError(problem)
    return path


def _not_empty_secret(secret: SecretStr) -> SecretStr:
    # Never echo the value: it is the credential.
    if not secret.get_secret_value().strip():
        raise ValueError("must not be empty")
    return secret


class RepositorySettings(Model):
    """The git repository the root Application reads the platform chart from."""

    url: str
    target_revision: str = "main"
    """Branch, tag or commit the platform follows (prod may pin a tag)."""
    path: str = "charts/kubeboard"
    username: str = "x-access-token"
    private: bool = False
    """Argo CD needs a token to read a private repository."""
    token: Annotated[SecretStr, AfterValidator(_not_empty_secret), Secret(required_if="private")] | None = (
        None
    )
    """Read-only token (``pulumi config set --secret --path``); required when ``private``."""


class GitOpsSettings(Model):
    enabled: bool = True
    namespace: str = "argocd"
    hostname_prefix: str = "argocd"
    """Argo CD is published at ``<hostnamePrefix>.<edge domain>`` through the shared ALB."""
    repository: RepositorySettings | None = None
    resources: Resources = Resources(cpu_request="100m", memory_request="256Mi", memory_limit="512Mi")
    """Requests and limits of the server, repo server and ApplicationSet controller."""
    controller_resources: Resources = Resources(
        cpu_request="250m", memory_request="512Mi", memory_limit="1Gi"
    )

    @model_validator(mode="after")
    def _library_rules(self) -> Self:
        if not self.enabled:
            return self
        if self.repository is None:
            raise ValueError("repository: required when gitops is enabled ({url, targetRevision, path})")
        raise_first(problems(self.to_config()))
        return self

    def to_config(self) -> GitOpsConfig:
        """The section as the library's `GitOpsConfig` (the token as its text: the component keeps it secret)."""
        repository = self.repository
        if repository is None:
            raise ValueError("repository: required when gitops is enabled")
        return {
            "namespace": self.namespace,
            "hostname_prefix": self.hostname_prefix,
            "repository": {
                "url": repository.url,
                "target_revision": repository.target_revision,
                "path": repository.path,
                "username": repository.username,
                "token": repository.token.get_secret_value() if repository.token is not None else None,
            },
            "resources": self.resources.to_config(),
            "controller_resources": self.controller_resources.to_config(),
        }
