"""Edge: the public front door of the platform (K7, K8, D3, D7).

One ACM certificate (the domain and its wildcard, validated in Route 53), one regional WAFv2
WebACL with its logging, and the bucket for the shared ALB's access logs. The ALB itself is made
by the AWS Load Balancer Controller from the UIs' Ingresses; the ``ingress`` contract this
component exports is what puts every one of them on that ALB, behind the WebACL, with the certificate.
"""

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws

from ..args import validate_args
from ..log_retention import retention_problem
from ..names import dns_name_problem
from .access_logs import create_access_log_bucket
from .certificate import create_validated_certificate
from .ingress import INGRESS_CLASS, SSL_POLICY, IngressContract
from .waf import (
    IpSetRefs,
    WafPolicy,
    log_delivery_policy,
    redacted_fields,
    split_by_version,
    visibility,
    web_acl_rules,
)

# Where in the access-log bucket the ALB writes (AWS appends /AWSLogs/<account>/...).
ACCESS_LOG_PREFIX = "alb"
# AWS WAF: a rate-based rule's limit is 10 to 2,000,000,000 requests per evaluation window
# (RateLimit shape of the wafv2 API), and the window is one of four lengths.
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
RATE_LIMIT_WINDOWS = (60, 120, 300, 600)
MAX_ACCESS_LOG_DAYS = 3650
# Route 53 hosted zone ids: "Z" and up to 31 upper-case letters and digits, without "/hostedzone/".
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


