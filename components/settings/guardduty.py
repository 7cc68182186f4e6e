"""`kubeboard:account.guardduty`: GuardDuty as a switch (D8), in the account stack.

The detector is one per account and region, so the account stack owns it. With ``runtimeMonitoring``
and ``manageAgent`` GuardDuty itself installs and updates its agent (the ``aws-guardduty-agent`` EKS
add-on, with its VPC endpoint) on every cluster of the account; findings are routed by EventBridge
to an encrypted SNS topic with the listed e-mail subscriptions. The rules are the component's
(components/guardduty.py); this section only reads the stack file.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..guardduty import DEFAULTS, FindingSeverity, GuardDutyConfig, PublishingFrequency, problems
from .base import Model, raise_first

__all__ = ["FindingSeverity", "GuardDutySettings", "PublishingFrequency"]


class GuardDutySettings(Model):
    enabled: bool = False
    eks_audit_logs: bool = DEFAULTS["eks_audit_logs"]
    """EKS audit-log monitoring: GuardDuty reads every cluster's audit log (no agent, no log group)."""
    runtime_monitoring: bool = DEFAULTS["runtime_monitoring"]
    """Runtime monitoring of EKS nodes by GuardDuty's agent."""
    manage_agent: bool = DEFAULTS["manage_agent"]
    """GuardDuty installs and updates its agent (the EKS add-on) on every cluster of the account."""
    finding_publishing_frequency: PublishingFrequency = DEFAULTS["finding_publishing_frequency"]
    minimum_severity: FindingSeverity = FindingSeverity.MEDIUM
    """Findings at or above this band are sent to the topic (the component's default, 4, is its floor)."""
    alert_emails: list[str] = Field(default_factory=list)

    def to_config(self) -> GuardDutyConfig:
        """The ``GuardDuty`` args this section maps to (the account adds the name)."""
        return {
            "alert_emails": list(self.alert_emails),
            "eks_audit_logs": self.eks_audit_logs,
            "runtime_monitoring": self.runtime_monitoring,
            "manage_agent": self.manage_agent,
            "finding_publishing_frequency": self.finding_publishing_frequency,
            "minimum_severity": self.minimum_severity.floor,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        # Checked only when on: a disabled section keeps its defaults and no addresses.
        if self.enabled:
            raise_first(problems(self.to_config()))
        return self
