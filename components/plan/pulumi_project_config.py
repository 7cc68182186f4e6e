"""The CLI's merge of a stack file with the project's ``config:`` block, before the program runs.

A port of ``mergeConfig`` and ``validateStackConfigValues`` (pulumi/pulumi
``sdk/go/common/workspace/config.go``) and of ``config.ParseKey`` (``sdk/go/common/resource/config/key.go``):
declared values and defaults fill keys the stack leaves out, a declared project key with neither is
missing, and explicitly typed keys must hold their type (and be encrypted when declared ``secret``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .pulumi_project import ConfigDeclaration, Project, full_key, full_type_name, matches_type

# What a stack file may hold besides its config (``ProjectStack`` in project.go).
STACK_ATTRIBUTES = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


def is_secure(value: Any) -> bool:
    """A ``secure:`` value: the one form in which a stack file holds a ciphertext."""
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


def contains_secure(value: Any) -> bool:
    if is_secure(value):
        return True
    if isinstance(value, dict):
        return any(contains_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_secure(item) for item in value)
    return False


def parse_key(project_name: str, key: str) -> str | None:
    """The key as ``<namespace>:<name>``, or None when the CLI cannot parse it.

    Bare keys belong to the project; ``<namespace>:config:<name>`` is the CLI's old spelling.
    """
    parts = key.split(":")
    if len(parts) == 1:
        return f"{project_name}:{key}"
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    return None


@dataclass(frozen=True)
class StackConfigProblem:
    key: str
    message: str


def _as_stored(value: Any) -> Any:
    # The config store holds scalars as text and objects as JSON (createConfigValue / config.Value).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return value


def _typed_problem(stack: str, key: str, declaration: ConfigDeclaration, value: Any) -> str | None:
    """``validateStackConfigValue`` for one explicitly typed key."""
    if declaration.secret and not contains_secure(value):
        return f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
    if contains_secure(value):
        return None  # only the secrets provider can read it; the CLI checks the type after decrypting
    assert declaration.type is not None
    if not matches_type(declaration.type, declaration.items, _as_stored(value)):
        expected = full_type_name(declaration.type, declaration.items)
        return f"Stack '{stack}' with configuration key '{key}' must be of type '{expected}'"
    return None


def stack_config(project: Project, document: Any) -> tuple[dict[str, Any], list[StackConfigProblem]]:
    """The stack file's ``config:`` keyed ``<namespace>:<name>`` as the CLI parses it."""
    problems: list[StackConfigProblem] = []
    if document is None:
        return {}, problems
    if not isinstance(document, dict):
        return {}, [StackConfigProblem("(file)", "must be a mapping with a `config:` section")]
    for attribute in sorted(set(map(str, document)) - set(STACK_ATTRIBUTES)):
        known = ", ".join(STACK_ATTRIBUTES)
        problems.append(StackConfigProblem(attribute, f"unknown attribute of a stack file (known: {known})"))
    config = document.get("config") or {}
    if not isinstance(config, dict):
        return {}, [*problems, StackConfigProblem("config", "must be a mapping of keys to values")]
    values: dict[str, Any] = {}
    for raw_key, value in config.items():
        key = parse_key(project.name, str(raw_key))
        if key is None:
            problems.append(
                StackConfigProblem(
                    str(raw_key),
                    f"could not parse {raw_key} as a configuration key "
                    "(configuration keys should be of the form `<namespace>:<name>`)",
                )
            )
            continue
        if key in values:
            problems.append(StackConfigProblem(key, "set twice (bare and namespaced)"))
        values[key] = value
    return values, problems


def merge_config(
    project: Project, stack: str, values: dict[str, Any]
) -> tuple[dict[str, Any], list[StackConfigProblem]]:
    """``mergeConfig`` with validation: the stack's values completed from the project's declarations."""
    merged = dict(values)
    problems: list[StackConfigProblem] = []
    for declared_key in sorted(project.config):
        declaration = project.config[declared_key]
        key = full_key(project.name, declared_key)
        if key in merged:
            continue
        if declaration.value is None and declaration.default is None:
            if key.partition(":")[0] == project.name:
                problems.append(
                    StackConfigProblem(
                        key, f"Stack '{stack}' is missing configuration value '{declared_key}'"
                    )
                )
            continue
        merged[key] = declaration.default if declaration.default is not None else declaration.value
    if problems:
        return merged, problems
    for declared_key in sorted(project.config):
        declaration = project.config[declared_key]
        key = full_key(project.name, declared_key)
        if declaration.explicitly_typed and key in merged:
            message = _typed_problem(stack, declared_key, declaration, merged[key])
            if message:
                problems.append(StackConfigProblem(key, message))
    return merged, problems


def as_program_value(value: Any) -> str:
    """How the engine hands a config value to the program: text, or JSON for structured values."""
    return value if isinstance(value, str) else json.dumps(value)
