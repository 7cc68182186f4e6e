"""Tie each recorded ``depends_on`` between components to the reason given with `ordering.after`.

A wait crosses components when a component's registration carries an explicit dependency, or a
resource explicitly waits for something outside its own component. Each such wait must have been
written with `after(..., reason=...)`; the plan lists every one that was not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.runtime.sync_await import _sync_await

from ..ordering import Wait


def _resolved_urn(resource: Any) -> str | None:
    try:
        urn: str | None = _sync_await(resource.urn.future())
        return urn
    except Exception:  # a resource the run never registered (e.g. it failed before): no URN
        return None


def _descendants(resources: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Each URN with itself and everything below it, as a dependency on it expands."""
    children: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        if resource["parent"]:
            children[resource["parent"]].append(resource["urn"])
    below: dict[str, set[str]] = {}
    for resource in resources:
        seen, todo = {resource["urn"]}, [resource["urn"]]
        while todo:
            for child in children[todo.pop()]:
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        below[resource["urn"]] = seen
    return below


def _owner(urn: str, by_urn: Mapping[str, Mapping[str, Any]], parents: set[str]) -> str | None:
    """The local component a resource belongs to (itself, for one). A remote component (one
    registration, no children under the mock runtime) belongs to its parent, as a resource does."""
    current = by_urn.get(urn)
    while current is not None and (current["custom"] or current["urn"] not in parents):
        current = by_urn.get(current["parent"]) if current["parent"] else None
    return current["urn"] if current is not None else None


def crossing_waits(resources: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Per resource, the explicit dependencies that reach outside its own component."""
    by_urn = {r["urn"]: r for r in resources}
    below = _descendants(resources)
    parents = {r["parent"] for r in resources if r["parent"]}
    crossing: dict[str, list[str]] = {}
    for resource in resources:
        owner = _owner(resource["urn"], by_urn, parents)
        inside = below.get(owner, set()) if owner and owner != resource["urn"] else set()
        outside = [urn for urn in resource.get("dependsOn") or () if urn not in inside]
        if outside:
            crossing[resource["urn"]] = outside
    return crossing


def resolve(waits: Sequence[Wait]) -> list[tuple[str, list[str]]]:
    """Each declared wait as its reason and the URNs it waits for (once the program has run)."""
    return [(wait.reason, [urn for r in wait.resources if (urn := _resolved_urn(r))]) for wait in waits]


def annotate(resources: list[dict[str, Any]], waits: Sequence[tuple[str, list[str]]]) -> list[dict[str, str]]:
    """Add ``waitReasons`` to each resource that waits across components; return the waits
    without a reason (resource and dependency URNs). `waits` come from `resolve`."""
    below = _descendants(resources)
    declared = [(reason, [below.get(urn, {urn}) for urn in urns]) for reason, urns in waits]
    unexplained: list[dict[str, str]] = []
    by_urn = {r["urn"]: r for r in resources}
    for urn, outside in crossing_waits(resources).items():
        own = set(by_urn[urn].get("dependsOn") or ())
        # A declared wait explains this resource when each thing it names is among its waits;
        # one whose names are a strict part of another candidate's was written for another resource.
        candidates = [
            (reason, set().union(*groups))
            for reason, groups in declared
            if groups and all(group & own for group in groups)
        ]
        chosen = [(r, urns) for r, urns in candidates if not any(urns < other for _, other in candidates)]
        covered: set[str] = set().union(*(urns for _, urns in chosen))
        if chosen:
            by_urn[urn]["waitReasons"] = sorted({reason for reason, _ in chosen})
        unexplained += [
            {"urn": urn, "waitsFor": dependency} for dependency in outside if dependency not in covered
        ]
    return unexplained
