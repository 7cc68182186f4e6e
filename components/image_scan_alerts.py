"""ImageScanAlerts: ECR and Inspector scan results -> metrics, alarms, e-mail and reports (K10, D8).

EventBridge sends "ECR Image Scan" and "Inspector2 Scan" events of the managed repositories to the
`scan_findings` Lambda. It reads every page of the image's findings, emits CloudWatch metrics per
repository and severity, stores the findings as JSON in a private bucket and e-mails the alert topic when
CRITICAL/HIGH counts reach the thresholds. CloudWatch alarms on the same metrics notify the same topic.
Failed invocations are retried a bounded number of times and then kept in an encrypted dead-letter queue.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args
from .kms import rotating_key
from .queued_function import (
    FunctionSpec,
    QueuedFunction,
    function_limit_problems,
    health_alarms,
    park_dead_letters,
    queued_function,
    write_own_logs,
)
from .secure_bucket import secure_bucket
from .value_rules import email_problems

FUNCTION_PACKAGE = "scan_findings"
HANDLER = f"{FUNCTION_PACKAGE}.handler.lambda_handler"
REPORT_PREFIX = "scan-findings/"
METRIC_NAME = "ImageFindings"
DEFAULT_NAMESPACE = "Kubeboard/ImageScan"
BASIC_SCAN_EVENT = {"source": "aws.ecr", "detail-type": "ECR Image Scan"}
ENHANCED_SCAN_EVENT = {"source": "aws.inspector2", "detail-type": "Inspector2 Scan"}


class ImageScanConfig(TypedDict, total=False):
    """What a stack file can say about the scan pipeline (``kubeboard:account.scanning``):
    ``ImageScanAlertsArgs`` without the wiring the account supplies."""

    alarm_emails: Sequence[str]
    """Addresses subscribed to the alert topic, at least one (each must confirm the subscription
    e-mail); no default."""
    critical_threshold: int
    """An image with at least this many CRITICAL findings alerts and alarms, 1-100000 (default 1)."""
    high_threshold: int
    """An image with at least this many HIGH findings alerts and alarms, 1-100000 (default 5)."""
    log_retention_days: int
    """Retention of the function's log group (default 30)."""
    report_retention_days: int
    """Days a findings report is kept before it expires, 1-3650 (default 365)."""
    reserved_concurrency: int
    """Upper bound of concurrent invocations, 1-100, so a scan storm cannot starve other functions
    (default 5)."""
    max_retry_attempts: int
    """Retries of a failed asynchronous invocation before the event goes to the DLQ, 0-2 (default 2)."""
    max_event_age_seconds: int
    """Age after which an undelivered event goes to the DLQ, 60-21600 (default 3600)."""
    top_findings: int
    """How many of the most severe findings an alert e-mail lists, 0-50 (default 10)."""


class ImageScanAlertsArgs(TypedDict):
    name: str
    """Name prefix of every resource (the platform name); required."""
    repository_arns: pulumi.Input[Mapping[str, str]]
    """ARN by name of every repository whose scans are watched (``Registry.repository_arns``); required."""
    alarm_emails: Sequence[str]
    """Addresses subscribed to the alert topic, at least one (each must confirm the subscription e-mail);
    required."""
    critical_threshold: NotRequired[int]
    """An image with at least this many CRITICAL findings alerts and alarms, 1-100000 (default 1)."""
    high_threshold: NotRequired[int]
    """An image with at least this many HIGH findings alerts and alarms, 1-100000 (default 5)."""
    log_retention_days: NotRequired[int]
    """Retention of the function's log group (default 30)."""
    report_retention_days: NotRequired[int]
    """Days a findings report is kept before it expires, 1-3650 (default 365)."""
    reserved_concurrency: NotRequired[int]
    """Upper bound of concurrent invocations, 1-100, so a scan storm cannot starve other functions
    (default 5)."""
    max_retry_attempts: NotRequired[int]
    """Retries of a failed asynchronous invocation before the event goes to the DLQ, 0-2 (default 2)."""
    max_event_age_seconds: NotRequired[int]
    """Age after which an undelivered event goes to the DLQ, 60-21600 (default 3600)."""
    top_findings: NotRequired[int]
    """How many of the most severe findings an alert e-mail lists, 0-50 (default 10)."""
    metrics_namespace: NotRequired[str]
    """CloudWatch namespace of the metrics (default ``Kubeboard/ImageScan``)."""
    code: NotRequired[pulumi.Archive]
    """The function's archive; defaults to ``lambdas/scan_findings`` built with its pinned requirements."""
    protect: NotRequired[bool]
    """Protect the findings bucket and key from deletion and refuse to empty the bucket (default off)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource (default none)."""


