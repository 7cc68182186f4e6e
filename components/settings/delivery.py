"""`kubeboard:account.delivery`: which application repositories may push which images, from where (K9, D1, D4).

Each team lists its GitHub repositories, the ECR repositories (declared under
`kubeboard:account.registry`) it owns, and the GitHub environments / branches whose workflows may deliver.
Every GitHub repository gets its own keyless IAM role (components/github_oidc.py). The rules are the
account's and the delivery component's (components/account.py, components/github_oidc.py); this section
only reads the stack file.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..account import AccountDeliveryArgs
from ..github_oidc import DEFAULTS
from .base import Model
from .types import Name


class DeliveryTeam(Model):
    """One application team: its repositories, its images, and where it may deliver from."""

    name: Name
    repositories: list[str]
    """GitHub repositories (``owner/name``) whose workflows deliver; each gets its own role."""
    ecr_repositories: list[str]
    """ECR repositories the team owns, declared under ``registry`` beside it; no other team pushes there."""
    environments: list[str] = Field(default_factory=list)
    """GitHub environments whose jobs may deliver (the delivery workflow's build job runs in one)."""
    branches: list[str] = Field(default_factory=list)
    """Branches whose workflows may deliver outside an environment; patterns like ``release/*`` allowed."""


class DeliverySettings(Model):
    """Keyless delivery from GitHub Actions to ECR (off unless enabled)."""

    enabled: bool = False
    existing_oidc_provider_arn: str | None = None
    """An account holds GitHub's OIDC provider once; give its ARN if another stack created it."""
    max_session_hours: int = DEFAULTS["max_session_hours"]
    """Lifetime of a workflow's AWS credentials."""
    workflow_ref: str | None = None
    """The reusable delivery workflow on main (``owner/repo/.github/workflows/build-push-deploy.yml@refs/heads/main``):
    delivery roles trust jobs of that workflow only, through the customized OIDC subject (README)."""
    teams: list[DeliveryTeam] = Field(default_factory=list)

    @model_validator(mode="after")
    def _team_names_unique(self) -> Self:
        # The names exist only here (they name the teams in the stack file); the account's rules
        # check everything the roles are built from.
        names = [team.name for team in self.teams]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"teams[{index}].name: team {name!r} is listed twice")
        return self

    def to_args(self) -> AccountDeliveryArgs:
        return {
            "teams": [
                {
                    "repositories": team.repositories,
                    "ecr_repositories": team.ecr_repositories,
                    "branches": team.branches,
                    "environments": team.environments,
                }
                for team in self.teams
            ],
            "existing_oidc_provider_arn": self.existing_oidc_provider_arn,
            "max_session_hours": self.max_session_hours,
            "workflow_ref": self.workflow_ref or "",
        }
