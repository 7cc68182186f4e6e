"""GuardDuty: the account's threat detection as a switch (D8), owned by the account stack.

The detector is one per account and region. Features: EKS audit-log monitoring (GuardDuty reads
every cluster's audit log itself) and runtime monitoring, whose agent GuardDuty installs and keeps
current on every EKS cluster of the account as the ``aws-guardduty-agent`` managed add-on (with its
VPC endpoint) when ``manage_agent`` is on. Findings at or above a severity are routed by an
EventBridge rule to an SNS topic encrypted with its own key, subscribed by e-mail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .kms import account_key_policy

FINDING_EVENT = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding"}
EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
RUNTIME_MONITORING = "RUNTIME_MONITORING"
EKS_ADDON_MANAGEMENT = "EKS_ADDON_MANAGEMENT"


class GuardDutyArgs(TypedDict):
    name: str
    """Prefix of the topic, key alias and rule names (the account name)."""
    alert_emails: Sequence[str]
    eks_audit_logs: NotRequired[bool]
    runtime_monitoring: NotRequired[bool]
    manage_agent: NotRequired[bool]
    finding_publishing_frequency: NotRequired[str]
    minimum_severity: NotRequired[int]
    """GuardDuty severity (1-10) from which findings are sent: 4 is medium, 7 high."""
    tags: NotRequired[Mapping[str, str]]


def finding_pattern(minimum_severity: int) -> dict[str, Any]:
    return {
        "source": [FINDING_EVENT["source"]],
        "detail-type": [FINDING_EVENT["detail-type"]],
        "detail": {"severity": [{"numeric": [">=", minimum_severity]}]},
    }


def events_key_statement(account_id: str) -> dict[str, Any]:
    """EventBridge rules of this account may publish to the topic encrypted with the key."""
    return {
        "Sid": "EventBridgePublishesToEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def topic_policy(topic_arn: str, rule_arn: str) -> dict[str, Any]:
    """Only the findings rule publishes (EventBridge, pinned by the rule's ARN)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GuardDutyFindingsRule",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }


def guardduty_problems(args: GuardDutyArgs) -> list[str]:
    problems = []
    if not args["alert_emails"]:
        problems.append("alert_emails: list at least one address")
    if args.get("manage_agent", True) and not args.get("runtime_monitoring", True):
        problems.append("manage_agent needs runtime_monitoring")
    if not 1 <= args.get("minimum_severity", 4) <= 10:
        problems.append("minimum_severity must be 1..10")
    return problems


class GuardDuty(pulumi.ComponentResource):
    detector_id: pulumi.Output[str]
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GuardDutyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:GuardDuty", name, None, opts)
        problems = guardduty_problems(args)
        if problems:
            raise ValueError("GuardDuty: " + "; ".join(problems))
        prefix, tags = args["name"], dict(args.get("tags") or {})
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        detector = aws.guardduty.Detector(
            f"{name}-detector",
            enable=True,
            finding_publishing_frequency=args.get("finding_publishing_frequency", "FIFTEEN_MINUTES"),
            tags=tags,
            opts=child,
        )
        if args.get("eks_audit_logs", True):
            aws.guardduty.DetectorFeature(
                f"{name}-eks-audit-logs",
                detector_id=detector.id,
                name=EKS_AUDIT_LOGS,
                status="ENABLED",
                opts=pulumi.ResourceOptions(parent=detector),
            )
        if args.get("runtime_monitoring", True):
            aws.guardduty.DetectorFeature(
                f"{name}-runtime-monitoring",
                detector_id=detector.id,
                name=RUNTIME_MONITORING,
                status="ENABLED",
                additional_configurations=[
                    {
                        "name": EKS_ADDON_MANAGEMENT,
                        "status": "ENABLED" if args.get("manage_agent", True) else "DISABLED",
                    }
                ],
                opts=pulumi.ResourceOptions(parent=detector),
            )

        key = aws.kms.Key(
            f"{name}-findings-key",
            description=f"Encrypts the {prefix} GuardDuty findings topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account_id, partition).apply(
                lambda v: json.dumps(account_key_policy(v[0], v[1], [events_key_statement(v[0])]))
            ),
            tags=tags,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-findings-key",
            name=f"alias/{prefix}-guardduty-findings",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        topic = aws.sns.Topic(
            f"{name}-findings",
            name=f"{prefix}-guardduty-findings",
            kms_master_key_id=key.arn,
            tags=tags,
            opts=child,
        )
        for index, email in enumerate(args["alert_emails"]):
            aws.sns.TopicSubscription(
                f"{name}-findings-email-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=topic),
            )
        rule = aws.cloudwatch.EventRule(
            f"{name}-findings",
            name=f"{prefix}-guardduty-findings",
            description="GuardDuty findings at or above the alerting severity",
            event_pattern=json.dumps(finding_pattern(args.get("minimum_severity", 4))),
            tags=tags,
            opts=child,
        )
        policy = aws.sns.TopicPolicy(
            f"{name}-findings",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, rule.arn).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1]))
            ),
            opts=pulumi.ResourceOptions(parent=topic),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-findings",
            rule=rule.name,
            arn=topic.arn,
            retry_policy={"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185},
            opts=pulumi.ResourceOptions(parent=rule, depends_on=[policy]),
        )
        self.detector_id = detector.id
        self.topic_arn = topic.arn
        self.register_outputs({"detectorId": self.detector_id, "topicArn": self.topic_arn})