DEFAULTS: dict[str, Any] = {
    "critical_threshold": 1,
    "high_threshold": 5,
    "log_retention_days": 30,
    "report_retention_days": 365,
    "reserved_concurrency": 5,
    "max_retry_attempts": 2,
    "max_event_age_seconds": 3600,
    "top_findings": 10,
    "metrics_namespace": DEFAULT_NAMESPACE,
    "code": None,
    "protect": False,
    "tags": {},
}
_RANGES = {
    "critical_threshold": (1, 100_000),
    "high_threshold": (1, 100_000),
    "report_retention_days": (1, 3650),
    "top_findings": (0, 50),
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ImageScanAlerts could not be built from ``args``, one line per arg."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = email_problems("alarm_emails", args.get("alarm_emails") or ())
    found += function_limit_problems(config)
    found += [
        f"{key}: must be {low}..{high}, got {config[key]}"
        for key, (low, high) in _RANGES.items()
        if not low <= config[key] <= high
    ]
    return found


# --- policy documents (plain data, so tests and the offline plan can read them) ------------------------


def function_policy(
    *,
    repository_arns: Sequence[str],
    bucket_arn: str,
    topic_arn: str,
    key_arn: str,
    queue_arn: str,
    log_group_arn: str,
) -> dict[str, Any]:
    """What the function may do: read its repositories' findings, write its prefix, publish its topic."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            write_own_logs(log_group_arn),
            {
                "Sid": "ReadScanFindingsOfManagedRepositories",
                "Effect": "Allow",
                "Action": "ecr:DescribeImageScanFindings",
                "Resource": sorted(repository_arns),
            },
            {
                # ECR serves enhanced findings from Inspector on the caller's behalf; the action has no
                # resource-level permissions, so it cannot be narrower than "*".
                "Sid": "ReadEnhancedFindingsThroughEcr",
                "Effect": "Allow",
                "Action": "inspector2:ListFindings",
                "Resource": "*",
            },
            {
                "Sid": "ReadWriteReportsUnderOwnPrefix",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": f"{bucket_arn}/{REPORT_PREFIX}*",
            },
            {
                # Lets HeadObject answer 404 (not 403) for a report not written yet.
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{REPORT_PREFIX}*"]}},
            },
            {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {
                "Sid": "UseTheAlertsKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
            },
            park_dead_letters(queue_arn),
        ],
    }


def dead_letter_queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> dict[str, Any]:
    """EventBridge may park events it could not deliver, only from this component's rules."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def basic_scan_pattern(repository_names: Sequence[str]) -> dict[str, Any]:
    """ECR basic scanning names the repository by its short name."""
    return {
        "source": [BASIC_SCAN_EVENT["source"]],
        "detail-type": [BASIC_SCAN_EVENT["detail-type"]],
        "detail": {"repository-name": sorted(repository_names)},
    }


def enhanced_scan_pattern(repository_arns: Sequence[str]) -> dict[str, Any]:
    """Inspector puts the full repository ARN in detail.repository-name."""
    return {
        "source": [ENHANCED_SCAN_EVENT["source"]],
        "detail-type": [ENHANCED_SCAN_EVENT["detail-type"]],
        "detail": {"repository-name": sorted(repository_arns)},
    }


class ImageScanAlerts(pulumi.ComponentResource):
    """The scan-findings function, its event rules, alert topic, findings bucket and alarms."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    """The alert topic: the function's notifications and the alarms' state changes."""
    findings_bucket_name: pulumi.Output[str]
    """Bucket of the JSON reports, one per image at ``scan-findings/<repository>/<digest>.json``."""
    dead_letter_queue_url: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]
    findings_key_arn: pulumi.Output[str]
    """The key the findings (and the topic) are encrypted with: readers decrypt through S3 with it."""
    log_group_name: pulumi.Output[str]
    """The function's log group (its error lines are watched by the account's log alarms)."""

    def __init__(
        self, name: str, args: ImageScanAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:ImageScanAlerts", name, None, opts)
        validate_args("ImageScanAlerts", args, ImageScanAlertsArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        prefix = config["name"]
        tags = dict(config["tags"])
        protect = config["protect"]
        namespace = config["metrics_namespace"]
        critical, high = config["critical_threshold"], config["high_threshold"]
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        repositories = pulumi.Output.from_input(config["repository_arns"])

        key = rotating_key(
            f"{name}-key",
            alias=f"{prefix}-image-scan",
            description=f"Encrypts the {prefix} image-scan findings, alerts and dead letters",
            allow_cloudwatch_alarms=True,
            protect=protect,
            tags=tags,
            opts=child,
        )

        topic = aws.sns.Topic(
            f"{name}-alerts",
            name=f"{prefix}-image-scan-alerts",
            kms_master_key_id=key.arn,
            tags=tags,
            opts=child,
        )
        for index, email in enumerate(config["alarm_emails"]):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email, opts=child
            )

        bucket = self._findings_bucket(
            name,
            prefix=prefix,
            key=key,
            retention_days=config["report_retention_days"],
            protect=protect,
            tags=tags,
        )

        def role_policy(
            queue_arn: pulumi.Output[str], log_group_arn: pulumi.Output[str]
        ) -> pulumi.Output[str]:
            return pulumi.Output.all(
                repositories, bucket.arn, topic.arn, key.arn, queue_arn, log_group_arn
            ).apply(
                lambda v: json.dumps(
                    function_policy(
                        repository_arns=list(v[0].values()),
                        bucket_arn=v[1],
                        topic_arn=v[2],
                        key_arn=v[3],
                        queue_arn=v[4],
                        log_group_arn=v[5],
                    )
                )
            )

        queued = queued_function(
            name,
            FunctionSpec(
                function_name=f"{prefix}-scan-findings",
                description="ECR/Inspector scan findings -> metrics, S3 reports and alerts",
                role_description="scan_findings Lambda: reads scan findings, writes reports, publishes alerts",
                package=FUNCTION_PACKAGE,
                handler=HANDLER,
                code=config["code"],
                memory_mb=512,
                timeout_seconds=120,
                reserved_concurrency=config["reserved_concurrency"],
                log_retention_days=config["log_retention_days"],
                max_retry_attempts=config["max_retry_attempts"],
                max_event_age_seconds=config["max_event_age_seconds"],
                environment={
                    "FINDINGS_BUCKET": bucket.bucket,
                    "FINDINGS_PREFIX": REPORT_PREFIX,
                    "ALERT_TOPIC_ARN": topic.arn,
                    "CRITICAL_THRESHOLD": str(critical),
                    "HIGH_THRESHOLD": str(high),
                    "MANAGED_REPOSITORIES": repositories.apply(lambda r: ",".join(sorted(r))),
                    "TOP_FINDINGS_IN_NOTIFICATION": str(config["top_findings"]),
                    "POWERTOOLS_METRICS_NAMESPACE": namespace,
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
                role_policy=role_policy,
            ),
            parent=self,
            account_id=account_id,
            tags=tags,
        )
        function, dead_letters = queued.function, queued.dead_letters

        rules = self._rules(
            name,
            prefix=prefix,
            repositories=repositories,
            function=function,
            dead_letters=dead_letters,
            max_event_age_seconds=config["max_event_age_seconds"],
            tags=tags,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq",
            queue_url=dead_letters.url,
            policy=pulumi.Output.all(dead_letters.arn, *[rule.arn for rule in rules]).apply(
                lambda v: json.dumps(dead_letter_queue_policy(v[0], v[1:]))
            ),
            opts=child,
        )

        alarms = self._alarms(
            name,
            prefix=prefix,
            namespace=namespace,
            critical=critical,
            high=high,
            topic=topic,
            queued=queued,
            tags=tags,
        )

        self.function_name = function.name
        self.function_arn = function.arn
        self.topic_arn = topic.arn
        self.findings_bucket_name = bucket.bucket
        self.dead_letter_queue_url = dead_letters.url
        self.alarm_names = pulumi.Output.all(*[alarm.name for alarm in alarms]).apply(list)
        self.findings_key_arn = key.arn
        self.log_group_name = queued.log_group.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "topic_arn": self.topic_arn,
                "findings_bucket_name": self.findings_bucket_name,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "alarm_names": self.alarm_names,
                "findings_key_arn": self.findings_key_arn,
                "log_group_name": self.log_group_name,
            }
        )

    def _findings_bucket(
        self,
        name: str,
        *,
        prefix: str,
        key: aws.kms.Key,
        retention_days: int,
        protect: bool,
        tags: dict[str, str],
    ) -> aws.s3.Bucket:
        """Private, versioned, KMS-encrypted, TLS-only; reports expire after `retention_days`."""
        return secure_bucket(
            f"{name}-findings",
            parent=self,
            bucket_prefix=f"{prefix[:30]}-scan-findings-",
            kms_key_arn=key.arn,
            lifecycle_rules=[
                {
                    "id": "expire-reports",
                    "status": "Enabled",
                    "filter": {"prefix": REPORT_PREFIX},
                    "expiration": {"days": retention_days},
                    # Each rescan overwrites a report; keep the previous versions a month.
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            protect=protect,
            tags=tags,
        ).bucket

    def _rules(
        self,
        name: str,
        *,
        prefix: str,
        repositories: pulumi.Output[Mapping[str, str]],
        function: aws.lambda_.Function,
        dead_letters: aws.sqs.Queue,
        max_event_age_seconds: int,
        tags: dict[str, str],
    ) -> list[aws.cloudwatch.EventRule]:
        """One rule per event shape, each matching only the managed repositories."""
        patterns = {
            "basic": (
                "ECR basic scan completed or failed",
                repositories.apply(lambda r: json.dumps(basic_scan_pattern(list(r)))),
            ),
            "enhanced": (
                "Inspector enhanced scan of an image completed",
                repositories.apply(lambda r: json.dumps(enhanced_scan_pattern(list(r.values())))),
            ),
        }
        rules = []
        for kind, (description, pattern) in patterns.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}-scan",
                name=f"{prefix}-{kind}-image-scan",
                description=description,
                event_pattern=pattern,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            child = pulumi.ResourceOptions(parent=rule)
            permission = aws.lambda_.Permission(
                f"{name}-{kind}-scan",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-scan",
                rule=rule.name,
                arn=function.arn,
                retry_policy={
                    "maximum_event_age_in_seconds": max_event_age_seconds,
                    "maximum_retry_attempts": 10,
                },
                dead_letter_config={"arn": dead_letters.arn},
                opts=pulumi.ResourceOptions(parent=rule, depends_on=[permission]),
            )
            rules.append(rule)
        return rules

    def _alarms(
        self,
        name: str,
        *,
        prefix: str,
        namespace: str,
        critical: int,
        high: int,
        topic: aws.sns.Topic,
        queued: QueuedFunction,
        tags: dict[str, str],
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """CRITICAL/HIGH findings across repositories, plus the function's own health."""
        child = pulumi.ResourceOptions(parent=self)
        common: dict[str, Any] = {
            "period": 300,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            # No scan in a period means nothing new to report, not an unknown state.
            "treat_missing_data": "notBreaching",
            "alarm_actions": [topic.arn],
            "ok_actions": [topic.arn],
            "tags": tags,
            "opts": child,
        }
        alarms = [
            aws.cloudwatch.MetricAlarm(
                f"{name}-{severity.lower()}",
                name=f"{prefix}-image-scan-{severity.lower()}",
                alarm_description=f"An image scan found at least {threshold} {severity} vulnerabilities",
                namespace=namespace,
                metric_name=METRIC_NAME,
                dimensions={"Severity": severity},
                statistic="Maximum",
                threshold=threshold,
                **common,
            )
            for severity, threshold in (("CRITICAL", critical), ("HIGH", high))
        ]
        alarms += health_alarms(
            name,
            queued,
            alarm_prefix=f"{prefix}-image-scan",
            what="scan events",
            topic_arn=topic.arn,
            parent=self,
            tags=tags,
        )
        return alarms
