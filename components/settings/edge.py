"""`kubeboard:edge`: TLS, DNS, the WAF and the shared ALB in front of every platform UI (K7, K8, D3, D7)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..edge.component import DEFAULTS, RATE_LIMIT_MAX, RATE_LIMIT_MIN, EdgeConfig, problems, waf_country_codes
from .base import Model, raise_first
from .types import DnsName, Name

__all__ = ["RATE_LIMIT_MAX", "RATE_LIMIT_MIN", "EdgeSettings", "waf_country_codes"]

# Where the stack file keeps what the component takes under another name.
_STACK_KEYS = {
    "hosted_zone_id": "hosted_zone.id",
    "rate_limit": "waf.rate_limit",
    "rate_limit_window_seconds": "waf.rate_limit_window_seconds",
    "allowed_countries": "waf.allowed_countries",
    "allow_cidrs": "waf.allow_cidrs",
    "deny_cidrs": "waf.deny_cidrs",
    "waf_log_retention_days": "waf.log_retention_days",
    "access_log_expiration_days": "access_logs.expiration_days",
}


class HostedZone(Model):
    """The public Route 53 zone that holds the platform's names (given, not looked up)."""

    id: str
    """The zone's id, e.g. ``Z0123456789ABCDEFGHIJ`` (without ``/hostedzone/``)."""
    name: DnsName
    """The zone's apex, e.g. ``example.com``; the platform domain must lie inside it."""


class WafSettings(Model):
    """The regional WebACL attached to the shared ALB."""

    rate_limit: int
    """Requests one source IP may send per evaluation window before it is blocked (10 to 2,000,000,000)."""
    rate_limit_window_seconds: int = DEFAULTS["rate_limit_window_seconds"]
    """How far back WAF counts requests for the rate limit: 60, 120, 300 or 600 seconds."""
    allowed_countries: list[str]
    """ISO 3166-1 alpha-2 codes allowed through; requests from anywhere else are blocked.
    Empty: no geo restriction."""
    block_anonymous_ips: bool = DEFAULTS["block_anonymous_ips"]
    """Block VPNs, proxies, Tor and hosting providers (AWSManagedRulesAnonymousIpList)."""
    allow_cidrs: list[str] = Field(default_factory=list)
    """Trusted sources (IPv4 or IPv6) exempt from the geo allow-list and the rate limit;
    the managed rule groups still inspect them."""
    deny_cidrs: list[str] = Field(default_factory=list)
    """Sources always blocked, before any other rule."""
    log_retention_days: int = DEFAULTS["waf_log_retention_days"]
    """Retention of the ``aws-waf-logs-`` log group (a CloudWatch Logs retention value)."""


class AccessLogSettings(Model):
    """The S3 bucket the ALB writes its access logs to (D3)."""

    expiration_days: int = DEFAULTS["access_log_expiration_days"]
    """Days an access log is kept before S3 deletes it."""
    force_destroy: bool = DEFAULTS["access_log_force_destroy"]
    """Let ``pulumi destroy`` delete the bucket with its logs (dev only; prod keeps the evidence)."""


class EdgeSettings(Model):
    domain: DnsName
    """The platform domain, e.g. ``kubeboard.example.com``: the certificate covers it and its
    wildcard, and every UI is published as ``<ui>.<domain>``."""
    hosted_zone: HostedZone
    waf: WafSettings
    access_logs: AccessLogSettings = AccessLogSettings()
    ingress_group: Name = DEFAULTS["ingress_group"]
    """The ``alb.ingress.kubernetes.io/group.name`` every UI joins: one ALB for all of them."""

    def to_config(self) -> EdgeConfig:
        """The `Edge` component's plain values from this section."""
        waf = self.waf
        return {
            "domain": self.domain,
            "hosted_zone_id": self.hosted_zone.id,
            "ingress_group": self.ingress_group,
            "rate_limit": waf.rate_limit,
            "rate_limit_window_seconds": waf.rate_limit_window_seconds,
            "allowed_countries": list(waf.allowed_countries),
            "block_anonymous_ips": waf.block_anonymous_ips,
            "allow_cidrs": list(waf.allow_cidrs),
            "deny_cidrs": list(waf.deny_cidrs),
            "waf_log_retention_days": waf.log_retention_days,
            "access_log_expiration_days": self.access_logs.expiration_days,
            "access_log_force_destroy": self.access_logs.force_destroy,
        }

    @model_validator(mode="after")
    def _component_rules(self) -> Self:
        raise_first(problems(self.to_config()), _STACK_KEYS)
        return self

    @model_validator(mode="after")
    def _domain_in_zone(self) -> Self:
        zone = self.hosted_zone.name
        if self.domain != zone and not self.domain.endswith(f".{zone}"):
            raise ValueError(
                f"domain: {self.domain} is outside the hosted zone {zone}; "
                f"use {zone} or a name ending in .{zone}"
            )
        return self

    def check_external_dns(self, *, hosted_zone_id: str | None, domain_filters: list[str]) -> None:
        """external-dns must publish the UI names in this zone, the one the certificate is validated in."""
        if hosted_zone_id != self.hosted_zone.id:
            raise ValueError(
                f"addons.externalDns.hostedZoneId: {hosted_zone_id} is not the edge's hosted zone "
                f"({self.hosted_zone.id}); the UI names would be published elsewhere"
            )
        if not any(self.domain == name or self.domain.endswith(f".{name}") for name in domain_filters):
            raise ValueError(
                f"addons.externalDns.domainFilters: none covers the platform domain {self.domain}, "
                "so external-dns would publish no UI name"
            )
