"""Linking resources in a stack policy: which bucket a public access block belongs to, and so on.

A companion resource names its target by an input (``bucket``, ``vpcId``, ``fileSystemId``) whose
value is the target's id, name or ARN, and it depends on the target. Under the CLI stack policies
see outputs (which carry ``id``); the offline evaluator adds the mock ``id`` to the inputs the same
way. Either link is accepted, so both worlds agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from kubeboard_policy.props import get, items

# Properties through which other resources refer to a resource.
_IDENTITY_KEYS = ("id", "arn", "bucket", "name")


def _known(props: object, key: str) -> list[object]:
    """The values of ``key``; a value not known until deployment links by dependency instead."""
    try:
        return list(items(get(props, key)))
    except UnknownValueError:
        return []


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    wanted = frozenset(types)
    return [r for r in resources if r.resource_type in wanted]


class Links:
    """Answers "which of ``targets`` does each companion point at through ``key``"."""

    def __init__(self, targets: Sequence[PolicyResource]) -> None:
        self._by_identity: dict[str, PolicyResource] = {}
        self._by_urn = {t.urn: t for t in targets}
        for target in targets:
            for key in _IDENTITY_KEYS:
                for value in _known(target.props, key):
                    if isinstance(value, str) and value:
                        self._by_identity.setdefault(value, target)

    def targets(self, companion: PolicyResource, key: str) -> list[PolicyResource]:
        found: dict[str, PolicyResource] = {}
        for value in _known(companion.props, key):
            if isinstance(value, str) and value in self._by_identity:
                target = self._by_identity[value]
                found[target.urn] = target
        if not found:
            for dependency in companion.dependencies:
                if dependency.urn in self._by_urn:
                    found[dependency.urn] = dependency
        return list(found.values())

    def group(self, companions: Iterable[PolicyResource], key: str) -> dict[str, list[PolicyResource]]:
        """Target URN -> the companions that point at it."""
        grouped: dict[str, list[PolicyResource]] = defaultdict(list)
        for companion in companions:
            for target in self.targets(companion, key):
                grouped[target.urn].append(companion)
        return grouped
