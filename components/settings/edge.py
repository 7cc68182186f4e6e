"""`kubeboard:edge`: TLS, DNS, the WAF and the shared ALB in front of every platform UI (K7, K8, D3, D7)."""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from importlib import resources
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from .base import Model
from .types import DnsName, Name, RetentionDays

# AWS WAF: a rate-based rule's limit is 10 to 2,000,000,000 requests per evaluation window
# (RateLimit shape of the wafv2 API), and the window is one of four lengths.
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
RateLimitWindow = Literal[60, 120, 300, 600]

# Route 53 hosted zone ids: "Z" and up to 31 upper-case letters and digits, without "/hostedzone/".
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


@cache
def waf_country_codes() -> frozenset[str]:
    """The country codes WAF geo match accepts: ISO 3166-1 alpha-2, pinned in a data file."""
    text = resources.files(__package__).joinpath("waf_country_codes.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _country_code(code: str) -> str:
    if code.upper() != code:
        raise ValueError(f"country codes are upper case: write {code.upper()!r}, not {code!r}")
    if code not in waf_country_codes():
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. KR, JP, US)")
    return code


def _ip_network(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 CIDR block ({error})") from None
    return str(network)


def _rate_limit(limit: int) -> int:
    if not RATE_LIMIT_MIN <= limit <= RATE_LIMIT_MAX:
        raise ValueError(
            f"must be {RATE_LIMIT_MIN} to {RATE_LIMIT_MAX:,} requests per window "
            f"(AWS WAF's range), got {limit:,}"
        )
    return limit


def _zone_id(text: str) -> str:
    if not _ZONE_ID.match(text):
        raise ValueError(
            f"{text!r} is not a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ "
            "(upper case, without a /hostedzone/ prefix)"
        )
    return text


CountryCode = Annotated[str, AfterValidator(_country_code)]
IpCidr = Annotated[str, AfterValidator(_ip_network)]
ZoneId = Annotated[str, AfterValidator(_zone_id)]


class HostedZone(Model):
    """The public Route 53 zone that holds the platform's names (given, not looked up)."""

    id: ZoneId
    """The zone's id, e.g. ``Z0123456789ABCDEFGHIJ`` (without ``/hostedzone/``)."""
    name: DnsName
    """The zone's apex, e.g. ``example.com``; the platform domain must lie inside it."""


class WafSettings(Model):
    """The regional WebACL attached to the shared ALB."""

    rate_limit: Annotated[int, AfterValidator(_rate_limit)]
    """Requests one source IP may send per evaluation window before it is blocked."""
    rate_limit_window_seconds: RateLimitWindow = 300
    """How far back WAF counts requests for the rate limit: 60, 120, 300 or 600 seconds."""
    allowed_countries: list[CountryCode]
    """ISO 3166-1 alpha-2 codes allowed through; requests from anywhere else are blocked.
    Empty: no geo restriction."""
    block_anonymous_ips: bool = True
    """Block VPNs, proxies, Tor and hosting providers (AWSManagedRulesAnonymousIpList)."""
    allow_cidrs: list[IpCidr] = Field(default_factory=list)
    """Trusted sources (IPv4 or IPv6) exempt from the geo allow-list and the rate limit;
    the managed rule groups still inspect them."""
    deny_cidrs: list[IpCidr] = Field(default_factory=list)
    """Sources always blocked, before any other rule."""
    log_retention_days: RetentionDays = 90
    """Retention of the ``aws-waf-logs-`` log group (a CloudWatch Logs retention value)."""

    @model_validator(mode="after")
    def _lists_are_coherent(self) -> Self:
        for key, values in (
            ("allowedCountries", self.allowed_countries),
            ("allowCidrs", self.allow_cidrs),
            ("denyCidrs", self.deny_cidrs),
        ):
            duplicates = sorted({value for value in values if values.count(value) > 1})
            if duplicates:
                raise ValueError(f"{key}: each entry may appear once, repeated: {', '.join(duplicates)}")
        for index, denied in enumerate(self.deny_cidrs):
            blocked = ipaddress.ip_network(denied)
            for allowed in self.allow_cidrs:
                trusted = ipaddress.ip_network(allowed)
                if trusted.version == blocked.version and trusted.overlaps(blocked):
                    raise ValueError(
                        f"denyCidrs[{index}]: {denied} overlaps the allowed {allowed}; "
                        "a source cannot be both trusted and denied"
                    )
        return self


class AccessLogSettings(Model):
    """The S3 bucket the ALB writes its access logs to (D3)."""

    expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Days an access log is kept before S3 deletes it."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` delete the bucket with its logs (dev only; prod keeps the evidence)."""


class EdgeSettings(Model):
    domain: DnsName
    """The platform domain, e.g. ``kubeboard.example.com``: the certificate covers it and its
    wildcard, and every UI is published as ``<ui>.<domain>``."""
    hosted_zone: HostedZone
    waf: WafSettings
    access_logs: AccessLogSettings = AccessLogSettings()
    ingress_group: Name = "platform"
    """The ``alb.ingress.kubernetes.io/group.name`` every UI joins: one ALB for all of them."""

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
