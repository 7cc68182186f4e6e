"""The rules the Pulumi CLI applies to ``Pulumi.yaml`` before it runs a program.

A port of ``ValidateProject``, ``RewriteShorthandConfigValues``, ``RewriteConfigPathIntoStackConfigDir``
and ``Project.Validate`` (pulumi/pulumi ``sdk/go/common/workspace/project.go`` and its schema
``project.json``), with the CLI's own wording so a message here reads as the CLI would print it.
Where the CLI stops at the first problem, this reports every one, each with the key it concerns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

ARRAY = "array"
SIMPLE_TYPES = ("string", "integer", "boolean", ARRAY)
# The attributes a config declaration may carry (project.json, configTypeDeclaration).
DECLARATION_ATTRIBUTES = ("type", "items", "description", "secret", "default", "value")
_MAX_SUGGESTION_DISTANCE = 2
_OPTIONAL_TEXT = ("main", "description", "author", "website", "license", "stackConfigDir")


@dataclass(frozen=True)
class ItemsType:
    type: str
    items: ItemsType | None = None


@dataclass(frozen=True)
class ConfigDeclaration:
    """One entry of the project's ``config:`` block after the shorthand is expanded."""

    type: str | None = None
    items: ItemsType | None = None
    description: str = ""
    default: Any = None
    value: Any = None
    secret: bool = False

    @property
    def explicitly_typed(self) -> bool:
        return self.type is not None


@dataclass(frozen=True)
class Project:
    name: str
    main: str | None
    stack_config_dir: str | None
    config: dict[str, ConfigDeclaration]


class ProjectProblems(Exception):
    """``Pulumi.yaml`` breaks the CLI's rules; ``problems`` holds one ``(key, message)`` per rule broken."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems))


def namespaced_by_project(project_name: str, key: str) -> bool:
    """A bare key, or one in the project's own namespace (``kubeboard:platform``)."""
    return ":" not in key or key.startswith(f"{project_name}:")


