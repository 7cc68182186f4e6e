"""`kubeboard:deployRunner`: the in-VPC GitHub Actions runner that deploys run on.

GitHub-hosted runners reach a cluster API only through a public endpoint open to the internet; a
private endpoint, or an allow-list of office ranges, needs a runner inside the VPC. ``Settings``
refuses a stack whose API GitHub cannot reach unless this runner is on. The rules and defaults are
the component's (components/deploy_runner.py); this section only reads the stack file.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from ..deploy_runner import DEFAULTS, ComputeType, problems
from .base import Model, raise_first
from .types import RetentionDays

__all__ = ["ComputeType", "DeployRunnerSettings"]


class DeployRunnerSettings(Model):
    """A CodeBuild-hosted GitHub Actions runner in the private subnets (off by default)."""

    enabled: bool = False
    repository: str | None = None
    """The repository whose workflow jobs the runner takes (``owner/name``); required when enabled."""
    connection_arn: str | None = None
    """The account's CodeConnections GitHub App connection (created once by hand, then ``AVAILABLE``)."""
    compute_type: ComputeType = DEFAULTS["compute_type"]
    image: str = DEFAULTS["image"]
    """A CodeBuild-managed Ubuntu image (``aws/codebuild/standard:<version>``)."""
    timeout_minutes: int = DEFAULTS["timeout_minutes"]
    """Longest job; the deploy job's own ``timeout-minutes`` must fit inside it."""
    log_retention_days: RetentionDays = DEFAULTS["log_retention_days"]

    def to_config(self) -> dict[str, Any]:
        """The ``DeployRunner`` args this section maps to (the platform adds the wiring)."""
        config: dict[str, Any] = {
            "compute_type": self.compute_type,
            "image": self.image,
            "timeout_minutes": self.timeout_minutes,
            "log_retention_days": self.log_retention_days,
        }
        if self.repository is not None:
            config["repository"] = self.repository
        if self.connection_arn is not None:
            config["connection_arn"] = self.connection_arn
        return config

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        if self.enabled:
            raise_first(problems(self.to_config()))
        return self
