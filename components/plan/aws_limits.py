"""AWS name and size limits, judged from ``plan.json``: what AWS would refuse at create time.

The limits and their sources are data (``aws_limits.json`` beside this module). A physical name is
the one given, a prefix plus the 26 characters the provider appends, or, where neither is given,
the logical name plus Pulumi's 8-character auto-name suffix. IAM policy sizes are counted as IAM
counts them (without formatting whitespace); a web ACL's capacity is the sum of the documented
WCUs of its statements; a security group's rules are counted one per CIDR or referenced group.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from .findings import Finding
from .recorder import SECRET, UNKNOWN

LIMITS_FILE = Path(__file__).with_name("aws_limits.json")


@cache
def limits() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(LIMITS_FILE.read_text(encoding="utf-8"))
    return table


def _known(value: Any) -> bool:
    return isinstance(value, str) and value not in (SECRET, UNKNOWN)


class _Judge:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.checked = 0
        # The largest size seen per quota, so a report shows the headroom left, not only breaches.
        self.largest: dict[str, dict[str, Any]] = {}

    def at_most(
        self,
        resource: dict[str, Any],
        path: str,
        size: int,
        limit: int,
        what: str,
        *,
        measure: str | None = None,
    ) -> None:
        self.checked += 1
        if measure and size > self.largest.get(measure, {}).get("size", -1):
            self.largest[measure] = {"size": size, "limit": limit, "resource": resource["name"]}
        if size > limit:
            self.findings.append(
                Finding(resource["urn"], resource["type"], path, f"{what}: {size} > {limit}")
            )

    def fail(self, resource: dict[str, Any], path: str, message: str) -> None:
        self.findings.append(Finding(resource["urn"], resource["type"], path, message))


def physical_name(resource: dict[str, Any], rule: dict[str, Any]) -> tuple[str, str, str] | None:
    """(input key, what was given, the name AWS will see) or None when AWS picks it or it is unknown.

    Generated characters are shown as zeros: they are digits and hex, so they never change a
    pattern's verdict, only the length.
    """
    inputs = resource["inputs"]
    suffixes = limits()["generatedSuffixes"]
    if rule["name"] in inputs:
        name = inputs[rule["name"]]
        return (rule["name"], name, name) if _known(name) else None
    prefix_key = rule.get("prefix")
    if prefix_key and prefix_key in inputs:
        prefix = inputs[prefix_key]
        generated = "0" * suffixes["prefix"]["length"]
        return (prefix_key, prefix, prefix + generated) if _known(prefix) else None
    if rule.get("autoname"):
        generated = "-" + "0" * (suffixes["autoname"]["length"] - 1)
        return (rule["name"], resource["name"], resource["name"] + generated)
    return None


def _names(resource: dict[str, Any], judge: _Judge) -> None:
    for rule in limits()["names"]:
        if rule["type"] != resource["type"]:
            continue
        found = physical_name(resource, rule)
        if found is None:
            continue
        key, given, name = found
        if key not in resource["inputs"]:
            shown = f"{given!r} (auto-named from the logical name)"
        elif given != name:
            shown = f"{given!r} (plus the generated suffix)"
        else:
            shown = repr(given)
        what = f"{rule['what']} {shown}"
        judge.at_most(resource, key, len(name), rule["max"], f"{what} is {len(name)} characters")
        if len(name) < rule["min"]:
            judge.fail(resource, key, f"{what} is shorter than {rule['min']} characters")
        if "pattern" in rule and not re.fullmatch(rule["pattern"], name):
            judge.fail(resource, key, f"{what} does not match {rule['pattern']}")


def _at(value: Any, path: str, where: str = "") -> list[tuple[str, Any]]:
    """(input path, value) for a dotted path in which ``name[]`` walks every item of a list."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = value.get(head[:-2]) if isinstance(value, dict) else None
        found = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            found += _at(item, rest, f"{where}{head[:-2]}[{index}].")
        return found
    if not isinstance(value, dict) or head not in value:
        return []
    return _at(value[head], rest, f"{where}{head}.") if rest else [(f"{where}{head}", value[head])]


def _texts(resource: dict[str, Any], judge: _Judge) -> None:
    for rule in limits()["texts"]:
        if rule["type"] != resource["type"]:
            continue
        for template in rule["paths"]:
            for path, text in _at(resource["inputs"], template):
                if not _known(text):
                    continue
                judge.at_most(resource, path, len(text), rule["max"], f"{rule['what']} length")
                if "pattern" in rule and not re.fullmatch(rule["pattern"], text):
                    outside = sorted({c for c in text if not re.fullmatch(rule["pattern"], c)})
                    judge.fail(
                        resource, path, f"{rule['what']} {text!r} has characters AWS refuses: {outside}"
                    )


