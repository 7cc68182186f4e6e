"""Read a Pulumi project and one stack's file the way the CLI hands them to the program.

Structured values reach the program as JSON text. ``secure:`` values cannot be decrypted without
the stack's secrets provider, so each becomes a marked placeholder, passed as a secret; the plan
fails if a placeholder ever shows up in clear in what the program registered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER_PREFIX = "plan-placeholder-secret:"


class StackFileError(Exception):
    """The project or stack file is missing or not readable YAML."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    main: Path
    values: dict[str, str]
    secret_keys: list[str]
    source: str

    @property
    def region(self) -> str | None:
        return self.values.get("aws:region")


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(f"{path.name}: not found in {path.parent}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise StackFileError(
            f"{path.name}: not valid YAML{where}: {getattr(error, 'problem', error)}"
        ) from None


def _replace_secure(value: Any, key: str) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return f"{PLACEHOLDER_PREFIX}{key}", True
        found = False
        result = {}
        for name, item in value.items():
            result[name], secret = _replace_secure(item, f"{key}.{name}")
            found = found or secret
        return result, found
    if isinstance(value, list):
        items = [_replace_secure(item, f"{key}[{index}]") for index, item in enumerate(value)]
        return [item for item, _ in items], any(secret for _, secret in items)
    return value, False


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project_file = project_dir / "Pulumi.yaml"
    project = _load_yaml(project_file)
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise StackFileError("Pulumi.yaml: needs a project `name`")
    stack_dir = project_dir / project.get("stackConfigDir", ".")
    stack_file = stack_dir / f"Pulumi.{stack}.yaml"
    document = _load_yaml(stack_file) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{stack_file.name}: must be a mapping with a `config:` section")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file.name}: config: must be a mapping of keys to values")
    values: dict[str, str] = {}
    secret_keys = []
    for key, raw in config.items():
        full_key = str(key) if ":" in str(key) else f"{project['name']}:{key}"
        value, secret = _replace_secure(raw, full_key)
        if secret:
            secret_keys.append(full_key)
        values[full_key] = value if isinstance(value, str) else json.dumps(value)
    main = project_dir / project.get("main", ".")
    if main.is_dir():
        main = main / "__main__.py"
    return StackConfig(project["name"], main, values, secret_keys, stack_file.name)
