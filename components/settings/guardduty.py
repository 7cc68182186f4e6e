"""`kubeboard:account.guardduty`: GuardDuty as a switch (D8), in the account stack.

The detector is one per account and region, so the account stack owns it. With ``runtimeMonitoring``
and ``manageAgent`` GuardDuty itself installs and updates its agent (the ``aws-guardduty-agent`` EKS
add-on, with its VPC endpoint) on every cluster of the account; findings are routed by EventBridge
to an encrypted SNS topic with the listed e-mail subscriptions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from .base import Model
from .observability import Email


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
        return {"LOW": 1, "MEDIUM": 4, "HIGH": 7, "CRITICAL": 9}[self.value]


class GuardDutySettings(Model):
    enabled: bool = False
    eks_audit_logs: bool = True
    """EKS audit-log monitoring: GuardDuty reads every cluster's audit log (no agent, no log group)."""
    runtime_monitoring: bool = True
    """Runtime monitoring of EKS nodes by GuardDuty's agent."""
    manage_agent: bool = True
    """GuardDuty installs and updates its agent (the EKS add-on) on every cluster of the account."""
    finding_publishing_frequency: PublishingFrequency = PublishingFrequency.FIFTEEN_MINUTES
    minimum_severity: FindingSeverity = FindingSeverity.MEDIUM
    """Findings at or above this band are sent to the topic."""
    alert_emails: list[Email] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.manage_agent and not self.runtime_monitoring:
            raise ValueError("manageAgent: the agent serves runtime monitoring; turn runtimeMonitoring on")
        if self.enabled and not self.alert_emails:
            raise ValueError("alertEmails: findings must reach someone; list at least one address")
        return self