def full_key(project_name: str, key: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_primitive(value: Any) -> bool:
    # Go's isPrimitiveValue: string, int or bool (a YAML float is not one).
    return isinstance(value, str | bool) or _is_int(value)


def matches_type(type_name: str, items: ItemsType | None, value: Any) -> bool:
    """``ValidateConfigValue``: whether a value (as YAML or the config store holds it) fits a declared type."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if _is_int(value):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        # Stack values are stored as text: "20" is an integer (Go's strconv.Atoi).
        return isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value) is not None
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if not isinstance(value, list) or items is None:
        return False
    return all(matches_type(items.type, items.items, item) for item in value)


def full_type_name(type_name: str, items: ItemsType | None) -> str:
    """``InferFullTypeName``: ``array<string>``, ``array<array<integer>>``."""
    if items is not None:
        return f"array<{full_type_name(items.type, items.items)}>"
    return type_name


def _items(raw: Any, where: str, problems: list[tuple[str, str]]) -> ItemsType | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "type" not in raw:
        problems.append((where, "'items' must be an object with a 'type' attribute"))
        return None
    if raw["type"] not in SIMPLE_TYPES:
        problems.append((where, f"items type {raw['type']!r} must be one of {', '.join(SIMPLE_TYPES)}"))
        return None
    nested = _items(raw.get("items"), where, problems)
    if raw["type"] == ARRAY and nested is None:
        problems.append((where, "an items type 'array' must give its own 'items'"))
    return ItemsType(raw["type"], nested)


def _declaration(project_name: str, key: str, raw: Any, problems: list[tuple[str, str]]) -> ConfigDeclaration:
    if _is_primitive(raw) or isinstance(raw, list):
        # The shorthand: a default for the project's own keys, a value for anyone else's.
        if namespaced_by_project(project_name, key):
            return ConfigDeclaration(default=raw)
        return ConfigDeclaration(value=raw)
    if not isinstance(raw, dict):
        problems.append((key, "must be a string, integer, boolean, array or a config type declaration"))
        return ConfigDeclaration()
    unknown = sorted(set(raw) - set(DECLARATION_ATTRIBUTES))
    if unknown:
        allowed = ", ".join(f"'{name}'" for name in DECLARATION_ATTRIBUTES)
        problems += [
            (key, f"additional property '{name}' not allowed (allowed: {allowed})") for name in unknown
        ]
    type_name = raw.get("type")
    if type_name is not None and type_name not in SIMPLE_TYPES:
        problems.append((key, f"type {type_name!r} must be one of {', '.join(SIMPLE_TYPES)}"))
        type_name = None
    secret = raw.get("secret", False)
    if not isinstance(secret, bool):
        problems.append((key, "'secret' must be true or false"))
    return ConfigDeclaration(
        type=type_name,
        items=_items(raw.get("items"), key, problems),
        description=str(raw.get("description") or ""),
        default=raw.get("default"),
        value=raw.get("value"),
        secret=secret is True,
    )


def _declaration_problems(project_name: str, key: str, declaration: ConfigDeclaration) -> list[str]:
    """``Project.Validate`` for one config key."""
    if declaration.default is not None and declaration.value is not None:
        return [f"project config '{key}' cannot have both a 'default' and 'value' attribute"]
    if namespaced_by_project(project_name, key):
        if declaration.type == ARRAY and declaration.items is None:
            return [
                f"The configuration key '{key}' declares an array "
                "but does not specify the underlying type via the 'items' attribute"
            ]
        typed_default = declaration.type is not None and declaration.default is not None
        if typed_default and not matches_type(declaration.type or "", declaration.items, declaration.default):
            expected = full_type_name(declaration.type or "", declaration.items)
            return [
                f"The default value specified for configuration key '{key}' "
                f"is not of the expected type '{expected}'"
            ]
        return []
    if declaration.explicitly_typed:
        return [f"Configuration key '{key}' is not namespaced by the project and should not define a type"]
    if declaration.default is not None:
        return [
            f"Configuration key '{key}' is not namespaced by the project and should not define a default "
            "value. Did you mean to use the 'value' attribute instead of 'default'?"
        ]
    if declaration.value is None:
        return [f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"]
    return []


def _runtime_problems(runtime: Any) -> list[tuple[str, str]]:
    if isinstance(runtime, str) and runtime:
        return []
    if isinstance(runtime, dict):
        unknown = sorted(set(runtime) - {"name", "options"})
        problems = [("runtime", f"additional property '{name}' not allowed") for name in unknown]
        if not isinstance(runtime.get("name"), str) or not runtime["name"]:
            problems.append(("runtime", "project is missing a 'runtime' attribute"))
        if runtime.get("options") is not None and not isinstance(runtime["options"], dict):
            problems.append(("runtime.options", "expected object"))
        return problems
    return [("runtime", "runtime section must be a string or an object with name and options attributes")]


def _distance(left: str, right: str) -> int:
    """Levenshtein distance (the CLI suggests a key within 2 edits, ignoring case)."""
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def _missing(attribute: str, document: dict[Any, Any]) -> str:
    message = f"project is missing a '{attribute}' attribute"
    near = sorted((_distance(attribute, str(key).lower()), str(key)) for key in document)
    if near and near[0][0] <= _MAX_SUGGESTION_DISTANCE:
        message += f"; found '{near[0][1]}' instead"
    return message


def load_project(document: Any) -> Project:
    """Validate a parsed ``Pulumi.yaml`` as the CLI does; raises ``ProjectProblems`` listing every violation."""
    if not isinstance(document, dict):
        raise ProjectProblems(
            [("(file)", f"expected project to be an object, was '{type(document).__name__}'")]
        )
    problems: list[tuple[str, str]] = []
    bad_keys = [key for key in document if not isinstance(key, str)]
    problems += [("(file)", f"expected only string keys, got '{key}'") for key in bad_keys]
    name = document.get("name")
    if "name" not in document:
        problems.append(("name", _missing("name", document)))
    elif not isinstance(name, str) or not name:
        problems.append(("name", "project is missing a non-empty string 'name' attribute"))
    if "runtime" not in document:
        problems.append(("runtime", _missing("runtime", document)))
    else:
        problems += _runtime_problems(document["runtime"])
    for attribute in _OPTIONAL_TEXT:
        if document.get(attribute) is not None and not isinstance(document[attribute], str):
            problems.append((attribute, "expected string or null"))

    stack_config_dir = document.get("stackConfigDir")
    config = document.get("config")
    if isinstance(config, str):
        # The old spelling of stackConfigDir.
        if stack_config_dir is not None:
            problems.append(
                ("config", "Should not use both config and stackConfigDir to define the stack directory. "
                 "Use only stackConfigDir instead.")
            )  # fmt: skip
        stack_config_dir, config = config, None
    if config is not None and not isinstance(config, dict):
        problems.append(("config", "expected a map of configuration keys to their declarations"))
        config = None

    project_name = name if isinstance(name, str) else ""
    declarations: dict[str, ConfigDeclaration] = {}
    for raw_key, raw in (config or {}).items():
        key = str(raw_key)
        declaration = _declaration(project_name, key, raw, problems)
        problems += [(key, message) for message in _declaration_problems(project_name, key, declaration)]
        declarations[key] = declaration
    if problems:
        raise ProjectProblems(problems)
    main = document.get("main")
    return Project(project_name, main, stack_config_dir, declarations)
