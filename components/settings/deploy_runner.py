"""`kubeboard:deployRunner`: the in-VPC GitHub Actions runner that deploys run on.

GitHub-hosted runners reach a cluster API only through a public endpoint open to the internet; a
private endpoint, or an allow-list of office ranges, needs a runner inside the VPC. ``Settings``
refuses a stack whose API GitHub cannot reach unless this runner is on.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .delivery import check_repository
from .types import RetentionDays

_CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def _connection_arn(text: str) -> str:
    if not _CONNECTION_ARN.match(text):
        raise ValueError(
            f"{text!r} is not a CodeConnections connection ARN "
            "(arn:aws:codeconnections:<region>:<account>:connection/<uuid>)"
        )
    return text


_CODEBUILD_IMAGE = re.compile(r"^aws/codebuild/[a-z0-9._-]+:[0-9.]+$")


def check_image(image: str) -> str:
    """A CodeBuild-managed Ubuntu image: ``actions/setup-python`` has no builds for Amazon Linux."""
    if not _CODEBUILD_IMAGE.match(image):
        raise ValueError(f"{image!r} is not a CodeBuild-managed image such as aws/codebuild/standard:7.0")
    if not image.startswith("aws/codebuild/standard:"):
        raise ValueError(
            f"{image!r}: the deploy job sets up Python with actions/setup-python, which installs only on "
            "Ubuntu; use aws/codebuild/standard:<version>"
        )
    return image


ConnectionArn = Annotated[str, AfterValidator(_connection_arn)]
CodeBuildImage = Annotated[str, AfterValidator(check_image)]
GitHubRepository = Annotated[str, AfterValidator(check_repository)]


class ComputeType(StrEnum):
    """CodeBuild on-demand Linux container sizes (memory / vCPUs)."""

    SMALL = "BUILD_GENERAL1_SMALL"
    """3 GB, 2 vCPUs."""
    MEDIUM = "BUILD_GENERAL1_MEDIUM"
    """7 GB, 4 vCPUs: enough for `pulumi up` of the whole platform."""
    LARGE = "BUILD_GENERAL1_LARGE"
    """15 GB, 8 vCPUs."""
    XLARGE = "BUILD_GENERAL1_XLARGE"
    """70 GB, 36 vCPUs."""


class DeployRunnerSettings(Model):
    """A CodeBuild-hosted GitHub Actions runner in the private subnets (off by default)."""

    enabled: bool = False
    repository: GitHubRepository | None = None
    """The repository whose workflow jobs the runner takes (``owner/name``); required when enabled."""
    connection_arn: ConnectionArn | None = None
    """The account's CodeConnections GitHub App connection (created once by hand, then ``AVAILABLE``)."""
    compute_type: ComputeType = ComputeType.MEDIUM
    image: CodeBuildImage = "aws/codebuild/standard:7.0"
    """A CodeBuild-managed Ubuntu image (``aws/codebuild/standard:<version>``)."""
    timeout_minutes: Annotated[int, Field(ge=5, le=480)] = 120
    """Longest job; the deploy job's own ``timeout-minutes`` must fit inside it."""
    log_retention_days: RetentionDays = 90

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        if self.enabled:
            for key, value in (("repository", self.repository), ("connectionArn", self.connection_arn)):
                if value is None:
                    raise ValueError(f"{key}: required when the deploy runner is enabled")
        return self
