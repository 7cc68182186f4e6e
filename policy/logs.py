"""CloudWatch log groups expire their events."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, number

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_MINIMUM_DAYS = 1


def _retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    days = number(get(args.props, "retentionInDays"))
    minimum = number(args.get_config().get("minimumRetentionDays")) or DEFAULT_MINIMUM_DAYS
    if not days:
        report("log group keeps events forever (retentionInDays unset)", None)
    elif days < minimum:
        report(f"retention of {int(days)} days is below this stack's minimum of {int(minimum)}", None)


configure_retention = TypedResourcePolicy(
    name="aws-cloudwatch-loggroup-configure-retention",
    description="CloudWatch log groups set a retention period (at least the stack's minimum).",
    resource_types=[LOG_GROUP],
    check=_retention,
    severity=Severity.MEDIUM,
    config={
        "minimumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": DEFAULT_MINIMUM_DAYS,
            "description": "Shortest retention accepted in this stack.",
        }
    },
)

POLICIES = [configure_retention]
