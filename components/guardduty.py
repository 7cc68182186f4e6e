"""GuardDuty: the account's threat detection as a switch (D8), owned by the account stack.

The detector is one per account and region. Features: EKS audit-log monitoring (GuardDuty reads
every cluster's audit log itself) and runtime monitoring, whose agent GuardDuty installs and keeps
current on every EKS cluster of the account as the ``aws-guardduty-agent`` managed add-on (with its
VPC endpoint) when ``manage_agent`` is on. Findings at or above a severity are routed by an
EventBridge rule to an SNS topic encrypted with its own key, subscribed by e-mail.
"""

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args
from .kms import account_key_policy
from .value_rules import email_problems

FINDING_EVENT = {"source": "aws.guardduty", "detail-type": "GuardDuty Finding"}
EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
RUNTIME_MONITORING = "RUNTIME_MONITORING"
EKS_ADDON_MANAGEMENT = "EKS_ADDON_MANAGEMENT"


class PublishingFrequency(StrEnum):
    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    ONE_HOUR = "ONE_HOUR"
    SIX_HOURS = "SIX_HOURS"


class FindingSeverity(StrEnum):
    """GuardDuty's bands: low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0-10.0."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def floor(self) -> int:
        """The lowest severity score of the band (what the findings rule compares with)."""
        return {"LOW": 1, "MEDIUM": 4, "HIGH": 7, "CRITICAL": 9}[self.value]


class GuardDutyConfig(TypedDict, total=False):
    """What a stack file can say about GuardDuty (``kubeboard:account.guardduty``): ``GuardDutyArgs``
    without the name the account supplies."""

    alert_emails: Sequence[str]
    """Addresses subscribed to the findings topic; at least one (no default)."""
    eks_audit_logs: bool
    """EKS audit-log monitoring: GuardDuty reads every cluster's audit log (default on)."""
    runtime_monitoring: bool
    """Runtime monitoring of EKS nodes by GuardDuty's agent (default on)."""
    manage_agent: bool
    """GuardDuty installs and updates its agent (the EKS add-on) on every cluster (default on; needs
    ``runtime_monitoring``)."""
    finding_publishing_frequency: PublishingFrequency
    """How often updated findings are published (default ``FIFTEEN_MINUTES``)."""
    minimum_severity: int
    """GuardDuty severity (1-10) from which findings are sent: 4 is medium, 7 high (default 4)."""


class GuardDutyArgs(TypedDict):
    name: str
    """Prefix of the topic, key alias and rule names (the account name); required."""
    alert_emails: Sequence[str]
    """Addresses subscribed to the findings topic, at least one; required."""
    eks_audit_logs: NotRequired[bool]
    """EKS audit-log monitoring: GuardDuty reads every cluster's audit log (default on)."""
    runtime_monitoring: NotRequired[bool]
    """Runtime monitoring of EKS nodes by GuardDuty's agent (default on)."""
    manage_agent: NotRequired[bool]
    """GuardDuty installs and updates its agent (the EKS add-on) on every cluster (default on; needs
    ``runtime_monitoring``)."""
    finding_publishing_frequency: NotRequired[PublishingFrequency]
    """How often updated findings are published (default ``FIFTEEN_MINUTES``)."""
    minimum_severity: NotRequired[int]
    """GuardDuty severity (1-10) from which findings are sent: 4 is medium, 7 high (default 4)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource (default none)."""


DEFAULTS: dict[str, Any] = {
    "eks_audit_logs": True,
    "runtime_monitoring": True,
    "manage_agent": True,
    "finding_publishing_frequency": PublishingFrequency.FIFTEEN_MINUTES,
    "minimum_severity": FindingSeverity.MEDIUM.floor,
    "tags": {},
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason GuardDuty could not be built from ``args``, one line per arg."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = email_problems("alert_emails", args.get("alert_emails") or ())
    if config["manage_agent"] and not config["runtime_monitoring"]:
        found.append("manage_agent: the agent serves runtime monitoring; turn runtime_monitoring on")
    if config["finding_publishing_frequency"] not in set(PublishingFrequency):
        found.append(
            f"finding_publishing_frequency: {config['finding_publishing_frequency']!r} is not one of "
            f"{', '.join(PublishingFrequency)}"
        )
    if not 1 <= config["minimum_severity"] <= 10:
        found.append(f"minimum_severity: must be 1..10, got {config['minimum_severity']}")
    return found


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


class GuardDuty(pulumi.ComponentResource):
    """The account's detector, its EKS features, and findings routed to an encrypted, e-mailed topic."""

    detector_id: pulumi.Output[str]
    """The detector (one per account and region)."""
    topic_arn: pulumi.Output[str]
    """The findings topic."""

    def __init__(self, name: str, args: GuardDutyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:GuardDuty", name, None, opts)
        validate_args("GuardDuty", args, GuardDutyArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        prefix, tags = config["name"], dict(config["tags"])
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        detector = aws.guardduty.Detector(
            f"{name}-detector",
            enable=True,
            finding_publishing_frequency=str(config["finding_publishing_frequency"]),
            tags=tags,
            opts=child,
        )
        if config["eks_audit_logs"]:
            aws.guardduty.DetectorFeature(
                f"{name}-eks-audit-logs",
                detector_id=detector.id,
                name=EKS_AUDIT_LOGS,
                status="ENABLED",
                opts=pulumi.ResourceOptions(parent=detector),
            )
        if config["runtime_monitoring"]:
            aws.guardduty.DetectorFeature(
                f"{name}-runtime-monitoring",
                detector_id=detector.id,
                name=RUNTIME_MONITORING,
                status="ENABLED",
                additional_configurations=[
                    {
                        "name": EKS_ADDON_MANAGEMENT,
                        "status": "ENABLED" if config["manage_agent"] else "DISABLED",
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
        for index, email in enumerate(config["alert_emails"]):
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
            event_pattern=json.dumps(finding_pattern(config["minimum_severity"])),
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
        self.register_outputs({"detector_id": self.detector_id, "topic_arn": self.topic_arn})
