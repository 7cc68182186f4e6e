"""`kubeboard:addons`: the platform's Helm add-ons, each switchable, with value overrides.

``values`` of each add-on is merged deeply over the platform's defaults for that chart, so a stack
sets only what differs. Dependencies between add-ons are checked by ``Settings`` at load time.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from ..addons import (
    argo_rollouts,
    aws_load_balancer_controller,
    cluster_autoscaler,
    external_dns,
    metrics_server,
)
from ..addons.contract import AddOnSwitch
from .base import Model
from .types import DnsName

_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


class HelmAddOnSettings(Model):
    enabled: bool = True
    values: dict[str, Any] = Field(default_factory=dict)
    """Chart values merged deeply over the platform's defaults (mappings merge, lists replace)."""


class ExternalDnsPolicy(StrEnum):
    UPSERT_ONLY = "upsert-only"
    """Create and update records, never delete them (records outlive `pulumi destroy`)."""
    SYNC = "sync"
    """Also delete records whose Ingress or Service is gone, only those this cluster's TXT
    owner record claims (the default: `pulumi destroy` leaves no stale names behind)."""
    CREATE_ONLY = "create-only"


class ExternalDnsSettings(HelmAddOnSettings):
    enabled: bool = False
    hosted_zone_id: Annotated[str, Field(pattern=_HOSTED_ZONE_ID.pattern)] | None = None
    """The Route53 hosted zone external-dns may change; the only one its role can write to."""
    domain_filters: list[DnsName] = Field(default_factory=list)
    policy: ExternalDnsPolicy = ExternalDnsPolicy.SYNC

    @model_validator(mode="after")
    def _zone_when_enabled(self) -> Self:
        if self.enabled and self.hosted_zone_id is None:
            raise ValueError("hostedZoneId: required when external-dns is enabled")
        if self.enabled and not self.domain_filters:
            raise ValueError("domainFilters: list the domains external-dns may manage")
        return self


class FrontPageStrategy(StrEnum):
    """How a new version of the front page's web tier reaches its users."""

    DEPLOYMENT = "deployment"
    """A rolling update of a plain Deployment (no Argo Rollouts involved)."""
    CANARY = "canary"
    """A Rollout: the ALB sends a growing share of requests to the new pods, checked on Prometheus."""
    BLUE_GREEN = "blueGreen"
    """A Rollout: the new pods start beside the old behind a preview Service; the switch is all at once."""


class ArgoRolloutsSettings(HelmAddOnSettings):
    front_page_strategy: FrontPageStrategy = FrontPageStrategy.DEPLOYMENT
    """The front page's strategy (default ``deployment``); the others need this add-on enabled."""


class AddOnsSettings(Model):
    aws_load_balancer_controller: HelmAddOnSettings = HelmAddOnSettings()
    cluster_autoscaler: HelmAddOnSettings = HelmAddOnSettings()
    metrics_server: HelmAddOnSettings = HelmAddOnSettings()
    external_dns: ExternalDnsSettings = ExternalDnsSettings()
    argo_rollouts: ArgoRolloutsSettings = ArgoRolloutsSettings()

    def strategy_problem(self, *, prometheus: bool) -> str | None:
        """What the front page's strategy lacks (``prometheus``: whether observability is on), if
        anything. Checked by ``Settings`` after the add-on dependencies, whose errors come first."""
        strategy = self.argo_rollouts.front_page_strategy
        key = "addons.argoRollouts.frontPageStrategy"
        if strategy is FrontPageStrategy.DEPLOYMENT:
            return None
        if not self.argo_rollouts.enabled:
            return (
                f"{key}: {strategy.value} needs Argo Rollouts (argoRollouts.enabled is false); "
                "enable it or use deployment"
            )
        if strategy is FrontPageStrategy.CANARY and not self.aws_load_balancer_controller.enabled:
            return (
                f"{key}: canary shifts traffic through the ALB and needs the load balancer controller "
                "(awsLoadBalancerController.enabled is false)"
            )
        if not prometheus:
            return f"{key}: {strategy.value} analyses the new version on Prometheus metrics; it needs observability.enabled"
        return None

    def addon_switches(self) -> list[AddOnSwitch]:
        """Each add-on's switch, its settings key and what it needs, for the dependency check."""
        return [
            AddOnSwitch(
                aws_load_balancer_controller.NAME,
                self.aws_load_balancer_controller.enabled,
                "addons.awsLoadBalancerController.enabled",
                aws_load_balancer_controller.DEPENDS_ON,
            ),
            AddOnSwitch(
                cluster_autoscaler.NAME,
                self.cluster_autoscaler.enabled,
                "addons.clusterAutoscaler.enabled",
                cluster_autoscaler.DEPENDS_ON,
            ),
            AddOnSwitch(
                metrics_server.NAME,
                self.metrics_server.enabled,
                "addons.metricsServer.enabled",
                metrics_server.DEPENDS_ON,
            ),
            AddOnSwitch(
                external_dns.NAME,
                self.external_dns.enabled,
                "addons.externalDns.enabled",
                external_dns.DEPENDS_ON,
            ),
            AddOnSwitch(
                argo_rollouts.NAME,
                self.argo_rollouts.enabled,
                "addons.argoRollouts.enabled",
                argo_rollouts.DEPENDS_ON,
            ),
        ]
