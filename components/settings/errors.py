"""Turn validation failures into one line per problem that names the stack file and the key."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

NAMESPACE = "kubeboard"


class SettingsError(Exception):
    """A stack file holds settings the platform cannot be built from; ``problems`` lists each one."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


def key_path(location: Sequence[int | str]) -> str:
    """``("cluster", "nodeGroups", 0, "maxSize")`` -> ``kubeboard:cluster.nodeGroups[0].maxSize``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return f"{NAMESPACE}:{text}" if text else NAMESPACE


# Messages of our own validators start with "<key>: " (see CONTRIBUTING.md) so they can point
# below the model they validate.
def _split_own_key(message: str) -> tuple[list[str], str]:
    head, sep, rest = message.partition(": ")
    if sep and head and " " not in head and not head.endswith("."):
        return head.split("."), rest
    return [], message


_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "float_type": "must be a number",
}


def describe(error: ErrorDetails) -> tuple[list[int | str], str]:
    """The location (below the namespace) and a readable message for one pydantic error."""
    location: list[int | str] = [part for part in error["loc"] if not _is_union_tag(part)]
    kind = error["type"]
    if kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        extra, message = _split_own_key(message)
        location.extend(extra)
    elif kind in {"enum", "literal_error"}:
        message = f"must be one of {error['ctx']['expected']}"
    elif kind in _FRIENDLY:
        message = _FRIENDLY[kind]
        if kind.endswith("_type") and "input" in error:
            message += f" (got {type(error['input']).__name__} {error['input']!r})"
    else:
        message = error["msg"]
    return location, message


def _is_union_tag(part: int | str) -> bool:
    # pydantic adds the chosen member's name for tagged unions and function validators.
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def from_validation_error(source: str, error: ValidationError) -> SettingsError:
    problems = []
    for detail in error.errors(include_url=False):
        location, message = describe(detail)
        problems.append(f"{key_path(location)}: {message}")
    return SettingsError(source, problems)
