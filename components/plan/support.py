"""Support-window warnings: what the plan deploys, or the repository pins, near or past its end.

The dates live in ``support_windows.yaml`` beside this module. A plan warns for an entry whose
``supportEnds`` (or, without a published end, ``reviewBy``) is at most ``WARN_DAYS`` days after the
plan's date or already behind it, and for a version the stack deploys that the file does not list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WINDOWS_FILE = Path(__file__).with_name("support_windows.yaml")
WARN_DAYS = 60

# The kinds a plan can see, and where: resource type -> (kind, name of the thing, its version).
_DEPLOYED = {
    "eks:index:Cluster": lambda inputs: ("kubernetes", "eks", inputs.get("version")),
    "aws:eks/addon:Addon": lambda inputs: ("eks-addon", inputs.get("addonName"), inputs.get("addonVersion")),
    "kubernetes:helm.sh/v3:Release": lambda inputs: (
        "helm-chart",
        inputs.get("chart"),
        inputs.get("version"),
    ),
    "aws:lambda/function:Function": lambda inputs: ("lambda-runtime", "aws-lambda", inputs.get("runtime")),
}
STACK_KINDS = frozenset({"kubernetes", "eks-addon", "helm-chart", "lambda-runtime"})
# What the cluster's upgrade policy makes of the end of standard support.
_AT_THE_END = {
    "STANDARD": "upgradePolicy STANDARD: EKS then upgrades the control plane itself, and the stack file "
    "must follow before the next up",
    "EXTENDED": "upgradePolicy EXTENDED: the cluster then runs in extended support, billed per hour",
}


@dataclass(frozen=True)
class Window:
    kind: str
    name: str
    version: str
    ends: datetime.date
    published: bool
    """``supportEnds`` (published by the vendor) rather than ``reviewBy`` (our own re-check date)."""
    basis: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.version)


def load_windows(path: Path = WINDOWS_FILE) -> list[Window]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
    windows = []
    for entry in entries:
        published = "supportEnds" in entry
        windows.append(
            Window(
                kind=entry["kind"],
                name=entry["name"],
                version=str(entry["version"]),
                ends=entry["supportEnds"] if published else entry["reviewBy"],
                published=published,
                basis=entry["basis"],
            )
        )
    return windows


def deployed_versions(resources: Iterable[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(kind, name, version) of everything with a support window that the plan deploys."""
    found = set()
    for resource in resources:
        read = _DEPLOYED.get(resource["type"])
        if read is None:
            continue
        kind, name, version = read(resource.get("inputs") or {})
        if isinstance(name, str) and isinstance(version, str):
            found.add((kind, name, version))
    return found


def _upgrade_policy(resources: Iterable[dict[str, Any]]) -> str | None:
    for resource in resources:
        if resource["type"] == "eks:index:Cluster":
            policy = (resource.get("inputs") or {}).get("upgradePolicy") or {}
            return policy.get("supportType")
    return None


def _warning(window: Window, today: datetime.date, consequence: str | None = None) -> dict[str, Any] | None:
    days_left = (window.ends - today).days
    if days_left > WARN_DAYS:
        return None
    subject = f"{window.kind} {window.name} {window.version}"
    if window.published:
        when = f"ended on {window.ends}" if days_left < 0 else f"ends on {window.ends} (in {days_left} days)"
        message = f"{subject}: support {when}; {window.basis}"
        if consequence:
            message += f"; {consequence}"
    else:
        when = (
            f"was due on {window.ends}" if days_left < 0 else f"is due by {window.ends} (in {days_left} days)"
        )
        message = f"{subject}: no published support end; its review {when}; {window.basis}"
    return {
        "kind": window.kind,
        "name": window.name,
        "version": window.version,
        "supportEnds": window.ends.isoformat() if window.published else None,
        "reviewBy": None if window.published else window.ends.isoformat(),
        "daysLeft": days_left,
        "message": message,
    }


def _unrecorded(missing: Iterable[tuple[str, str, str]]) -> Iterator[dict[str, Any]]:
    for kind, name, version in sorted(missing):
        yield {
            "kind": kind,
            "name": name,
            "version": version,
            "supportEnds": None,
            "reviewBy": None,
            "daysLeft": None,
            "message": f"{kind} {name} {version}: deployed, but its support end is not recorded in "
            f"components/plan/support_windows.yaml (and VERSIONS.md)",
        }


def support_warnings(
    resources: Iterable[dict[str, Any]], today: datetime.date, windows: list[Window] | None = None
) -> list[dict[str, Any]]:
    """Warnings for the plan's ``warnings`` list, soonest end first, unrecorded versions last."""
    resources = list(resources)
    windows = load_windows() if windows is None else windows
    deployed = deployed_versions(resources)
    relevant = [w for w in windows if w.kind not in STACK_KINDS or w.key in deployed]
    at_the_end = _AT_THE_END.get(_upgrade_policy(resources) or "")
    warnings = [
        warning
        for window in relevant
        if (warning := _warning(window, today, at_the_end if window.kind == "kubernetes" else None))
        is not None
    ]
    warnings.sort(key=lambda warning: warning["daysLeft"])
    recorded = {window.key for window in windows}
    return warnings + list(_unrecorded(deployed - recorded))
