"""What a pull request changes: the difference between two offline plans, fit for a PR comment.

Resources are matched by URN, then, as the engine does, by the old URNs their ``aliases`` name
(aliases.py): a renamed or moved resource that keeps its old URN as an alias is the same resource,
not a delete and a create. For each changed resource the differing input paths are listed
(``rules[2].statement.rateBasedStatement.limit``); JSON documents held in strings (IAM policies) are
compared as documents. A change to a property AWS cannot update in place is flagged as a
replacement: the resource is deleted and created again, with whatever data it held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .aliases import match_old

SECRET = "[secret]"
UNKNOWN = "[unknown]"

# Input paths whose change makes the provider replace the resource (ForceNew in the AWS provider,
# immutable fields in the EKS/EFS/KMS APIs). A path also covers everything below it.
REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:ec2/subnet:Subnet": ("availabilityZone", "availabilityZoneId", "cidrBlock", "vpcId", "outpostArn"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "allocationId", "connectivityType", "privateIp"),
    "aws:ec2/internetGateway:InternetGateway": (),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType", "vpcId"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name", "namePrefix"),
    "aws:ec2/flowLog:FlowLog": ("vpcId", "subnetId", "logDestination", "logDestinationType", "trafficType"),
    "eks:index:Cluster": (
        "name",
        "vpcId",
        "encryptionConfigKeyArn",
        "kubernetesServiceIpAddressRange",
        "ipFamily",
    ),
    "aws:eks/cluster:Cluster": (
        "name",
        "encryptionConfig.provider.keyArn",
        "kubernetesNetworkConfig.serviceIpv4Cidr",
        "kubernetesNetworkConfig.ipFamily",
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "clusterName",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "subnetIds",
        "capacityType",
        "instanceTypes",
        "diskSize",
        "remoteAccess",
    ),
    "aws:eks/addon:Addon": ("addonName", "clusterName"),
    "aws:eks/accessEntry:AccessEntry": ("clusterName", "principalArn", "type"),
    "aws:efs/fileSystem:FileSystem": (
        "encrypted",
        "kmsKeyId",
        "performanceMode",
        "availabilityZoneName",
        "creationToken",
    ),
    "aws:efs/mountTarget:MountTarget": ("fileSystemId", "subnetId", "ipAddress"),
    "aws:efs/accessPoint:AccessPoint": ("fileSystemId", "posixUser", "rootDirectory"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion", "customKeyStoreId"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:ecr/repository:Repository": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix", "logGroupClass"),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/policy:Policy": ("name", "namePrefix", "path", "description"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("url",),
    "aws:lambda/function:Function": ("name",),
    "aws:sqs/queue:Queue": ("name", "namePrefix", "fifoQueue"),
    "aws:sns/topic:Topic": ("name", "namePrefix", "fifoTopic"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": ("resourceArn",),
    "aws:acm/certificate:Certificate": (
        "domainName",
        "subjectAlternativeNames",
        "keyAlgorithm",
        "validationMethod",
    ),
    "aws:route53/record:Record": ("name", "type", "zoneId", "setIdentifier"),
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
}
# Every Kubernetes object is identified by its name and namespace.
KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")
# Resource options worth a reviewer's eye (the rest of the graph bookkeeping is noise).
OPTIONS = ("protect",)


def _replacing_paths(resource_type: str) -> tuple[str, ...]:
    paths = REPLACE_ON_CHANGE.get(resource_type, ())
    if resource_type.startswith("kubernetes:") and "helm.sh" not in resource_type:
        paths = (*paths, *KUBERNETES_IDENTITY)
    return paths


def _replaces(resource_type: str, path: str) -> bool:
    plain = _strip_indexes(path)
    return any(plain == p or plain.startswith(f"{p}.") for p in _replacing_paths(resource_type))


def _strip_indexes(path: str) -> str:
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _as_document(value: Any) -> Any:
    """A JSON object or array held in a string (IAM policy, Helm values) is compared as data."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _changes(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    before, after = _as_document(before), _as_document(after)
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            yield from _changes(before.get(key), after.get(key), _join(path, str(key)))
        return
    if isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            yield from _changes(old, new, f"{path}[{index}]")
        return
    yield path or "(value)", before, after


def _summary(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "urn": resource["urn"],
        "type": resource["type"],
        "name": resource["name"],
        "protect": bool(resource.get("protect")),
    }


