"""The old URNs a resource may be known by: its ``aliases`` turned into URNs as the engine does.

Ported from the engine's step generator (pkg/resource/deploy/step_generator.go:
``collapseAliasToUrn``, ``inheritedChildAlias``, ``generateAliases``). The engine multiplies a
child's aliases by the one alias its parent matched in the old state; the plan has no state, so it
multiplies by every alias of the parent: the list then holds every old URN the engine could match,
and the diff (diff.py) matches them against the base plan in the engine's order.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class AliasSpec:
    """One ``pulumi.Alias`` as the SDK sends it; empty fields mean "as the resource is now"."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent_urn: str = ""
    no_parent: bool = False


def stack_and_project(urn: str) -> tuple[str, str]:
    stack, project, _ = urn.removeprefix("urn:pulumi:").split("::", 2)
    return stack, project


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def urn_type(urn: str) -> str:
    return qualified_type(urn).rsplit("$", 1)[-1]


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    """``resource.CreateURN``: a child's qualified type carries its parent's (the root stack's is left out)."""
    qualified = f"{qualified_type(parent)}${type_}" if parent else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def _parent_is_root(parent: str) -> bool:
    return bool(parent) and qualified_type(parent) == ROOT_STACK_TYPE


def collapse(alias: AliasSpec, *, name: str, type_: str, parent: str, project: str, stack: str) -> list[str]:
    """``collapseAliasToUrn`` for each old URN the alias's explicit parent may have had."""
    if alias.urn:
        return [alias.urn]
    parents = [alias.parent_urn or parent]
    if alias.no_parent or _parent_is_root(parents[0]):
        parents = [""]
    return [
        create_urn(
            alias.name or name,
            alias.type or type_,
            old_parent,
            alias.project or project,
            alias.stack or stack,
        )
        for old_parent in parents
    ]


def inherited_child_alias(
    child_type: str, child_name: str, parent_name: str, parent_alias: str, *, project: str, stack: str
) -> str:
    """A child named ``<parent>-x`` keeps the ``-x`` when its parent had another name."""
    alias_name = child_name
    if child_name.startswith(parent_name):
        alias_name = urn_name(parent_alias) + child_name[len(parent_name) :]
    return f"urn:pulumi:{stack}::{project}::{qualified_type(parent_alias)}${child_type}::{alias_name}"


def alias_urns(
    *,
    urn: str,
    name: str,
    type_: str,
    parent: str,
    specs: Iterable[AliasSpec],
    known: Mapping[str, list[str]],
) -> list[str]:
    """Every old URN of one registration: its own aliases, then those inherited from its parent's.

    ``known`` holds the alias URNs already worked out for earlier registrations (parents register
    before their children); an alias naming an aliased parent is collapsed under each of its URNs.
    """
    stack, project = stack_and_project(urn)
    own: list[str] = []
    for spec in specs:
        explicit_parent = spec.parent_urn
        variants = [spec]
        if explicit_parent and not spec.no_parent:
            variants += [replace(spec, parent_urn=old) for old in known.get(explicit_parent, [])]
        for variant in variants:
            own += collapse(variant, name=name, type_=type_, parent=parent, project=project, stack=stack)
    result = list(own)
    if parent:
        for parent_alias in known.get(parent, []):
            here = {"project": project, "stack": stack}
            result.append(inherited_child_alias(type_, name, urn_name(parent), parent_alias, **here))
            result += [
                inherited_child_alias(
                    urn_type(alias), urn_name(alias), urn_name(parent), parent_alias, **here
                )
                for alias in own
            ]
    return [alias for alias in dict.fromkeys(result) if alias != urn]


def match_old(head: Iterable[Mapping[str, Any]], base_urns: Iterable[str]) -> dict[str, str]:
    """Each head URN found in the base -> the base URN it takes over (itself, or one of its aliases).

    As the engine: the URN itself first, then the aliases in order; an old URN is taken once.
    """
    olds = set(base_urns)
    resources = list(head)
    matched = {str(r["urn"]): str(r["urn"]) for r in resources if r["urn"] in olds}
    taken = set(matched)
    for resource in resources:
        urn = str(resource["urn"])
        if urn in matched:
            continue
        alias = next((a for a in resource.get("aliases") or [] if a in olds and a not in taken), None)
        if alias is not None:
            taken.add(str(alias))
            matched[urn] = str(alias)
    return matched
