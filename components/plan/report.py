"""Human views of a plan: the console tree and ``report.md`` (fit to paste as a PR comment)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from .support import WARN_DAYS


def _components(plan: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str | None, list[str]]]:
    components = {
        r["urn"]: r for r in plan["resources"] if not r["custom"] and not r["type"].startswith("pulumi:")
    }
    children: dict[str | None, list[str]] = defaultdict(list)
    for resource in plan["resources"]:
        children[resource["parent"]].append(resource["urn"])
    return components, children


def _owner(urn: str, by_urn: dict[str, dict[str, Any]], components: dict[str, dict[str, Any]]) -> str | None:
    """The nearest component that contains a resource (itself, for a component)."""
    current: str | None = urn
    while current is not None and current not in components:
        current = by_urn[current]["parent"] if current in by_urn else None
    return current


def console_tree(plan: dict[str, Any]) -> str:
    components, children = _components(plan)
    by_urn = {r["urn"]: r for r in plan["resources"]}
    lines: list[str] = []

    def walk(urn: str, depth: int) -> None:
        component = components[urn]
        own = Counter(by_urn[child]["type"] for child in children[urn] if by_urn[child]["custom"])
        total = sum(own.values())
        lines.append(f"{'  ' * depth}{component['name']} ({component['type']}): {total} resources")
        for token, count in sorted(own.items()):
            lines.append(f"{'  ' * depth}    {count:>3} x {token}")
        for child in children[urn]:
            if child in components:
                walk(child, depth + 1)

    roots = [urn for urn, c in components.items() if c["parent"] not in components]
    for root in roots:
        walk(root, 0)
    summary = plan["summary"]
    lines.append(f"{summary['resources']} resources in stack {plan['stack']}")
    return "\n".join(lines)


def policy_lines(plan: dict[str, Any]) -> str:
    section = plan["policies"]
    results = section["results"]
    lines = [
        f"policies: {len(section['evaluated'])} evaluated, {section['mandatoryViolations']} mandatory violation(s), "
        f"{sum(1 for r in results if r['level'] == 'advisory')} advisory"
    ]
    for result in results:
        lines.append(f"  [{result['level']}] {result['policy']}: {result['message']} ({result['urn']})")
    return "\n".join(lines)


def warning_lines(plan: dict[str, Any]) -> str:
    """One ``warning:`` line per support window that is near or past its end (empty when none)."""
    return "\n".join(f"warning: {warning['message']}" for warning in plan.get("warnings", []))


def secrets_lines(plan: dict[str, Any]) -> str:
    """The secrets a real run will ask for, each with the command that sets it (empty when none)."""
    required = plan.get("secretsRequired", [])
    if not required:
        return ""
    lines = [f"secrets: {len(required)} not set; a real run stops until each is set:"]
    lines += [f"  {secret['command']}" for secret in required]
    return "\n".join(lines)


# Sections of plan.json whose findings a real engine would reject: any one fails the plan (exit 2).
FINDING_SECTIONS = {
    "conformance": "provider input conformance",
    "awsLimits": "AWS name and size limits",
}


def findings(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(section title, finding) for every finding of the plan's engine checks."""
    return [
        (title, finding)
        for key, title in FINDING_SECTIONS.items()
        for finding in plan.get(key, {}).get("findings", [])
    ]


def finding_lines(plan: dict[str, Any]) -> str:
    lines = []
    for key, title in FINDING_SECTIONS.items():
        section = plan.get(key, {"checked": 0, "findings": []})
        lines.append(f"{title}: {section['checked']} checked, {len(section['findings'])} finding(s)")
        for finding in section["findings"]:
            lines.append(f"  {_where(finding)}: {finding['path']}: {finding['message']}")
    return "\n".join(lines)


def _where(finding: dict[str, Any]) -> str:
    return f"{finding['type']} {finding['urn'].rsplit('::', 1)[-1]}"


def _finding_markdown(plan: dict[str, Any]) -> list[str]:
    parts: list[str] = []
    for key, title in FINDING_SECTIONS.items():
        section = plan.get(key, {"checked": 0, "findings": []})
        parts += [f"### {title[0].upper()}{title[1:]}", ""]
        if section.get("largest"):
            parts += ["| quota | largest in this plan | limit | resource |", "|---|---:|---:|---|"]
            for quota, seen in section["largest"].items():
                parts.append(f"| {quota} | {seen['size']:,} | {seen['limit']:,} | `{seen['resource']}` |")
            parts.append("")
        if not section["findings"]:
            parts += [f"{section['checked']} checked, no findings.", ""]
            continue
        parts += ["| resource | path | finding |", "|---|---|---|"]
        for finding in section["findings"]:
            message = finding["message"].replace("|", "\\|")
            parts.append(f"| `{_where(finding)}` | `{finding['path']}` | {message} |")
        parts.append("")
    return parts


