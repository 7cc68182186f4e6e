"""`kubeboard:account`: what exists once per AWS account and region, owned by the account stack.

The account stack (``Pulumi.shared.yaml``) holds only this section. It creates GitHub's OIDC provider
and the delivery roles, the ECR repositories whose images are promoted from dev to prod, the
registry-wide scanning configuration and the scan-event pipeline. Environment stacks read its
outputs through ``kubeboard:platform.accountStack``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .delivery import DeliverySettings, check_environment, check_repository
from .guardduty import GuardDutySettings
from .image_scan import ImageScanSettings
from .log_alarms import LogAlarmsSettings
from .platform import PrefixName
from .registry import RegistrySettings
from .types import Name

if TYPE_CHECKING:
    from ..account import AccountArgs

AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]


class DeployEnvironment(Model):
    stack: Annotated[str, AfterValidator(check_environment)]
    """The environment stack (``dev``, ``prod``): also the GitHub environment its deploy job runs in."""
    cluster_name: Name
    """That stack's ``platform.name``: the one cluster its cluster-creator role may create."""


class DeploySettings(Model):
    """The roles this repository's own deploy and preview workflows assume (README: bootstrap)."""

    repository: Annotated[str, AfterValidator(check_repository)]
    environments: Annotated[list[DeployEnvironment], Field(min_length=1)]

    @model_validator(mode="after")
    def _one_role_per_stack(self) -> Self:
        stacks = [environment.stack for environment in self.environments]
        for index, stack in enumerate(stacks):
            if stack in stacks[:index]:
                raise ValueError(f"environments[{index}].stack: {stack!r} is listed twice")
        return self


class AccountSection(Model):
    name: PrefixName
    """Prefix of the account-wide names (key alias, delivery roles, scan pipeline), e.g. ``kubeboard``."""
    account_id: AccountId | None = None
    """The 12-digit AWS account. When set, the provider refuses to deploy anywhere else, and the
    offline plan knows which stacks share an account (otherwise each account stack is its own account)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags put on every AWS resource, beside ``Project``, ``Environment: shared`` and ``ManagedBy``."""
    protect: bool = True
    """Protect the repositories, keys and findings bucket every environment relies on."""
    registry: RegistrySettings
    scanning: ImageScanSettings = ImageScanSettings(enabled=False)
    delivery: DeliverySettings = DeliverySettings()
    deploy: DeploySettings | None = None
    """The deploy and preview roles of this repository's workflows; needs ``delivery`` (its OIDC provider)."""
    guardduty: GuardDutySettings = GuardDutySettings()
    """GuardDuty's detector (one per account and region) with EKS audit-log and runtime monitoring."""
    log_alarms: LogAlarmsSettings = LogAlarmsSettings()
    """An ERROR metric filter and alarm on the scan function's log group, notifying its alert topic."""

    @model_validator(mode="after")
    def _log_alarms_watch_the_scan_function(self) -> Self:
        if self.log_alarms.enabled and not self.scanning.enabled:
            raise ValueError(
                "logAlarms.enabled: the account's only function is the scan pipeline; enable scanning"
            )
        return self

    @model_validator(mode="after")
    def _delivery_pushes_to_declared_repositories(self) -> Self:
        self.delivery.check_registry({repository.name for repository in self.registry.repositories})
        return self

    @model_validator(mode="after")
    def _deploy_roles_trust_the_delivery_provider(self) -> Self:
        if self.deploy is not None and not self.delivery.enabled:
            raise ValueError(
                "deploy: the deploy roles trust the account's GitHub OIDC provider; enable delivery"
            )
        return self


class AccountSettings(Model):
    """An account stack's settings: its region and the ``kubeboard:account`` section."""

    region: str
    account: AccountSection

    def to_args(self) -> AccountArgs:
        """The ``AccountArgs`` of the ``Account`` component."""
        account = self.account
        registry, scanning, delivery = account.registry, account.scanning, account.delivery
        return {
            "name": account.name,
            "region": self.region,
            "allowed_account_id": account.account_id,
            "tags": dict(account.tags),
            "protect": account.protect,
            "registry": {
                "repositories": [
                    {
                        "name": repository.name,
                        "keep_tagged_images": repository.keep_tagged_images,
                        "untagged_expire_days": repository.untagged_expire_days,
                    }
                    for repository in registry.repositories
                ],
                "scan_type": registry.scan_type.value,
            },
            "scanning": (
                {
                    "alarm_emails": scanning.alarm_emails,
                    "critical_threshold": scanning.critical_threshold,
                    "high_threshold": scanning.high_threshold,
                    "log_retention_days": scanning.log_retention_days,
                    "report_retention_days": scanning.report_retention_days,
                    "reserved_concurrency": scanning.reserved_concurrency,
                    "max_retry_attempts": scanning.max_retry_attempts,
                    "max_event_age_seconds": scanning.max_event_age_seconds,
                    "top_findings": scanning.top_findings,
                }
                if scanning.enabled
                else None
            ),
            "delivery": (
                {
                    "teams": [
                        {
                            "repositories": team.repositories,
                            "ecr_repositories": team.ecr_repositories,
                            "branches": team.branches,
                            "environments": team.environments,
                        }
                        for team in delivery.teams
                    ],
                    "existing_oidc_provider_arn": delivery.existing_oidc_provider_arn,
                    "max_session_hours": delivery.max_session_hours,
                    "workflow_ref": delivery.workflow_ref or "",
                }
                if delivery.enabled
                else None
            ),
            "guardduty": (
                {
                    "alert_emails": list(account.guardduty.alert_emails),
                    "eks_audit_logs": account.guardduty.eks_audit_logs,
                    "runtime_monitoring": account.guardduty.runtime_monitoring,
                    "manage_agent": account.guardduty.manage_agent,
                    "finding_publishing_frequency": account.guardduty.finding_publishing_frequency.value,
                    "minimum_severity": account.guardduty.minimum_severity.floor,
                }
                if account.guardduty.enabled
                else None
            ),
            "log_alarms": (
                {
                    "function_threshold": account.log_alarms.function_threshold,
                    "period_seconds": account.log_alarms.period_seconds,
                }
                if account.log_alarms.enabled
                else None
            ),
            "deploy": (
                {
                    "repository": account.deploy.repository,
                    "environments": [
                        {"stack": environment.stack, "cluster_name": environment.cluster_name}
                        for environment in account.deploy.environments
                    ],
                }
                if account.deploy is not None
                else None
            ),
        }