def _resource_changes(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[dict[str, Any]]:
    resource_type = head["type"]
    found = [
        {"path": path, "before": old, "after": new, "replaces": _replaces(resource_type, path)}
        for path, old, new in _changes(base.get("inputs") or {}, head.get("inputs") or {})
    ]
    for option in OPTIONS:
        if bool(base.get(option)) != bool(head.get(option)):
            found.append(
                {
                    "path": f"options.{option}",
                    "before": base.get(option),
                    "after": head.get(option),
                    "replaces": False,
                }
            )
    return found


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any]) -> dict[str, Any]:
    """Resources added, removed and changed from ``base`` to ``head`` (two plan.json documents)."""
    before = {r["urn"]: r for r in base.get("resources", [])}
    after = {r["urn"]: r for r in head.get("resources", [])}
    old_urn = match_old(after.values(), before)
    taken = set(old_urn.values())
    added = [_summary(after[urn]) for urn in after if urn not in old_urn]
    removed = [_summary(before[urn]) for urn in before if urn not in taken]
    aliased = [{**_summary(after[urn]), "from": old} for urn, old in old_urn.items() if old != urn]
    changed = []
    for urn, resource in after.items():
        if urn not in old_urn:
            continue
        properties = _resource_changes(before[old_urn[urn]], resource)
        if properties:
            changed.append(
                {
                    **_summary(resource),
                    "replace": any(p["replaces"] for p in properties),
                    "properties": properties,
                }
            )
    return {
        "base": base.get("stack"),
        "head": head.get("stack"),
        "summary": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "replaced": sum(1 for c in changed if c["replace"]),
            "aliased": len(aliased),
        },
        "added": added,
        "aliased": aliased,
        "removed": removed,
        "changed": changed,
    }


# --- markdown ---------------------------------------------------------------------------------------
MAX_ROWS = 150
MAX_VALUE = 60


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE:
        text = text[: MAX_VALUE - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'").replace("\n", " ") + "`"


def _short_type(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def _resource_rows(resources: list[dict[str, Any]]) -> list[str]:
    rows = ["| resource | type | |", "|---|---|---|"]
    for r in resources[:MAX_ROWS]:
        note = "🔒 protected: `pulumi up` will refuse to delete it" if r.get("protect") else ""
        rows.append(f"| `{r['name']}` | {_short_type(r['type'])} | {note} |")
    if len(resources) > MAX_ROWS:
        rows.append(f"| … and {len(resources) - MAX_ROWS} more | | |")
    return rows


def _alias_rows(resources: list[dict[str, Any]]) -> list[str]:
    rows = ["| resource | type | was |", "|---|---|---|"]
    rows += [f"| `{r['name']}` | {_short_type(r['type'])} | `{r['from']}` |" for r in resources[:MAX_ROWS]]
    if len(resources) > MAX_ROWS:
        rows.append(f"| … and {len(resources) - MAX_ROWS} more | | |")
    return rows


def _change_rows(changed: list[dict[str, Any]]) -> list[str]:
    rows = ["| resource | property | before | after | |", "|---|---|---|---|---|"]
    count = 0
    for resource in changed:
        for prop in resource["properties"]:
            count += 1
            if count > MAX_ROWS:
                continue
            flag = (
                "⚠️ **replace**"
                if prop["replaces"]
                else ("❔ known after deploy" if UNKNOWN in (prop["before"], prop["after"]) else "")
            )
            rows.append(
                f"| `{resource['name']}` ({_short_type(resource['type'])}) | `{prop['path']}` "
                f"| {_cell(prop['before'])} | {_cell(prop['after'])} | {flag} |"
            )
    if count > MAX_ROWS:
        rows.append(f"| … and {count - MAX_ROWS} more property changes | | | | |")
    return rows


def render_markdown(diff: Mapping[str, Any]) -> str:
    """A PR-comment section: counts, replacements first, then the full lists folded away."""
    summary = diff["summary"]
    title = f"### Plan diff `{diff.get('base')}` → `{diff.get('head')}`"
    renamed = (
        f"{summary['aliased']} kept under a new name through their aliases" if summary.get("aliased") else ""
    )
    if not (summary["added"] or summary["removed"] or summary["changed"]):
        return f"{title}\n\nNo resource changes{f' ({renamed})' if renamed else ''}.\n"
    lines = [
        title,
        "",
        f"**{summary['added']} to add, {summary['changed']} to change, {summary['removed']} to delete**"
        + (f", ⚠️ **{summary['replaced']} to replace**" if summary["replaced"] else "")
        + (f"; {renamed}" if renamed else ""),
        "",
    ]
    replaced = [c for c in diff["changed"] if c["replace"]]
    if replaced:
        lines += ["#### ⚠️ Replacements (delete, then create: data in them is lost)", ""]
        for resource in replaced:
            paths = ", ".join(f"`{p['path']}`" for p in resource["properties"] if p["replaces"])
            protected = " — 🔒 protected: `pulumi up` will stop" if resource["protect"] else ""
            lines.append(f"- `{resource['name']}` ({_short_type(resource['type'])}): {paths}{protected}")
        lines.append("")
    protected_removals = [r for r in diff["removed"] if r["protect"]]
    if protected_removals:
        lines += ["#### 🔒 Protected resources removed", ""]
        lines += [f"- `{r['name']}` ({_short_type(r['type'])})" for r in protected_removals]
        lines.append("")
    for label, key, render in (
        ("Changed", "changed", _change_rows),
        ("Added", "added", _resource_rows),
        ("Removed", "removed", _resource_rows),
        ("Kept through aliases", "aliased", _alias_rows),
    ):
        if diff.get(key):
            lines += [
                f"<details><summary>{label} ({len(diff[key])})</summary>",
                "",
                *render(diff[key]),
                "",
                "</details>",
                "",
            ]
    return "\n".join(lines)