def _node_id(urn: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", urn.rsplit("::", maxsplit=1)[-1])


def mermaid(plan: dict[str, Any]) -> str:
    """Components as nested boxes; an arrow where one component's resources use another's."""
    components, children = _components(plan)
    by_urn = {r["urn"]: r for r in plan["resources"]}
    lines = ["flowchart LR"]

    def walk(urn: str, depth: int) -> None:
        component = components[urn]
        nested = [child for child in children[urn] if child in components]
        count = sum(1 for child in children[urn] if by_urn[child]["custom"])
        label = f"{component['name']}<br/>{component['type'].split(':')[-1]} · {count} resources"
        indent = "  " * (depth + 1)
        if nested:
            lines.append(f'{indent}subgraph {_node_id(urn)}_group["{component["name"]}"]')
            lines.append(f'{indent}  {_node_id(urn)}["{label}"]')
            for child in nested:
                walk(child, depth + 1)
            lines.append(f"{indent}end")
        else:
            lines.append(f'{indent}{_node_id(urn)}["{label}"]')

    for root in [urn for urn, c in components.items() if c["parent"] not in components]:
        walk(root, 0)
    edges = set()
    for resource in plan["resources"]:
        source = _owner(resource["urn"], by_urn, components)
        for dependency in resource["dependencies"]:
            target = _owner(dependency, by_urn, components)
            if source and target and source != target and not _is_ancestor(target, source, by_urn):
                edges.add((source, target))
    for source, target in sorted(edges):
        lines.append(f"  {_node_id(source)} --> {_node_id(target)}")
    return "\n".join(lines)


def _is_ancestor(candidate: str, urn: str, by_urn: dict[str, dict[str, Any]]) -> bool:
    current = by_urn.get(urn, {}).get("parent")
    while current is not None:
        if current == candidate:
            return True
        current = by_urn.get(current, {}).get("parent")
    return False


LONG_STEP_SECONDS = 60
"""Resources at least this long get their own bar in the Gantt chart; the rest share their component's."""
ADDONS_SECTION = "add-ons"


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _gantt_label(text: str) -> str:
    return re.sub(r"[:;#]", " ", text)


def gantt(plan: dict[str, Any]) -> str:
    """The deploy as a Mermaid Gantt chart: a section per main component (the platform's own
    components, the add-ons together), a bar per long resource, one for its other AWS resources
    and one for its other in-cluster resources."""
    section = plan["criticalPath"]["deploy"]
    steps: dict[str, list[int]] = section["steps"]
    critical = {step["urn"] for step in section["chain"]}
    by_urn = {r["urn"]: r for r in plan["resources"]}
    components, _ = _components(plan)
    top = [c for c in components.values() if c["parent"] not in components]
    # One program-wide component (the Platform): its components are the main ones.
    roots = [c for c in components.values() if c["parent"] == top[0]["urn"]] if len(top) == 1 else top

    def main_component(urn: str) -> str | None:
        current = by_urn.get(urn)
        while current is not None and current not in roots:
            current = by_urn.get(current["parent"]) if current["parent"] else None
        return current["urn"] if current is not None else None

    bars: dict[str, list[tuple[str, int, int, bool]]] = defaultdict(list)
    rest: dict[tuple[str, str], list[int]] = {}
    for resource in plan["resources"]:
        owner = main_component(resource["urn"])
        start, finish = steps[resource["urn"]]
        if owner is None or finish == start:
            continue
        key = (
            ADDONS_SECTION if by_urn[owner]["type"] == "kubeboard:index:HelmAddOn" else by_urn[owner]["name"]
        )
        if finish - start >= LONG_STEP_SECONDS:
            bars[key].append((resource["name"], start, finish, resource["urn"] in critical))
        elif key != ADDONS_SECTION:
            kind = "in-cluster resources" if resource["type"].startswith("kubernetes:") else "AWS resources"
            first, last = rest.get((key, kind), [start, finish])
            rest[(key, kind)] = [min(first, start), max(last, finish)]
    for (key, kind), (start, finish) in rest.items():
        bars[key].append((kind, start, finish, False))
    lines = [
        "gantt",
        f"  title Deploy, modeled: {_clock(section['seconds'])} (minutes:seconds)",
        "  dateFormat X",
        "  axisFormat %M:%S",
    ]
    for key in sorted(bars, key=lambda k: (min(bar[1] for bar in bars[k]), k)):
        lines.append(f"  section {_gantt_label(key)}")
        for name, start, finish, on_path in sorted(bars[key], key=lambda bar: (bar[1], bar[0])):
            tag = "crit, " if on_path else ""
            lines.append(f"  {_gantt_label(name)} :{tag}{start}, {finish}")
    return "\n".join(lines)


def critical_path_line(plan: dict[str, Any]) -> str:
    deploy, destroy = plan["criticalPath"]["deploy"], plan["criticalPath"]["destroy"]
    floor = (
        f" (EKS floor {deploy['floorSeconds']} s, x{deploy['ratioToFloor']})"
        if deploy["floorSeconds"]
        else ""
    )
    return f"modeled deploy critical path: {deploy['seconds']} s{floor}; destroy: {destroy['seconds']} s"


def critical_path_markdown(plan: dict[str, Any]) -> list[str]:
    """The deploy critical path (chain, total, Gantt chart) and the destroy estimate."""
    section = plan["criticalPath"]
    deploy, destroy = section["deploy"], section["destroy"]
    floor = deploy["floorSeconds"]
    against_floor = (
        f" against an EKS floor of {floor} s ({_clock(floor)}; ratio {deploy['ratioToFloor']})"
        if floor
        else ""
    )
    parts = [
        "### Time to a working platform (modeled)",
        "",
        f"First `pulumi up`: **{deploy['seconds']} s** ({_clock(deploy['seconds'])}){against_floor}. "
        f"Durations per resource type: {', '.join(section['durations'])}.",
        "",
        "| starts | takes | resource | type |",
        "|---:|---:|---|---|",
    ]
    parts += [
        f"| {_clock(step['start'])} | {step['seconds']} s | `{step['name']}` | `{step['type']}` |"
        for step in deploy["chain"]
    ]
    parts += ["", "```mermaid", gantt(plan), "```", ""]
    parts += [
        f"`pulumi destroy`: **{destroy['seconds']} s** ({_clock(destroy['seconds'])}). "
        "Helm releases are uninstalled in this order (an Ingress-making release goes while the ALB "
        "controller and external-dns still run, so its ALB and DNS records go with it):",
        "",
    ]
    parts += [
        f"{index}. {_clock(step['start'])} `{step['name']}`"
        for index, step in enumerate(destroy["releaseOrder"], 1)
    ]
    if destroy["protected"]:
        parts += [
            "",
            f"{len(destroy['protected'])} protected resources must be unprotected before `pulumi destroy` "
            "can delete them (see the README's destroy section).",
        ]
    unexplained = plan.get("unexplainedWaits") or []
    if unexplained:
        parts += ["", f"**{len(unexplained)} wait(s) between components without a reason:**", ""]
        parts += [
            f"- `{w['urn'].split('::')[-1]}` waits for `{w['waitsFor'].split('::')[-1]}`" for w in unexplained
        ]
    return [*parts, ""]


def markdown(plan: dict[str, Any], diff_markdown: str | None = None) -> str:
    section = plan["policies"]
    status = "passes" if section["mandatoryViolations"] == 0 else "**fails**"
    parts = [
        f"## Kubeboard plan: `{plan['project']}` / `{plan['stack']}`",
        "",
        f"{plan['summary']['resources']} resources; policy check {status} "
        f"({len(section['evaluated'])} policies, {section['mandatoryViolations']} mandatory violations).",
        "",
    ]
    if plan.get("warnings"):
        parts += ["### Support windows", "", f"Within {WARN_DAYS} days of their support end, or past it:", ""]
        parts += [f"- {warning['message']}" for warning in plan["warnings"]]
        parts.append("")
    if diff_markdown:
        parts += [diff_markdown, ""]
    if plan.get("secretsRequired"):
        parts += [
            "### Secrets a real run will ask for",
            "",
            "Set once per installation; the plan used placeholders.",
            "",
        ]
        parts += [f"- `{secret['command']}`" for secret in plan["secretsRequired"]]
        parts += [""]
    parts += ["### Resources by type", "", "| type | count |", "|---|---:|"]
    parts += [f"| `{token}` | {count} |" for token, count in plan["summary"]["byType"].items()]
    parts += ["", "### Policies", ""]
    if section["results"]:
        parts += ["| level | policy | resource | message |", "|---|---|---|---|"]
        for result in section["results"]:
            where = f"`{result['urn'].split('::')[-1]}`" if result["urn"] else "stack"
            message = result["message"].replace("|", "\\|")
            parts.append(f"| {result['level']} | `{result['policy']}` | {where} | {message} |")
    else:
        parts.append(f"All {len(section['evaluated'])} policies pass.")
    parts += ["", *_finding_markdown(plan)]
    parts += ["", *critical_path_markdown(plan)]
    parts += ["### Architecture", "", "```mermaid", mermaid(plan), "```", ""]
    return "\n".join(parts)
