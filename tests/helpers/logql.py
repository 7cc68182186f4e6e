"""A structural check of LogQL alerting rules, for the Loki ruler files promtool cannot read.

It does not implement LogQL; it verifies the shape the platform relies on: a metric query that
aggregates a log range over a stream selector which cannot match every stream by accident, with
valid line-filter regular expressions, a range, and a numeric threshold.
"""

from __future__ import annotations

import re
from typing import Any

SEVERITIES = frozenset({"critical", "warning", "info"})
_DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")
_ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
_RANGE_AGGREGATION = re.compile(
    r"\b(rate|count_over_time|bytes_rate|bytes_over_time)\s*\(\s*\{(?P<selector>[^}]*)\}"
    r"(?P<pipeline>[^\[]*)\[(?P<range>[^\]]+)\]\s*\)"
)
_LINE_FILTER = re.compile(r'(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"')
_OUTER = re.compile(r"^\s*(sum|max|avg|count|topk)\s+by\s*\((?P<labels>[^)]*)\)\s*\(", re.S)
_THRESHOLD = re.compile(r"\)\s*(>|>=|<|<=|==|!=)\s*(\d+(\.\d+)?)\s*$")


def _unquote(text: str) -> str:
    """A LogQL double-quoted string's value (Go escapes: only backslash-escapes matter here)."""
    return re.sub(r"\\(.)", r"\1", text)


def _balanced(expr: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    in_string = False
    escaped = False
    for char in expr:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack and not in_string


def expression_problems(expr: str) -> list[str]:
    """Why ``expr`` is not a well-formed per-label LogQL alert expression (empty list when it is)."""
    problems: list[str] = []
    if not _balanced(expr):
        return ["unbalanced brackets or quotes"]
    outer = _OUTER.match(expr)
    if not outer:
        problems.append("must start with an aggregation `sum by (<labels>) (`")
    aggregation = _RANGE_AGGREGATION.search(expr)
    if not aggregation:
        problems.append('needs a log range aggregation such as rate({...} |~ "..." [5m])')
        return problems
    if not _DURATION.match(aggregation["range"].strip()):
        problems.append(f"range [{aggregation['range']}] is not a duration")
    matchers = _MATCHER.findall(aggregation["selector"])
    rebuilt = ",".join(f'{name}{op}"{value}"' for name, op, value in matchers)
    if not matchers or rebuilt.replace(" ", "") != aggregation["selector"].replace(" ", "").rstrip(","):
        problems.append(f"stream selector {{{aggregation['selector']}}} is not a list of label matchers")
    elif not any(
        (op == "=" and value) or (op == "=~" and re.fullmatch(_unquote(value), "") is None)
        for _, op, value in matchers
    ):
        problems.append("the stream selector needs a matcher that cannot match the empty value")
    for _, pattern in _LINE_FILTER.findall(aggregation["pipeline"]):
        try:
            re.compile(_unquote(pattern))
        except re.error as error:
            problems.append(f"line filter {pattern!r} is not a valid regular expression: {error}")
    if outer:
        grouped = {label.strip() for label in outer["labels"].split(",") if label.strip()}
        selected = {name for name, _, _ in matchers}
        missing = grouped - selected
        if missing:
            problems.append(f"groups by {sorted(missing)} which the stream selector never constrains")
    if not _THRESHOLD.search(expr):
        problems.append("must end with a numeric threshold comparison, e.g. `) > 0.5`")
    return problems


def rule_file_problems(document: Any) -> list[str]:
    """Why a Loki ruler file is malformed, rule by rule (empty list when it is fine)."""
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("groups"), list)
        or not document["groups"]
    ):
        return ["a rule file is a mapping with a non-empty 'groups' list"]
    problems: list[str] = []
    for group in document["groups"]:
        name = group.get("name") if isinstance(group, dict) else None
        if not name or not isinstance(group.get("rules"), list) or not group["rules"]:
            problems.append(f"group {name!r}: needs a name and a non-empty 'rules' list")
            continue
        if "interval" in group and not _DURATION.match(str(group["interval"])):
            problems.append(f"group {name}: interval {group['interval']!r} is not a duration")
        for rule in group["rules"]:
            where = f"group {name}, rule {rule.get('alert', '?')}"
            if not _ALERT_NAME.match(str(rule.get("alert", ""))):
                problems.append(f"{where}: 'alert' must be a CamelCase name")
            if not _DURATION.match(str(rule.get("for", ""))):
                problems.append(f"{where}: 'for' must be a duration")
            if rule.get("labels", {}).get("severity") not in SEVERITIES:
                problems.append(f"{where}: labels.severity must be one of {sorted(SEVERITIES)}")
            annotations = rule.get("annotations", {})
            if not annotations.get("summary") or not annotations.get("description"):
                problems.append(f"{where}: needs 'summary' and 'description' annotations")
            problems.extend(
                f"{where}: {problem}" for problem in expression_problems(str(rule.get("expr", "")))
            )
    return problems
