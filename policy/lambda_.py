"""Lambda: failed async events are kept (DLQ), logs expire, concurrency is bounded or explained."""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.conventions import CONCURRENCY_REASON_TAG
from kubeboard_policy.graph import of_type
from kubeboard_policy.props import get, number, tags

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _dlq(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not get(args.props, "deadLetterConfig.targetArn"):
        report("no dead-letter queue: events that fail every retry are lost", None)


configure_dead_letter_queue = TypedResourcePolicy(
    name="aws-lambda-function-configure-dead-letter-queue",
    description="Lambda functions send events that exhaust their retries to a dead-letter queue.",
    resource_types=[FUNCTION],
    check=_dlq,
    severity=Severity.MEDIUM,
)


def _log_group_names(function_props: object, function_name: str) -> list[str]:
    explicit = get(function_props, "loggingConfig.logGroup")
    if explicit:
        return [str(explicit)]
    # Without loggingConfig Lambda writes to /aws/lambda/<function name> and creates it without expiry.
    names = {get(function_props, "name"), get(function_props, "id"), function_name}
    return [f"/aws/lambda/{n}" for n in names if n]


def _log_retention(args: StackValidationArgs, report: ReportViolation) -> None:
    retained: set[str] = set()
    for group in of_type(args.resources, LOG_GROUP):
        if (number(get(group.props, "retentionInDays")) or 0) > 0:
            retained |= {str(v) for v in (get(group.props, "name"), get(group.props, "id")) if v}
    for function in of_type(args.resources, FUNCTION):
        names = _log_group_names(function.props, function.name)
        if not any(name in retained for name in names):
            report(
                f"function '{function.name}' logs to {names[0]}, not a log group of this stack with a "
                "retention; Lambda would create it with logs kept forever",
                function.urn,
            )


configure_log_retention = GraphStackPolicy(
    name="aws-lambda-function-configure-log-retention",
    description="Every Lambda function logs to a log group the stack manages with a retention period.",
    resource_types=[FUNCTION, LOG_GROUP],
    check=_log_retention,
    severity=Severity.MEDIUM,
    remediation_steps="Create the log group with retention_in_days and pass it as logging_config.log_group.",
)


def _concurrency(args: ResourceValidationArgs, report: ReportViolation) -> None:
    reserved = number(get(args.props, "reservedConcurrentExecutions"))
    if reserved == 0:
        report("reserved concurrency 0 throttles every invocation", None)
        return
    if reserved is not None and reserved >= 1:
        return
    if str(tags(args.props).get(CONCURRENCY_REASON_TAG, "")).strip():
        return
    report(
        f"no reserved concurrency and no reason given (tag {CONCURRENCY_REASON_TAG} or a policy exception)",
        None,
    )


configure_reserved_concurrency = TypedResourcePolicy(
    name="aws-lambda-function-configure-reserved-concurrency",
    description="Lambda functions reserve concurrency, or document why they do not.",
    resource_types=[FUNCTION],
    check=_concurrency,
    severity=Severity.MEDIUM,
)

POLICIES = [configure_dead_letter_queue, configure_log_retention, configure_reserved_concurrency]
