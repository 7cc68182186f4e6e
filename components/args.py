"""The one error a component raises for arguments it cannot build from.

Each component module keeps the only copy of its rules as ``problems(args) -> list[str]``: one line
per problem, each starting with the arg's path (``private_subnet_cidrs: ...``,
``node_groups[0].max_size: ...``). The component raises them as one `ArgsError` before it registers
anything; the stack-file settings call the same function and report each line under the stack key
that feeds the arg (`settings_key` turns the arg path into the key's camelCase spelling).
"""

import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class ArgsError(ValueError):
    """A component was given args it cannot build from; ``problems`` lists each, naming its arg."""

    def __init__(self, component: str, problems: Sequence[str]) -> None:
        self.component = component
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{component} args: {self.problems[0]}"
        else:
            message = f"{component} args:\n" + "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(message)


def check_args(component: str, problems: Sequence[str]) -> None:
    """Raise `ArgsError` if there is any problem; call it before registering any resource."""
    if problems:
        raise ArgsError(component, problems)


def missing_keys(args: Mapping[str, Any], shape: type, path: str = "") -> list[str]:
    """The required keys of the TypedDict `shape` that `args` leaves out, nested ones included.

    What a type checker tells a typed caller; a caller without one (another language through the
    component provider, a dict built at run time) hears it here, before anything else reads `args`.
    """
    annotations = inspect.get_annotations(shape)  # a TypedDict's own, its bases' keys merged in
    found = [f"{path}{key}: required" for key in sorted(shape.__required_keys__) if key not in args]  # type: ignore[attr-defined]
    for key, value in args.items():
        nested = _typeddict_of(annotations.get(key))
        if nested is None:
            continue
        kind, inner = nested
        if kind == "one" and isinstance(value, Mapping):
            found += missing_keys(value, inner, f"{path}{key}.")
        elif kind == "many" and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    found += missing_keys(item, inner, f"{path}{key}[{index}].")
    return found


def _typeddict_of(annotation: Any) -> tuple[str, type] | None:
    """``X``, ``X | None``, ``NotRequired[X]`` -> ("one", X); ``list[X]`` -> ("many", X): X a TypedDict."""
    while typing.get_origin(annotation) in (typing.NotRequired, typing.Required):
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            return None
        annotation = members[0]
    if typing.is_typeddict(annotation):
        return "one", annotation
    if typing.get_origin(annotation) in (list, Sequence) and typing.is_typeddict(
        typing.get_args(annotation)[0]
    ):
        return "many", typing.get_args(annotation)[0]
    return None


def validate_args(
    component: str, args: Mapping[str, Any], shape: type, rules: Callable[[Any], list[str]]
) -> None:
    """Raise one `ArgsError` for `args`: their missing required keys, else what `rules(args)` finds."""
    check_args(component, missing_keys(args, shape) or rules(args))


_SNAKE_PART = re.compile(r"_([a-z0-9])")
# Another arg named inside a problem's text, quoted as ``min_size`` is: `min_size`.
_REFERENCE = re.compile(r"`([a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z][a-z0-9_]*(?:\[\d+\])?)*)`")


def _camel(path: str) -> str:
    return _SNAKE_PART.sub(lambda match: match.group(1).upper(), path)


def settings_key(problem: str) -> str:
    """``"node_groups[0].max_size: must be >= `min_size`"`` -> ``"nodeGroups[0].maxSize: must be >= minSize"``.

    The leading arg path and every other arg quoted in backticks take the stack file's spelling.
    """
    head, sep, rest = problem.partition(": ")
    if not sep or " " in head:
        return _REFERENCE.sub(lambda match: _camel(match.group(1)), problem)
    return _camel(head) + sep + _REFERENCE.sub(lambda match: _camel(match.group(1)), rest)
