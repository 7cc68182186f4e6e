"""Stack-wide: stateful resources cannot be deleted by a production update."""

from __future__ import annotations

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from kubeboard_policy.base import GraphStackPolicy
from kubeboard_policy.context import is_production
from kubeboard_policy.conventions import BUCKET_TYPES, holds_data

STATEFUL_TYPES = frozenset(
    {
        "aws:efs/fileSystem:FileSystem",
        "aws:ecr/repository:Repository",
        "aws:kms/key:Key",
    }
)


def _protected(args: StackValidationArgs, report: ReportViolation) -> None:
    if not is_production():
        return
    for resource in args.resources:
        stateful = resource.resource_type in STATEFUL_TYPES or (
            resource.resource_type in BUCKET_TYPES and holds_data(resource.props)
        )
        if stateful and not resource.opts.protect:
            report(
                f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}' is not protected",
                resource.urn,
            )


stateful_resources_protected_in_prod = GraphStackPolicy(
    name="kubeboard-stateful-resources-protected-in-prod",
    description="In production, data buckets, EFS file systems, ECR repositories and KMS keys are protected.",
    resource_types=[*STATEFUL_TYPES, *BUCKET_TYPES],
    check=_protected,
    severity=Severity.CRITICAL,
    remediation_steps="Create them with ResourceOptions(protect=True) when the stack is production.",
)

POLICIES = [stateful_resources_protected_in_prod]
