"""ErrorLogAlarms: CloudWatch Logs metric filters with an ERROR pattern -> alarms -> the alert topic (O3).

The platform's Lambdas log through Powertools (JSON ``"level":"ERROR"``) and the runtime
(``[ERROR]``, ``Task timed out``, tracebacks); the EKS control plane's components log in klog's
format, whose error and fatal lines begin with ``E``/``F`` and the date (``E0612 10:01:02.123``).
Each watched log group gets one metric filter counting those lines into ``Kubeboard/LogErrors`` and
one alarm on that metric notifying the topic (on alarm and on recovery). No line in a period is no
error (``notBreaching``); a function that stopped is caught by its own invocation alarms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

METRIC_NAMESPACE = "Kubeboard/LogErrors"
# Terms each prefixed with "?" are ORed; matching is case-sensitive and by whole term, so ERROR
# matches Powertools' "level":"ERROR" and the runtime's [ERROR], never "level":"INFO" with "error".
FUNCTION_ERROR_PATTERN = '?ERROR ?"Task timed out" ?Traceback'
# klog: severity letter E (error) or F (fatal), then MMDD. Only the component logs have it: audit
# and authenticator lines are JSON and logfmt and never start so.
CONTROL_PLANE_ERROR_PATTERN = "%^[EF][0-9][0-9][0-9][0-9] %"
_METRIC_NAME = re.compile(r"^[A-Za-z0-9-]{1,255}$")


@dataclass(frozen=True)
class WatchedLogGroup:
    key: str
    """Short name: the metric's name and the alarm's suffix (``log-report``, ``control-plane``)."""
    log_group_name: pulumi.Input[str]
    pattern: str
    threshold: int
    description: str
    """What an error there means, for the alarm's description."""


class ErrorLogAlarmsArgs(TypedDict):
    name: str
    """Prefix of the alarm names (the platform or account name)."""
    log_groups: Sequence[WatchedLogGroup]
    alert_topic_arn: pulumi.Input[str]
    period_seconds: NotRequired[int]
    tags: NotRequired[Mapping[str, str]]


def function_log_group(key: str, log_group_name: pulumi.Input[str], threshold: int) -> WatchedLogGroup:
    return WatchedLogGroup(
        key=key,
        log_group_name=log_group_name,
        pattern=FUNCTION_ERROR_PATTERN,
        threshold=threshold,
        description=f"The {key} function logged errors (its events are retried, then dead-lettered)",
    )


def control_plane_log_group(log_group_name: pulumi.Input[str], threshold: int) -> WatchedLogGroup:
    return WatchedLogGroup(
        key="control-plane",
        log_group_name=log_group_name,
        pattern=CONTROL_PLANE_ERROR_PATTERN,
        threshold=threshold,
        description="The EKS control plane (API server, controller manager, scheduler) logged errors",
    )


class ErrorLogAlarms(pulumi.ComponentResource):
    """One metric filter and one alarm per watched log group, all on one topic."""

    metric_filters: dict[str, aws.cloudwatch.LogMetricFilter]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: ErrorLogAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:ErrorLogAlarms", name, None, opts)
        keys = [group.key for group in args["log_groups"]]
        problems = [
            f"log group key {key!r} is not a metric name" for key in keys if not _METRIC_NAME.match(key)
        ]
        problems += [f"log group key {key!r} is listed twice" for key in set(keys) if keys.count(key) > 1]
        problems += [f"{g.key}: threshold must be >= 1" for g in args["log_groups"] if g.threshold < 1]
        if problems:
            raise ValueError("ErrorLogAlarms: " + "; ".join(problems))
        period = args.get("period_seconds", 300)
        tags = dict(args.get("tags") or {})
        topic = args["alert_topic_arn"]
        self.metric_filters, self.alarms = {}, {}
        for group in args["log_groups"]:
            metric = f"{group.key}-errors"
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{name}-{group.key}",
                name=f"{args['name']}-{group.key}-errors",
                log_group_name=group.log_group_name,
                pattern=group.pattern,
                metric_transformation={
                    "name": metric,
                    "namespace": METRIC_NAMESPACE,
                    "value": "1",
                    "unit": "Count",
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.metric_filters[group.key] = metric_filter
            self.alarms[group.key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{group.key}",
                name=f"{args['name']}-{group.key}-error-logs",
                alarm_description=f"{group.description}: at least {group.threshold} in {period} s",
                namespace=METRIC_NAMESPACE,
                metric_name=metric,
                statistic="Sum",
                period=period,
                evaluation_periods=1,
                threshold=group.threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"alarmNames": [alarm.name for alarm in self.alarms.values()]})
