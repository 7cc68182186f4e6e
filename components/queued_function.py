"""An asynchronously invoked Lambda function with its role, log group, retries and dead-letter queue.

The platform's functions (image-scan alerts, error-log reports) differ in code, permissions and
environment; how they are run, retried, logged and parked on failure is the same.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .lambda_package import ARCHITECTURE, RUNTIME, lambda_archive

DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
"""SQS's maximum: two weeks to notice a parked event and redrive it."""


def lambda_trust_policy(account_id: str) -> dict[str, Any]:
    """Only Lambda, acting for this account, may assume the function's role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


# What callers of queued_function may set (key -> (low, high)): Lambda's own bounds, except
# reserved concurrency, held to 100 so the account (1,000 by default, of which 100 stay unreserved)
# keeps room for every other function when a burst of events arrives.
FUNCTION_LIMITS: dict[str, tuple[int, int]] = {
    "reserved_concurrency": (1, 100),
    "max_retry_attempts": (0, 2),
    "max_event_age_seconds": (60, 21600),
    "memory_mb": (128, 10240),
}


def function_limit_problems(args: Mapping[str, Any]) -> list[str]:
    """One message per Lambda setting in ``args`` outside what Lambda accepts (absent keys use
    in-range defaults)."""
    return [
        f"{key}: must be {low}..{high}, got {args[key]}"
        for key, (low, high) in FUNCTION_LIMITS.items()
        if key in args and not low <= args[key] <= high
    ]


def write_own_logs(log_group_arn: str) -> dict[str, Any]:
    """Role statement: the function writes to its own log group only."""
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{log_group_arn}:*",
    }


def park_dead_letters(queue_arn: str) -> dict[str, Any]:
    """Role statement: Lambda sends events that failed every retry to the function's queue."""
    return {"Sid": "DeadLetter", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between the platform's functions."""

    function_name: str
    description: str
    role_description: str
    package: str
    """Folder under ``lambdas/`` (code and ``requirements.lock``), see :mod:`.lambda_package`."""
    handler: str
    memory_mb: int
    timeout_seconds: int
    environment: Mapping[str, pulumi.Input[str]]
    role_policy: Callable[[pulumi.Output[str], pulumi.Output[str]], pulumi.Input[str]]
    """(dead-letter queue ARN, log group ARN) -> the role's inline policy JSON."""
    code: pulumi.Archive | None = None
    """Prebuilt code; by default the package is built from the repository."""
    reserved_concurrency: int = 5
    log_retention_days: int = 30
    max_retry_attempts: int = 2
    max_event_age_seconds: int = 3600


@dataclass(frozen=True)
class QueuedFunction:
    function: aws.lambda_.Function
    role: aws.iam.Role
    dead_letters: aws.sqs.Queue
    log_group: aws.cloudwatch.LogGroup


def queued_function(
    name: str,
    spec: FunctionSpec,
    *,
    parent: pulumi.Resource,
    account_id: pulumi.Input[str],
    tags: Mapping[str, str],
) -> QueuedFunction:
    """The function, retried ``max_retry_attempts`` times, then parked in an encrypted queue."""
    child = pulumi.ResourceOptions(parent=parent)
    tags = dict(tags)
    # SSE-SQS: encrypted at rest, and both Lambda and EventBridge can deliver to it without key grants.
    dead_letters = aws.sqs.Queue(
        f"{name}-dlq",
        name=f"{spec.function_name}-dlq",
        sqs_managed_sse_enabled=True,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        tags=tags,
        opts=child,
    )
    # Created before the function so retention applies from the first line (Lambda would make one
    # that never expires).
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/lambda/{spec.function_name}",
        retention_in_days=spec.log_retention_days,
        tags=tags,
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-function",
        description=spec.role_description,
        assume_role_policy=pulumi.Output.from_input(account_id).apply(
            lambda account: json.dumps(lambda_trust_policy(account))
        ),
        tags=tags,
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-function",
        role=role.id,
        policy=spec.role_policy(dead_letters.arn, log_group.arn),
        opts=child,
    )
    function = aws.lambda_.Function(
        f"{name}-function",
        name=spec.function_name,
        description=spec.description,
        runtime=RUNTIME,
        architectures=[ARCHITECTURE],
        handler=spec.handler,
        code=spec.code or lambda_archive(spec.package),
        role=role.arn,
        memory_size=spec.memory_mb,
        timeout=spec.timeout_seconds,
        reserved_concurrent_executions=spec.reserved_concurrency,
        dead_letter_config={"target_arn": dead_letters.arn},
        logging_config={"log_format": "Text", "log_group": log_group.name},
        environment={"variables": dict(spec.environment)},
        tags=tags,
        # The role's permissions must exist before the first event arrives.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role_policy, log_group]),
    )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{name}-async",
        function_name=function.name,
        maximum_retry_attempts=spec.max_retry_attempts,
        maximum_event_age_in_seconds=spec.max_event_age_seconds,
        opts=child,
    )
    return QueuedFunction(function=function, role=role, dead_letters=dead_letters, log_group=log_group)


def health_alarms(
    name: str,
    queued: QueuedFunction,
    *,
    alarm_prefix: str,
    what: str,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    tags: Mapping[str, str],
) -> list[aws.cloudwatch.MetricAlarm]:
    """Alarms when the function fails and when events wait in its dead-letter queue.

    ``what`` names the function's events in the alarm descriptions ("scan events", "exports").
    """
    common: dict[str, Any] = {
        "period": 300,
        "evaluation_periods": 1,
        "threshold": 1,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        # No invocation in a period is no failure.
        "treat_missing_data": "notBreaching",
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "tags": dict(tags),
        "opts": pulumi.ResourceOptions(parent=parent),
    }
    return [
        aws.cloudwatch.MetricAlarm(
            f"{name}-function-errors",
            name=f"{alarm_prefix}-function-errors",
            alarm_description=f"The function failed on {what}; they are retried, then dead-lettered",
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": queued.function.name},
            statistic="Sum",
            **common,
        ),
        aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters",
            name=f"{alarm_prefix}-dead-letters",
            alarm_description=f"{what.capitalize()} the function could not process wait in its dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queued.dead_letters.name},
            statistic="Maximum",
            **common,
        ),
    ]