@cache
def waf_country_codes() -> frozenset[str]:
    """The country codes WAF geo match accepts: ISO 3166-1 alpha-2, pinned in a data file."""
    text = resources.files(__package__).joinpath("waf_country_codes.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


class EdgeConfig(TypedDict):
    """The edge's plain values: what ``kubeboard:edge`` holds."""

    domain: str
    """The platform domain; the certificate covers it and ``*.<domain>``. Required."""
    hosted_zone_id: str
    """The public Route 53 zone holding ``domain`` (validation records go there), e.g.
    ``Z0123456789ABCDEFGHIJ``. Required."""
    ingress_group: NotRequired[str]
    """The ALB ingress group every UI joins (default ``platform``)."""
    rate_limit: int
    """Requests one source IP may send per window before WAF blocks it (10 to 2,000,000,000). Required."""
    rate_limit_window_seconds: NotRequired[int]
    """60, 120, 300 (default) or 600."""
    allowed_countries: list[str]
    """ISO 3166-1 alpha-2 codes allowed through, each once; empty: no geo rule. Required."""
    block_anonymous_ips: NotRequired[bool]
    """Add AWSManagedRulesAnonymousIpList (default: true)."""
    allow_cidrs: NotRequired[list[str]]
    """Trusted sources (IPv4 or IPv6) exempt from the geo allow-list and the rate limit (default: none)."""
    deny_cidrs: NotRequired[list[str]]
    """Sources always blocked, none inside ``allow_cidrs`` (default: none)."""
    waf_log_retention_days: NotRequired[int]
    """Retention of the WAF log group, a CloudWatch Logs retention value (default 90)."""
    access_log_expiration_days: NotRequired[int]
    """Days S3 keeps an ALB access log, 1 to 3650 (default 90)."""
    access_log_force_destroy: NotRequired[bool]
    """Let ``pulumi destroy`` empty and delete the access-log bucket (default: false)."""


class EdgeArgs(EdgeConfig):
    """`EdgeConfig` and what the platform adds."""

    name: str
    """Prefix of every resource name (e.g. ``kubeboard-prod``). Required."""
    region: str
    """The stack's region: picks the ELB log-delivery principal of the access-log bucket policy. Required."""
    protect: NotRequired[bool]
    """``protect`` the access-log bucket, the ALB's audit trail, from deletion (prod; default: false)."""


DEFAULTS: dict[str, Any] = {
    "ingress_group": "platform",
    "rate_limit_window_seconds": 300,
    "block_anonymous_ips": True,
    "allow_cidrs": [],
    "deny_cidrs": [],
    "waf_log_retention_days": 90,
    "access_log_expiration_days": 90,
    "access_log_force_destroy": False,
    "protect": False,
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (an `EdgeArgs`) cannot build the edge."""
    found: list[str] = []
    domain_problem = dns_name_problem(str(args["domain"])) if "domain" in args else None
    if domain_problem:
        found.append(f"domain: {domain_problem}")
    zone = args.get("hosted_zone_id")
    if zone is not None and not _ZONE_ID.match(str(zone)):
        found.append(
            f"hosted_zone_id: {zone!r} is not a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ "
            "(upper case, without a /hostedzone/ prefix)"
        )
    limit = args.get("rate_limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not RATE_LIMIT_MIN <= limit <= RATE_LIMIT_MAX:
        shown = f"{limit:,}" if isinstance(limit, int) else repr(limit)
        found.append(
            f"rate_limit: must be {RATE_LIMIT_MIN} to {RATE_LIMIT_MAX:,} requests per window "
            f"(AWS WAF's range), got {shown}"
        )
    window = args.get("rate_limit_window_seconds", DEFAULTS["rate_limit_window_seconds"])
    if isinstance(window, bool) or window not in RATE_LIMIT_WINDOWS:
        found.append(f"rate_limit_window_seconds: must be one of 60, 120, 300 or 600, got {window!r}")
    found += _country_problems(list(args.get("allowed_countries") or []))
    found += _cidr_problems(list(args.get("allow_cidrs") or []), list(args.get("deny_cidrs") or []))
    retention = retention_problem(args.get("waf_log_retention_days", DEFAULTS["waf_log_retention_days"]))
    if retention:
        found.append(f"waf_log_retention_days: {retention}")
    days = args.get("access_log_expiration_days", DEFAULTS["access_log_expiration_days"])
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_ACCESS_LOG_DAYS:
        found.append(f"access_log_expiration_days: must be 1..{MAX_ACCESS_LOG_DAYS}, got {days!r}")
    return found


def _country_problems(codes: list[str]) -> list[str]:
    found = []
    for index, code in enumerate(codes):
        if str(code).upper() != code:
            found.append(
                f"allowed_countries[{index}]: country codes are upper case: write {str(code).upper()!r}, not {code!r}"
            )
        elif code not in waf_country_codes():
            found.append(
                f"allowed_countries[{index}]: {code!r} is not an ISO 3166-1 alpha-2 country code (e.g. KR, JP, US)"
            )
    return found + _repeated("allowed_countries", codes)


def _cidr_problems(allow: list[str], deny: list[str]) -> list[str]:
    found: list[str] = []
    networks: dict[str, list[ipaddress.IPv4Network | ipaddress.IPv6Network]] = {}
    for key, cidrs in (("allow_cidrs", allow), ("deny_cidrs", deny)):
        networks[key] = []
        for index, text in enumerate(cidrs):
            try:
                networks[key].append(ipaddress.ip_network(text, strict=True))
            except (TypeError, ValueError) as error:
                found.append(f"{key}[{index}]: {text!r} is not an IPv4 or IPv6 CIDR block ({error})")
        found += _repeated(key, cidrs)
    if found:
        return found
    for index, blocked in enumerate(networks["deny_cidrs"]):
        for trusted in networks["allow_cidrs"]:
            if trusted.version == blocked.version and trusted.overlaps(blocked):
                found.append(
                    f"deny_cidrs[{index}]: {blocked} overlaps the allowed {trusted}; "
                    "a source cannot be both trusted and denied"
                )
    return found


def _repeated(key: str, values: list[str]) -> list[str]:
    duplicates = sorted({value for value in values if values.count(value) > 1})
    return [f"{key}: each entry may appear once, repeated: {', '.join(duplicates)}"] if duplicates else []


class Edge(pulumi.ComponentResource):
    """The platform's front door: the certificate, the WAF and its logs, the ALB's access-log bucket."""

    certificate_arn: pulumi.Output[str]
    """The issued certificate (resolves after DNS validation)."""
    web_acl_arn: pulumi.Output[str]
    waf_log_group_name: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str]
    ingress: IngressContract
    """What every UI uses to join the shared ALB: annotations and chart ingress values."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Edge", name, None, opts)
        validate_args("Edge", args, EdgeArgs, problems)
        args = cast(EdgeArgs, {**DEFAULTS, **args})
        prefix = args["name"]
        child = pulumi.ResourceOptions(parent=self)

        certificate = create_validated_certificate(
            f"{name}-certificate", parent=self, domain=args["domain"], zone_id=args["hosted_zone_id"]
        )

        policy = WafPolicy(
            rate_limit=args["rate_limit"],
            rate_limit_window_seconds=args["rate_limit_window_seconds"],
            allowed_countries=args["allowed_countries"],
            block_anonymous_ips=args["block_anonymous_ips"],
            allow_cidrs=args["allow_cidrs"],
            deny_cidrs=args["deny_cidrs"],
        )
        ip_sets = IpSetRefs(
            allow=_ip_sets(f"{name}-allow", f"{prefix}-allow", policy.allow_cidrs, "Trusted sources", child),
            deny=_ip_sets(f"{name}-deny", f"{prefix}-deny", policy.deny_cidrs, "Always blocked", child),
        )
        web_acl = aws.wafv2.WebAcl(
            f"{name}-web-acl",
            name=f"{prefix}-web-acl",
            scope="REGIONAL",
            description=f"{prefix}: every platform UI behind the shared ALB",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=web_acl_rules(policy, ip_sets, metric_prefix=prefix),
            visibility_config=visibility(f"{prefix}-web-acl"),
            opts=child,
        )

        # WAF only delivers to log groups named aws-waf-logs-*.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"aws-waf-logs-{prefix}",
            retention_in_days=args["waf_log_retention_days"],
            opts=child,
        )
        delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-waf-log-delivery",
            policy_name=f"{prefix}-waf-log-delivery",
            policy_document=log_group.arn.apply(lambda arn: json.dumps(log_delivery_policy(arn))),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=redacted_fields(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery_policy]),
        )

        # The account owning the logs, read from an ARN rather than asked of the provider.
        account_id = log_group.arn.apply(lambda arn: arn.split(":")[4])
        access_logs = create_access_log_bucket(
            f"{name}-alb-access-logs",
            parent=self,
            bucket_prefix=f"{prefix}-alb-logs",
            region=args["region"],
            account_id=account_id,
            prefix=ACCESS_LOG_PREFIX,
            expiration_days=args["access_log_expiration_days"],
            force_destroy=args["access_log_force_destroy"],
            protect=args["protect"],
        )

        self.certificate_arn = certificate.arn
        self.web_acl_arn = web_acl.arn
        self.waf_log_group_name = log_group.name
        # The bucket name becomes usable only once its policy admits the ELB writers: an ALB
        # whose bucket rejects it fails to apply its attributes.
        self.access_log_bucket_name = pulumi.Output.all(
            access_logs.bucket.bucket, access_logs.policy.id
        ).apply(lambda values: values[0])
        self.ingress = {
            "domain": args["domain"],
            "group_name": args["ingress_group"],
            "certificate_arn": self.certificate_arn,
            "web_acl_arn": self.web_acl_arn,
            "access_log_bucket": self.access_log_bucket_name,
            "access_log_prefix": ACCESS_LOG_PREFIX,
            "ingress_class_name": INGRESS_CLASS,
            "ssl_policy": SSL_POLICY,
        }
        self.register_outputs(
            {
                "certificate_arn": self.certificate_arn,
                "web_acl_arn": self.web_acl_arn,
                "waf_log_group_name": self.waf_log_group_name,
                "access_log_bucket_name": self.access_log_bucket_name,
                "ingress": self.ingress,
            }
        )


def _ip_sets(
    name: str,
    physical_name: str,
    cidrs: Sequence[str],
    description: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Output[str]]:
    """One WAF IP set per IP version present (a set holds one version only)."""
    arns = []
    for version, addresses in split_by_version(cidrs).items():
        ip_set = aws.wafv2.IpSet(
            f"{name}-{version.lower()}",
            name=f"{physical_name}-{version.lower()}",
            scope="REGIONAL",
            ip_address_version=version,
            addresses=addresses,
            description=description,
            opts=opts,
        )
        arns.append(ip_set.arn)
    return arns