def _documents(resource: dict[str, Any], judge: _Judge) -> None:
    """Policies, patterns and environments sized as AWS sizes them (a map as its compact JSON)."""
    for rule in limits()["documents"]:
        if rule["type"] != resource["type"]:
            continue
        for path, document in _at(resource["inputs"], rule["path"]):
            text = (
                document
                if isinstance(document, str)
                else json.dumps(document, separators=(",", ":"), ensure_ascii=False)
            )
            if SECRET in text or UNKNOWN in text:
                continue  # a masked or unknown value has no size yet
            size = len(text.encode()) if rule["what"].endswith("bytes") else len(text)
            judge.at_most(resource, path, size, rule["max"], rule["what"], measure=rule["quota"])


def _default_tags(resources: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    """Each AWS provider's default tags (by provider URN), which AWS applies beside a resource's own."""
    defaults: dict[str | None, dict[str, Any]] = {}
    for resource in resources:
        if resource["type"] == "pulumi:providers:aws" and _known(resource["inputs"].get("defaultTags")):
            defaults[resource["urn"]] = json.loads(resource["inputs"]["defaultTags"]).get("tags") or {}
    return defaults


def _tags(resource: dict[str, Any], defaults: dict[str, Any], judge: _Judge) -> None:
    inputs = resource["inputs"]
    if not resource["type"].startswith("aws:"):
        return
    table = limits()["tags"]
    if isinstance(inputs.get("tags"), dict):
        tags = {**defaults, **inputs["tags"]}
        judge.at_most(
            resource, "tags", len(tags), table["maxPerResource"], "tags on one resource, defaults included"
        )
    elif resource["type"] == "aws:autoscaling/tag:Tag" and isinstance(inputs.get("tag"), dict):
        tags = {inputs["tag"].get("key"): inputs["tag"].get("value")}  # one Auto Scaling group tag
    else:
        return
    for key, value in tags.items():
        if _known(key):
            judge.at_most(resource, f"tags.{key}", len(key), table["keyLength"], "tag key length")
        if _known(value):
            judge.at_most(resource, f"tags.{key}", len(value), table["valueLength"], "tag value length")


def policy_size(document: str) -> int:
    """Characters IAM counts: the document without formatting whitespace."""
    return len(json.dumps(json.loads(document), separators=(",", ":"), ensure_ascii=False))


def _iam(resources: list[dict[str, Any]], judge: _Judge) -> None:
    quota = limits()["iam"]
    inline: dict[str, list[tuple[dict[str, Any], int]]] = defaultdict(list)
    for resource in resources:
        inputs = resource["inputs"]
        if resource["type"] == "aws:iam/policy:Policy" and _known(inputs.get("policy")):
            size = policy_size(inputs["policy"])
            judge.at_most(
                resource,
                "policy",
                size,
                quota["managedPolicy"],
                "managed policy characters",
                measure="managedPolicy",
            )
        elif resource["type"] == "aws:iam/role:Role":
            if _known(inputs.get("assumeRolePolicy")):
                size = policy_size(inputs["assumeRolePolicy"])
                judge.at_most(
                    resource,
                    "assumeRolePolicy",
                    size,
                    quota["trustPolicy"],
                    "trust policy characters",
                    measure="trustPolicy",
                )
            for policy in inputs.get("inlinePolicies") or []:
                if isinstance(policy, dict) and _known(policy.get("policy")):
                    inline[resource["id"] or resource["urn"]].append(
                        (resource, policy_size(policy["policy"]))
                    )
        elif (
            resource["type"] == "aws:iam/rolePolicy:RolePolicy"
            and _known(inputs.get("role"))
            and _known(inputs.get("policy"))
        ):
            inline[inputs["role"]].append((resource, policy_size(inputs["policy"])))
    _attachments(resources, judge)
    for role, policies in inline.items():
        total = sum(size for _, size in policies)
        judge.at_most(
            policies[-1][0],
            "policy",
            total,
            quota["inlinePoliciesPerRole"],
            f"inline policy characters of role {role}",
            measure="inlinePoliciesPerRole",
        )


def _attachments(resources: list[dict[str, Any]], judge: _Judge) -> None:
    """Managed policies attached to each role, by attachment resources or the role's own list."""
    attached: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        inputs = resource["inputs"]
        if resource["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and _known(
            inputs.get("role")
        ):
            attached[inputs["role"]].append(resource)
        elif resource["type"] == "aws:iam/role:Role" and inputs.get("managedPolicyArns"):
            attached[resource["id"] or resource["urn"]] += [resource] * len(inputs["managedPolicyArns"])
    for role, holders in attached.items():
        judge.at_most(
            holders[-1],
            "policyArn",
            len(holders),
            limits()["iam"]["managedPoliciesPerRole"],
            f"managed policies attached to role {role}",
            measure="managedPoliciesPerRole",
        )


def _sources(rule: dict[str, Any]) -> int:
    """Rules AWS counts for one inline rule or one rule resource: one per CIDR or referenced group."""
    count = 0
    for key in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds", "securityGroups"):
        count += len(rule.get(key) or [])
    count += 1 if rule.get("self") else 0
    return max(count, 1)


def _security_groups(resources: list[dict[str, Any]], judge: _Judge) -> None:
    quota = limits()["securityGroupRules"]
    groups = {
        r["id"]: r
        for r in resources
        if r["type"]
        in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    }
    counts: dict[str, dict[str, int]] = {sg: {"ingress": 0, "egress": 0} for sg in groups}
    for sg, group in groups.items():
        for direction in ("ingress", "egress"):
            counts[sg][direction] += sum(_sources(rule) for rule in group["inputs"].get(direction) or [])
    separate = {
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("ingress", "securityGroupId"),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("egress", "securityGroupId"),
    }
    for resource in resources:
        inputs = resource["inputs"]
        if resource["type"] in separate:
            direction, key = separate[resource["type"]]
        elif resource["type"] == "aws:ec2/securityGroupRule:SecurityGroupRule":
            direction, key = inputs.get("type", "ingress"), "securityGroupId"
        else:
            continue
        if inputs.get(key) in counts:
            counts[inputs[key]][direction] += _sources(inputs) if "cidrBlocks" in inputs else 1
    for sg, count in counts.items():
        judge.at_most(
            groups[sg],
            "ingress",
            count["ingress"],
            quota["inbound"],
            "inbound rules of the security group",
            measure="securityGroupInbound",
        )
        judge.at_most(
            groups[sg],
            "egress",
            count["egress"],
            quota["outbound"],
            "outbound rules of the security group",
            measure="securityGroupOutbound",
        )


def statement_capacity(statement: dict[str, Any]) -> int:
    """WCUs of one WAF statement, from the documented figures; KeyError names an unknown kind."""
    table = limits()["waf"]
    [(kind, body)] = statement.items()
    if kind in ("andStatement", "orStatement"):
        return sum(statement_capacity(nested) for nested in body["statements"])
    if kind == "notStatement":
        return statement_capacity(body["statement"])
    if kind == "managedRuleGroupStatement":
        group = table["managedRuleGroups"][f"{body['vendorName']}/{body['name']}"]
        return int(group) + (
            statement_capacity(body["scopeDownStatement"]) if body.get("scopeDownStatement") else 0
        )
    if kind == "rateBasedStatement":
        rate = table["rateBasedStatement"]
        custom = len(body.get("customKeys") or [])
        scope = statement_capacity(body["scopeDownStatement"]) if body.get("scopeDownStatement") else 0
        return int(rate["base"] + rate["perCustomKey"] * custom + scope)
    return int(table["statements"][kind])


def _web_acls(resources: list[dict[str, Any]], judge: _Judge) -> None:
    table = limits()["waf"]
    for resource in resources:
        if resource["type"] != "aws:wafv2/webAcl:WebAcl":
            continue
        total = 0
        for index, rule in enumerate(resource["inputs"].get("rules") or []):
            try:
                total += statement_capacity(rule["statement"])
            except KeyError as error:
                judge.fail(
                    resource,
                    f"rules[{index}].statement",
                    f"no documented WCU figure for {error.args[0]!r}: add it to aws_limits.json with its source",
                )
        judge.at_most(
            resource,
            "rules",
            total,
            table["webAclCapacity"],
            "web ACL capacity (WCUs)",
            measure="webAclCapacity",
        )


def check_plan(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``awsLimits`` section of ``plan.json``."""
    judge = _Judge()
    defaults = _default_tags(resources)
    for resource in resources:
        _names(resource, judge)
        _texts(resource, judge)
        _documents(resource, judge)
        _tags(resource, defaults.get(resource["provider"], {}), judge)
    _iam(resources, judge)
    _security_groups(resources, judge)
    _web_acls(resources, judge)
    return {
        "checked": judge.checked,
        "largest": dict(sorted(judge.largest.items())),
        "findings": [finding.to_json() for finding in judge.findings],
    }
