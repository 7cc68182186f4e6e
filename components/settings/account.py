"""`kubeboard:account`: what exists once per AWS account and region, owned by the account stack.

The account stack (``Pulumi.shared.yaml``) holds only this section. It creates GitHub's OIDC provider
and the delivery roles, the ECR repositories whose images are promoted from dev to prod, the
registry-wide scanning configuration and the scan-event pipeline. Environment stacks read its
outputs through ``kubeboard:platform.accountStack``.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from ..account import DEFAULTS, AccountArgs, problems
from ..args import settings_key
from ..deploy_roles import DeployConfig
from .base import Model
from .delivery import DeliverySettings
from .guardduty import GuardDutySettings
from .image_scan import ImageScanSettings
from .log_alarms import LogAlarmsSettings
from .platform import PrefixName
from .registry import RegistrySettings
from .types import Name

AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]


class DeployEnvironment(Model):
    stack: str
    """The environment stack (``dev``, ``prod``): also the GitHub environment its deploy job runs in."""
    cluster_name: Name
    """That stack's ``platform.name``: the one cluster its cluster-creator role may create."""


class DeploySettings(Model):
    """The roles this repository's own deploy and preview workflows assume (README: bootstrap)."""

    repository: str
    environments: list[DeployEnvironment]

    def to_config(self) -> DeployConfig:
        return {
            "repository": self.repository,
            "environments": [
                {"stack": environment.stack, "cluster_name": environment.cluster_name}
                for environment in self.environments
            ],
        }


class AccountSection(Model):
    name: PrefixName
    """Prefix of the account-wide names (key alias, delivery roles, scan pipeline), e.g. ``kubeboard``."""
    account_id: AccountId | None = None
    """The 12-digit AWS account. When set, the provider refuses to deploy anywhere else, and the
    offline plan knows which stacks share an account (otherwise each account stack is its own account)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags put on every AWS resource, beside ``Project``, ``Environment: shared`` and ``ManagedBy``."""
    protect: bool = DEFAULTS["protect"]
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


class AccountSettings(Model):
    """An account stack's settings: its region and the ``kubeboard:account`` section."""

    region: str
    account: AccountSection

    def to_args(self) -> AccountArgs:
        """The ``AccountArgs`` of the ``Account`` component."""
        account = self.account
        return {
            "name": account.name,
            "region": self.region,
            "allowed_account_id": account.account_id,
            "tags": dict(account.tags),
            "protect": account.protect,
            "registry": {
                "repositories": [repository.to_args() for repository in account.registry.repositories],
                "scan_type": account.registry.scan_type,
            },
            "scanning": account.scanning.to_config() if account.scanning.enabled else None,
            "delivery": account.delivery.to_args() if account.delivery.enabled else None,
            "guardduty": account.guardduty.to_config() if account.guardduty.enabled else None,
            "log_alarms": (
                {
                    "function_threshold": account.log_alarms.function_threshold,
                    "period_seconds": account.log_alarms.period_seconds,
                }
                if account.log_alarms.enabled
                else None
            ),
            "deploy": account.deploy.to_config() if account.deploy is not None else None,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        # The account's own rules (delivery teams, deploy roles, what needs what) under its key.
        if found := problems(self.to_args()):
            raise ValueError(settings_key(f"account.{found[0]}"))
        return self
