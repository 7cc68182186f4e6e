"""`kubeboard:delivery`: which application repositories may push which images, from where (K9, D1, D4).

Each team lists its GitHub repositories, the ECR repositories (declared under
`kubeboard:account.registry`) it owns, and the GitHub environments / branches whose workflows may deliver.
Every GitHub repository gets its own keyless IAM role (components/github_oidc.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .types import Name

# GitHub: owners are alphanumerics and single hyphens, repositories alphanumerics, '.', '_', '-'.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/*-]{1,255}(?<!/)$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# The delivery workflow on this repository's main branch, as GitHub writes it in `job_workflow_ref`.
_WORKFLOW_REF = re.compile(
    r"^(?P<repository>[^/]+/[^/]+)/\.github/workflows/[A-Za-z0-9._-]+\.ya?ml@refs/heads/main$"
)
_GITHUB_PROVIDER_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)


def check_repository(repository: str) -> str:
    """Exactly one ``owner/name``: a wildcard would let other repositories assume the role."""
    if "*" in repository or "?" in repository:
        raise ValueError(f"{repository!r} has a wildcard; name exactly one repository as owner/name")
    if not _REPOSITORY.match(repository):
        raise ValueError(f"{repository!r} is not a GitHub repository; use owner/name, e.g. acme/shop-api")
    return repository


def check_branch(branch: str) -> str:
    """A branch name, or a pattern such as ``release/*``; a bare ``*`` would trust every branch."""
    if branch.removeprefix("refs/heads/").strip("*/") == "":
        raise ValueError(f"{branch!r} would trust every branch; list branch names or patterns like release/*")
    if branch.startswith("refs/") or not _BRANCH.match(branch):
        raise ValueError(f"{branch!r} is not a branch name (e.g. main or release/*, without refs/heads/)")
    return branch


def check_environment(environment: str) -> str:
    if not _ENVIRONMENT.match(environment):
        raise ValueError(f"{environment!r} is not a GitHub environment name (letters, digits, '-', '_')")
    return environment


def check_workflow_ref(workflow_ref: str) -> str:
    """The reusable delivery workflow, on ``main``: the only workflow a delivery role trusts."""
    match = _WORKFLOW_REF.match(workflow_ref)
    if not match:
        raise ValueError(
            f"{workflow_ref!r} is not a workflow on main; use "
            "owner/repo/.github/workflows/<file>.yml@refs/heads/main"
        )
    check_repository(match["repository"])
    return workflow_ref


def _github_provider_arn(arn: str) -> str:
    if not _GITHUB_PROVIDER_ARN.match(arn):
        raise ValueError(
            f"{arn!r} is not GitHub's OIDC provider "
            "(arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com)"
        )
    return arn


GitHubRepository = Annotated[str, AfterValidator(check_repository)]
Branch = Annotated[str, AfterValidator(check_branch)]
GitHubEnvironment = Annotated[str, AfterValidator(check_environment)]
GitHubProviderArn = Annotated[str, AfterValidator(_github_provider_arn)]
WorkflowRef = Annotated[str, AfterValidator(check_workflow_ref)]


def _first_duplicate(values: list[str], *, fold: bool = False) -> tuple[int, str] | None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        key = value.lower() if fold else value
        if key in seen:
            return index, value
        seen.add(key)
    return None


class DeliveryTeam(Model):
    """One application team: its repositories, its images, and where it may deliver from."""

    name: Name
    repositories: Annotated[list[GitHubRepository], Field(min_length=1)]
    """GitHub repositories (``owner/name``) whose workflows deliver; each gets its own role."""
    ecr_repositories: Annotated[list[str], Field(min_length=1)]
    """ECR repositories the team owns, declared under ``registry`` beside it; no other team pushes there."""
    environments: list[GitHubEnvironment] = Field(default_factory=list)
    """GitHub environments whose jobs may deliver (the delivery workflow's build job runs in one)."""
    branches: list[Branch] = Field(default_factory=list)
    """Branches whose workflows may deliver outside an environment; patterns like ``release/*`` allowed."""

    @model_validator(mode="after")
    def _scoped(self) -> Self:
        if not self.environments and not self.branches:
            raise ValueError(
                "environments: list at least one GitHub environment or branch the team delivers from"
            )
        for key, values, fold in (
            ("repositories", self.repositories, True),  # GitHub names are case-insensitive
            ("ecrRepositories", self.ecr_repositories, False),
            ("environments", self.environments, False),
            ("branches", self.branches, False),
        ):
            duplicate = _first_duplicate(values, fold=fold)
            if duplicate:
                raise ValueError(f"{key}[{duplicate[0]}]: {duplicate[1]!r} is listed twice")
        return self


class DeliverySettings(Model):
    """Keyless delivery from GitHub Actions to ECR (off unless enabled)."""

    enabled: bool = False
    existing_oidc_provider_arn: GitHubProviderArn | None = None
    """An account holds GitHub's OIDC provider once; give its ARN if another stack created it."""
    max_session_hours: Annotated[int, Field(ge=1, le=12)] = 1
    """Lifetime of a workflow's AWS credentials."""
    workflow_ref: WorkflowRef | None = None
    """The reusable delivery workflow on main (``owner/repo/.github/workflows/build-push-deploy.yml@refs/heads/main``):
    delivery roles trust jobs of that workflow only, through the customized OIDC subject (README)."""
    teams: list[DeliveryTeam] = Field(default_factory=list)

    @model_validator(mode="after")
    def _teams_do_not_overlap(self) -> Self:
        if self.enabled and not self.teams:
            raise ValueError("teams: delivery is enabled but no team is listed")
        if self.enabled and self.workflow_ref is None:
            raise ValueError(
                "workflowRef: delivery is enabled; name the reusable delivery workflow on main "
                "(owner/repo/.github/workflows/build-push-deploy.yml@refs/heads/main)"
            )
        team_names: dict[str, int] = {}
        repository_owner: dict[str, str] = {}
        image_owner: dict[str, str] = {}
        for t, team in enumerate(self.teams):
            if team.name in team_names:
                raise ValueError(f"teams[{t}].name: team {team.name!r} is listed twice")
            team_names[team.name] = t
            for r, repository in enumerate(team.repositories):
                other = repository_owner.setdefault(repository.lower(), team.name)
                if other != team.name:
                    raise ValueError(
                        f"teams[{t}].repositories[{r}]: {repository} already delivers for team {other!r}; "
                        "a repository belongs to one team"
                    )
            for e, image in enumerate(team.ecr_repositories):
                other = image_owner.setdefault(image, team.name)
                if other != team.name:
                    raise ValueError(
                        f"teams[{t}].ecrRepositories[{e}]: {image!r} belongs to team {other!r}; "
                        "a team may not push to another team's repository"
                    )
        return self

    def check_registry(self, declared: Collection[str]) -> None:
        """Every ECR repository a team pushes to must be one the registry creates."""
        for t, team in enumerate(self.teams):
            for e, image in enumerate(team.ecr_repositories):
                if image not in declared:
                    known = ", ".join(sorted(declared)) or "none"
                    raise ValueError(
                        f"delivery.teams[{t}].ecrRepositories[{e}]: {image!r} is not declared under "
                        f"registry.repositories (declared: {known})"
                    )
