"""Edge: the public front door of the platform (K7, K8, D3, D7).

One ACM certificate (the domain and its wildcard, validated in Route 53), one regional WAFv2
WebACL with its logging, and the bucket for the shared ALB's access logs. The ALB itself is made
by the AWS Load Balancer Controller from the UIs' Ingresses; the ``ingress`` contract this
component exports is what puts every one of them on that ALB, behind the WebACL, with the certificate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .access_logs import create_access_log_bucket
from .certificate import create_validated_certificate
from .ingress import IngressContract
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


class EdgeArgs(TypedDict):
    name: str
    """Prefix of every resource name (e.g. ``kubeboard-prod``)."""
    region: str
    """The stack's region: picks the ELB log-delivery principal of the access-log bucket policy."""
    domain: str
    """The platform domain; the certificate covers it and ``*.<domain>``."""
    hosted_zone_id: str
    """The public Route 53 zone holding ``domain`` (validation records go there)."""
    ingress_group: str
    """The ALB ingress group every UI joins."""
    rate_limit: int
    """Requests one source IP may send per window before WAF blocks it (10 to 2,000,000,000)."""
    rate_limit_window_seconds: NotRequired[int]
    """60, 120, 300 (default) or 600."""
    allowed_countries: list[str]
    """ISO 3166-1 alpha-2 codes allowed through; empty: no geo rule."""
    block_anonymous_ips: NotRequired[bool]
    """Add AWSManagedRulesAnonymousIpList (default: true)."""
    allow_cidrs: NotRequired[list[str]]
    """Trusted sources exempt from the geo allow-list and the rate limit (default: none)."""
    deny_cidrs: NotRequired[list[str]]
    """Sources always blocked (default: none)."""
    waf_log_retention_days: int
    """Retention of the WAF log group."""
    access_log_expiration_days: int
    """Days S3 keeps an ALB access log."""
    access_log_force_destroy: NotRequired[bool]
    """Let ``pulumi destroy`` empty and delete the access-log bucket (default: false)."""
    protect: NotRequired[bool]
    """``protect`` the access-log bucket, the ALB's audit trail, from deletion (prod; default: false)."""


class Edge(pulumi.ComponentResource):
    certificate_arn: pulumi.Output[str]
    """The issued certificate (resolves after DNS validation)."""
    web_acl_arn: pulumi.Output[str]
    waf_log_group_name: pulumi.Output[str]
    access_log_bucket_name: pulumi.Output[str]
    ingress: IngressContract
    """What every UI uses to join the shared ALB: annotations and chart ingress values."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Edge", name, None, opts)
        prefix = args["name"]
        child = pulumi.ResourceOptions(parent=self)

        certificate = create_validated_certificate(
            f"{name}-certificate", parent=self, domain=args["domain"], zone_id=args["hosted_zone_id"]
        )

        policy = WafPolicy(
            rate_limit=args["rate_limit"],
            rate_limit_window_seconds=args.get("rate_limit_window_seconds", 300),
            allowed_countries=args["allowed_countries"],
            block_anonymous_ips=args.get("block_anonymous_ips", True),
            allow_cidrs=args.get("allow_cidrs", []),
            deny_cidrs=args.get("deny_cidrs", []),
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
            force_destroy=args.get("access_log_force_destroy", False),
            protect=args.get("protect", False),
        )

        self.certificate_arn = certificate.arn
        self.web_acl_arn = web_acl.arn
        self.waf_log_group_name = log_group.name
        # The bucket name becomes usable only once its policy admits the ELB writers: an ALB
        # whose bucket rejects it fails to apply its attributes.
        self.access_log_bucket_name = pulumi.Output.all(
            access_logs.bucket.bucket, access_logs.policy.id
        ).apply(lambda values: values[0])
        self.ingress = IngressContract(
            domain=args["domain"],
            group_name=args["ingress_group"],
            certificate_arn=self.certificate_arn,
            web_acl_arn=self.web_acl_arn,
            access_log_bucket=self.access_log_bucket_name,
            access_log_prefix=ACCESS_LOG_PREFIX,
        )
        self.register_outputs(
            {
                "certificateArn": self.certificate_arn,
                "webAclArn": self.web_acl_arn,
                "wafLogGroupName": self.waf_log_group_name,
                "accessLogBucketName": self.access_log_bucket_name,
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
