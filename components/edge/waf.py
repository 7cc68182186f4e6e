"""The rules of the regional WebACL in front of the shared ALB (K8), built as plain data.

Rules keep fixed priorities with gaps, so switching one off never renumbers the others. The
order puts the cheap, decisive checks first: explicit denies, IP reputation, anonymous
networks, the geo allow-list and the rate limit, then the request-inspecting rule groups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

# AWS managed rule groups (vendor AWS) and the priority each runs at.
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"
COMMON = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
SQLI = "AWSManagedRulesSQLiRuleSet"

PRIORITY = {
    "dex-back-channel": 5,
    "deny-listed-ips": 10,
    "amazon-ip-reputation": 20,
    "anonymous-ip": 30,
    "geo-allow-list": 40,
    "rate-limit-per-ip": 50,
    "common-rule-set": 60,
    "known-bad-inputs": 70,
    "sqli": 80,
}

# Grafana dashboards and Argo CD manifests are saved as request bodies well above the 8 KB
# the common rule set allows; counting (and logging) them instead of blocking keeps the UIs usable
# while every other rule of the group still blocks.
COMMON_RULES_COUNTED = ("SizeRestrictions_BODY",)

# The ALB (signing people in to the front page) and Grafana call dex's token, userinfo and keys
# endpoints from AWS addresses: the anonymous-IP group lists hosting providers, the geo allow-list
# and the rate limit know nothing of them. A first rule labels those calls (and only counts);
# those three rules then skip labelled requests. dex authenticates each call with a client secret
# or a code, and the request-inspecting rule groups still see it.
DEX_BACK_CHANNEL = r"^/api/dex/(token|userinfo|keys)$"
DEX_BACK_CHANNEL_LABEL = "kubeboard:dex-back-channel"


@dataclass(frozen=True)
class WafPolicy:
    """What the WebACL enforces; mirrors ``kubeboard:edge.waf``."""

    rate_limit: int
    rate_limit_window_seconds: int
    allowed_countries: Sequence[str]
    block_anonymous_ips: bool
    allow_cidrs: Sequence[str] = ()
    deny_cidrs: Sequence[str] = ()


@dataclass(frozen=True)
class IpSetRefs:
    """ARNs of the IP sets created for the allow and deny lists (one per IP version in use)."""

    allow: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    deny: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


def split_by_version(cidrs: Sequence[str]) -> dict[str, list[str]]:
    """CIDRs grouped as WAF IP sets need them: ``{"IPV4": [...], "IPV6": [...]}``, empty ones left out."""
    groups: dict[str, list[str]] = {}
    for cidr in cidrs:
        version = "IPV4" if ipaddress.ip_network(cidr).version == 4 else "IPV6"
        groups.setdefault(version, []).append(cidr)
    return groups


def visibility(metric_name: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    """CloudWatch metrics and sampled requests, for every rule and for the ACL itself."""
    return {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True, "metric_name": metric_name}


def _in_any(ip_set_arns: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    statements = [{"ip_set_reference_statement": {"arn": arn}} for arn in ip_set_arns]
    return statements[0] if len(statements) == 1 else {"or_statement": {"statements": statements}}


def _managed(name: str, rule_group: str, prefix: str, *, counted: Sequence[str] = ()) -> dict[str, Any]:
    statement: dict[str, Any] = {"name": rule_group, "vendor_name": "AWS"}
    if counted:
        statement["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in counted
        ]
    return {
        "name": name,
        "priority": PRIORITY[name],
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": statement},
        "visibility_config": visibility(f"{prefix}-{name}"),
    }


def _not_dex_back_channel() -> dict[str, Any]:
    return {
        "not_statement": {
            "statement": {"label_match_statement": {"scope": "LABEL", "key": DEX_BACK_CHANNEL_LABEL}}
        }
    }


def _label_dex_back_channel(prefix: str) -> dict[str, Any]:
    return {
        "name": "dex-back-channel",
        "priority": PRIORITY["dex-back-channel"],
        "action": {"count": {}},
        "rule_labels": [{"name": DEX_BACK_CHANNEL_LABEL}],
        "statement": {
            "regex_match_statement": {
                "regex_string": DEX_BACK_CHANNEL,
                "field_to_match": {"uri_path": {}},
                "text_transformations": [{"priority": 0, "type": "NONE"}],
            }
        },
        "visibility_config": visibility(f"{prefix}-dex-back-channel"),
    }


def _blocking(name: str, statement: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        "name": name,
        "priority": PRIORITY[name],
        "action": {"block": {}},
        "statement": statement,
        "visibility_config": visibility(f"{prefix}-{name}"),
    }


def web_acl_rules(
    policy: WafPolicy, ip_sets: IpSetRefs, *, metric_prefix: str
) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The WebACL's rules, in priority order."""
    rules: list[dict[str, Any]] = [_label_dex_back_channel(metric_prefix)]
    if ip_sets.deny:
        rules.append(_blocking("deny-listed-ips", _in_any(ip_sets.deny), metric_prefix))
    rules.append(_managed("amazon-ip-reputation", IP_REPUTATION, metric_prefix))
    if policy.block_anonymous_ips:
        anonymous = _managed("anonymous-ip", ANONYMOUS_IP, metric_prefix)
        anonymous["statement"]["managed_rule_group_statement"]["scope_down_statement"] = (
            _not_dex_back_channel()
        )
        rules.append(anonymous)
    if policy.allowed_countries:
        allowed: dict[str, Any] = {"geo_match_statement": {"country_codes": list(policy.allowed_countries)}}
        if ip_sets.allow:
            # Trusted sources abroad (an office VPN, a CI runner) pass the geo allow-list too.
            allowed = {"or_statement": {"statements": [allowed, _in_any(ip_sets.allow)]}}
        outside = {
            "and_statement": {
                "statements": [{"not_statement": {"statement": allowed}}, _not_dex_back_channel()]
            }
        }
        rules.append(_blocking("geo-allow-list", outside, metric_prefix))
    rate: dict[str, Any] = {
        "limit": policy.rate_limit,
        "aggregate_key_type": "IP",
        "evaluation_window_sec": policy.rate_limit_window_seconds,
        "scope_down_statement": _not_dex_back_channel(),
    }
    if ip_sets.allow:
        rate["scope_down_statement"] = {
            "and_statement": {
                "statements": [
                    {"not_statement": {"statement": _in_any(ip_sets.allow)}},
                    _not_dex_back_channel(),
                ]
            }
        }
    rules.append(_blocking("rate-limit-per-ip", {"rate_based_statement": rate}, metric_prefix))
    rules.append(_managed("common-rule-set", COMMON, metric_prefix, counted=COMMON_RULES_COUNTED))
    rules.append(_managed("known-bad-inputs", KNOWN_BAD_INPUTS, metric_prefix))
    rules.append(_managed("sqli", SQLI, metric_prefix))
    return cast("list[aws.wafv2.WebAclRuleArgsDict]", rules)


# WAF logs every header; these carry credentials and sessions, so they are masked in the logs.
REDACTED_HEADERS = ("authorization", "cookie")


def redacted_fields() -> list[aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgsDict]:
    return [{"single_header": {"name": header}} for header in REDACTED_HEADERS]


def log_delivery_policy(log_group_arn: str) -> dict[str, Any]:
    """The CloudWatch Logs resource policy that lets WAF deliver to the ``aws-waf-logs-`` group.

    WAF writes one itself when none fits, but that account-wide policy is capped at 5,120
    characters and fails silently once full; owning ours keeps delivery deterministic.
    """
    _, partition, _, region, account, *_ = log_group_arn.split(":")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowWafLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn.removesuffix(':*')}:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"},
                },
            }
        ],
    }
