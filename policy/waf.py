"""WAFv2: AWS managed rule groups, a per-IP rate limit, logging and metrics on the web ACL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.graph import Links, of_type
from kubeboard_policy.props import get, items, strings, truthy

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
DEFAULT_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]


def _rules(props: Mapping[str, Any]) -> list[Any]:
    return items(get(props, "rules"))


def _managed_groups(args: ResourceValidationArgs, report: ReportViolation) -> None:
    required = strings(args.get_config().get("requiredRuleGroups")) or DEFAULT_RULE_GROUPS
    enforced: set[str] = set()
    counting: set[str] = set()
    for rule in _rules(args.props):
        group = get(rule, "statement.managedRuleGroupStatement")
        if not group or get(group, "vendorName") != "AWS":
            continue
        # A group whose override action is "count" only observes; it blocks nothing.
        (counting if get(rule, "overrideAction.count") is not None else enforced).add(get(group, "name"))
    for name in required:
        if name in counting:
            report(f"managed rule group {name} is in count mode and blocks nothing", None)
        elif name not in enforced:
            report(f"managed rule group {name} is missing", None)


enable_managed_rule_groups = TypedResourcePolicy(
    name="aws-wafv2-webacl-enable-managed-rule-groups",
    description="Web ACLs enforce the required AWS managed rule groups (default: Common, KnownBadInputs).",
    resource_types=[WEB_ACL],
    check=_managed_groups,
    severity=Severity.HIGH,
    config={
        "requiredRuleGroups": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_RULE_GROUPS,
            "description": "AWS managed rule group names every web ACL must enforce.",
        }
    },
)


def _rate_limited(args: ResourceValidationArgs, report: ReportViolation) -> None:
    blocking = [
        rule
        for rule in _rules(args.props)
        if get(rule, "statement.rateBasedStatement") and get(rule, "action.block") is not None
    ]
    if not blocking:
        report("no rate-based rule that blocks: one client can flood the platform UIs", None)


require_rate_based_rule = TypedResourcePolicy(
    name="aws-wafv2-webacl-require-rate-based-rule",
    description="Web ACLs block clients above a per-IP request rate.",
    resource_types=[WEB_ACL],
    check=_rate_limited,
    severity=Severity.HIGH,
)


def _logged(args: StackValidationArgs, report: ReportViolation) -> None:
    acls = of_type(args.resources, WEB_ACL)
    configs = Links(acls).group(of_type(args.resources, LOGGING), "resourceArn")
    for acl in acls:
        destinations = [
            d for c in configs.get(acl.urn, []) for d in strings(get(c.props, "logDestinationConfigs"))
        ]
        if not destinations:
            report(f"web ACL '{acl.name}' has no logging configuration with a destination", acl.urn)


enable_logging = GraphStackPolicy(
    name="aws-wafv2-webacl-enable-logging",
    description="Every web ACL logs its requests (a WebAclLoggingConfiguration with a destination).",
    resource_types=[WEB_ACL, LOGGING],
    check=_logged,
    severity=Severity.HIGH,
)


def _metrics(args: ResourceValidationArgs, report: ReportViolation) -> None:
    scopes = [("web ACL", get(args.props, "visibilityConfig"))]
    scopes += [(f"rule {get(r, 'name', '?')}", get(r, "visibilityConfig")) for r in _rules(args.props)]
    for label, config in scopes:
        if not (
            truthy(get(config, "cloudwatchMetricsEnabled")) and truthy(get(config, "sampledRequestsEnabled"))
        ):
            report(f"{label} does not publish CloudWatch metrics and sampled requests", None)


enable_metrics = TypedResourcePolicy(
    name="aws-wafv2-webacl-enable-metrics",
    description="Web ACLs and each of their rules publish CloudWatch metrics and sampled requests.",
    resource_types=[WEB_ACL],
    check=_metrics,
    severity=Severity.LOW,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [enable_managed_rule_groups, require_rate_based_rule, enable_logging, enable_metrics]
