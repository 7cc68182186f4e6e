"""ErrorLogAlarms: CloudWatch Logs metric filters with an ERROR pattern -> alarms -> the alert topic (O3).

The platform's Lambdas log through Powertools (JSON ``"level":"ERROR"``) and the runtime
(``[ERROR]``, ``Task timed out``, tracebacks); the EKS control plane's components log in klog's
format, whose error and fatal lines begin with ``E``/``F`` and the date (``E0612 10:01:02.123``).
Each watched log group gets one metric filter counting those lines into ``Kubeboard/LogErrors`` and
one alarm on that metric notifying the topic (on alarm and on recovery). No line in a period is no
error (``notBreaching``); a function that stopped is caught by its own invocation alarms.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args

METRIC_NAMESPACE = "Kubeboard/LogErrors"
# Terms each prefixed with "?" are ORed; matching is case-sensitive and by whole term, so ERROR
# matches Powertools' "level":"ERROR" and the runtime's [ERROR], never "level":"INFO" with "error".
FUNCTION_ERROR_PATTERN = '?ERROR ?"Task timed out" ?Traceback'
# klog: severity letter E (error) or F (fatal), then MMDD. Only the component logs have it: audit
# and authenticator lines are JSON and logfmt and never start so.
CONTROL_PLANE_ERROR_PATTERN = "%^[EF][0-9][0-9][0-9][0-9] %"
_METRIC_NAME = re.compile(r"^[A-Za-z0-9-]{1,255}$")


FUNCTION_THRESHOLD = (1, 100_000)
CONTROL_PLANE_THRESHOLD = (1, 1_000_000)
PERIOD_SECONDS = (60, 86400)


class WatchedLogGroup(TypedDict):
    key: str
    """Short name: the metric's name and the alarm's suffix (``log-report``, ``control-plane``)."""
    log_group_name: pulumi.Input[str]
    """The watched log group."""
    pattern: str
    """The metric filter's pattern (``FUNCTION_ERROR_PATTERN``, ``CONTROL_PLANE_ERROR_PATTERN``)."""
    threshold: int
    """Error lines in one period that raise the alarm (at least 1)."""
    description: str
    """What an error there means, for the alarm's description."""


class LogAlarmsConfig(TypedDict, total=False):
    """What a stack file can say about the error-log alarms (``kubeboard:logAlarms``,
    ``kubeboard:account.logAlarms``); the thresholds go into the watched log groups."""

    function_threshold: int
    """Error lines in one period of a platform Lambda's log group that raise its alarm, 1-100000
    (default 1)."""
    control_plane_threshold: int
    """klog error/fatal lines of the EKS control plane in one period that raise its alarm,
    1-1000000 (default 20)."""
    period_seconds: int
    """The alarms' period, a whole number of minutes, 60-86400 (default 300)."""


class ErrorLogAlarmsArgs(TypedDict):
    name: str
    """Prefix of the alarm names (the platform or account name); required."""
    log_groups: Sequence[WatchedLogGroup]
    """The watched log groups, each key once; required."""
    alert_topic_arn: pulumi.Input[str]
    """The topic the alarms notify; required."""
    period_seconds: NotRequired[int]
    """The alarms' period, a whole number of minutes, 60-86400 (default 300)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every alarm (default none)."""


DEFAULTS: dict[str, Any] = {
    "function_threshold": 1,
    "control_plane_threshold": 20,
    "period_seconds": 300,
    "tags": {},
}


def config_problems(config: LogAlarmsConfig) -> list[str]:
    """The rules of the stack-file values: threshold ranges and the period."""
    merged: dict[str, Any] = {**DEFAULTS, **config}
    found = [
        f"{key}: must be {low}..{high}, got {merged[key]}"
        for key, (low, high) in (
            ("function_threshold", FUNCTION_THRESHOLD),
            ("control_plane_threshold", CONTROL_PLANE_THRESHOLD),
        )
        if not low <= merged[key] <= high
    ]
    period = merged["period_seconds"]
    if not PERIOD_SECONDS[0] <= period <= PERIOD_SECONDS[1] or period % 60:
        found.append(f"period_seconds: must be a multiple of 60 in 60..86400, got {period}")
    return found


def problems(args: ErrorLogAlarmsArgs) -> list[str]:
    """Every reason ErrorLogAlarms could not be built from ``args``, one line per arg."""
    found = config_problems({"period_seconds": args.get("period_seconds", DEFAULTS["period_seconds"])})
    keys = [group["key"] for group in args["log_groups"]]
    for index, group in enumerate(args["log_groups"]):
        key = group["key"]
        if not _METRIC_NAME.match(key):
            found.append(f"log_groups[{index}].key: {key!r} is not a metric name")
        elif key in keys[:index]:
            found.append(f"log_groups[{index}].key: {key!r} is listed twice")
        if group["threshold"] < 1:
            found.append(f"log_groups[{index}].threshold: must be >= 1, got {group['threshold']}")
    return found


def function_log_group(key: str, log_group_name: pulumi.Input[str], threshold: int) -> WatchedLogGroup:
    return {
        "key": key,
        "log_group_name": log_group_name,
        "pattern": FUNCTION_ERROR_PATTERN,
        "threshold": threshold,
        "description": f"The {key} function logged errors (its events are retried, then dead-lettered)",
    }


def control_plane_log_group(log_group_name: pulumi.Input[str], threshold: int) -> WatchedLogGroup:
    return {
        "key": "control-plane",
        "log_group_name": log_group_name,
        "pattern": CONTROL_PLANE_ERROR_PATTERN,
        "threshold": threshold,
        "description": "The EKS control plane (API server, controller manager, scheduler) logged errors",
    }


class ErrorLogAlarms(pulumi.ComponentResource):
    """One metric filter and one alarm per watched log group, all on one topic."""

    alarm_names: pulumi.Output[list[str]]
    """The alarms' names, in the order of ``log_groups``."""

    def __init__(
        self, name: str, args: ErrorLogAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:ErrorLogAlarms", name, None, opts)
        validate_args("ErrorLogAlarms", args, ErrorLogAlarmsArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        period = config["period_seconds"]
        tags = dict(config["tags"])
        topic = config["alert_topic_arn"]
        alarm_names: list[pulumi.Output[str]] = []
        for group in config["log_groups"]:
            key, threshold = group["key"], group["threshold"]
            metric = f"{key}-errors"
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{key}",
                name=f"{config['name']}-{key}-errors",
                log_group_name=group["log_group_name"],
                pattern=group["pattern"],
                metric_transformation={
                    "name": metric,
                    "namespace": METRIC_NAMESPACE,
                    "value": "1",
                    "unit": "Count",
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                name=f"{config['name']}-{key}-error-logs",
                alarm_description=f"{group['description']}: at least {threshold} in {period} s",
                namespace=METRIC_NAMESPACE,
                metric_name=metric,
                statistic="Sum",
                period=period,
                evaluation_periods=1,
                threshold=threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic],
                ok_actions=[topic],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            alarm_names.append(alarm.name)
        self.alarm_names = pulumi.Output.all(*alarm_names)
        self.register_outputs({"alarm_names": self.alarm_names})
