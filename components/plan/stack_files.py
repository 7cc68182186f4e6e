"""Read a Pulumi project and one stack's file the way the CLI hands them to the program.

First the CLI's own rules (``pulumi_project*``): the project file, the merge of the stack's config
with the project's ``config:`` block, and whether its ``secure:`` values could be decrypted. Then the
secrets the settings declare: a secret written in clear is refused; an encrypted one, or one a real
run would ask for because it is not set, becomes a marked placeholder passed as a secret, and the
plan fails if a placeholder ever shows up in clear in what the program registered.
Structured values reach the program as JSON text, as the engine passes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..settings import section_models
from ..settings.errors import NAMESPACE
from ..settings.secrets import (
    PLAN_PLACEHOLDER_PREFIX,
    clear_secret_problem,
    place_placeholder,
    placeholder,
    secret_slots,
)
from .pulumi_project import Project, ProjectProblems, load_project
from .pulumi_project_config import as_program_value, is_secure, merge_config, stack_config
from .pulumi_project_secrets import secrets_provider_problems


class StackFileError(Exception):
    """The project or stack file is missing, not readable YAML, or breaks the CLI's rules."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


@dataclass(frozen=True)
class RequiredSecret:
    key: str
    command: str

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "command": self.command}


@dataclass(frozen=True)
class StackConfig:
    project: str
    main: Path
    values: dict[str, str]
    secret_keys: list[str]
    source: str
    secrets_required: list[RequiredSecret] = field(default_factory=list)
    """Secrets the stack needs and does not set: a real run stops and asks for each."""

    @property
    def region(self) -> str | None:
        return self.values.get("aws:region")


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackFileError(path.name, [f"not found in {path.parent}"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise StackFileError(
            path.name, [f"not valid YAML{where}: {getattr(error, 'problem', error)}"]
        ) from None


def _read_project(project_dir: Path) -> Project:
    try:
        return load_project(_load_yaml(project_dir / "Pulumi.yaml"))
    except ProjectProblems as error:
        raise StackFileError(
            "Pulumi.yaml", [f"{key}: {message}" for key, message in error.problems]
        ) from None


def _replace_secure(value: Any, key: str) -> Any:
    if is_secure(value):
        return placeholder(key)
    if isinstance(value, dict):
        return {name: _replace_secure(item, f"{key}.{name}") for name, item in value.items()}
    if isinstance(value, list):
        return [_replace_secure(item, f"{key}[{index}]") for index, item in enumerate(value)]
    return value


def _apply_secrets(config: dict[str, Any]) -> tuple[list[str], list[RequiredSecret]]:
    """Refuse secrets in clear; stand placeholders in for the ones a real run would ask for."""
    sections = {
        key.partition(":")[2]: value for key, value in config.items() if key.startswith(f"{NAMESPACE}:")
    }
    problems, required = [], []
    for slot in secret_slots(sections, section_models()):
        if slot.present and not (
            isinstance(slot.value, str) and slot.value.startswith(PLAN_PLACEHOLDER_PREFIX)
        ):
            problems.append(clear_secret_problem(slot))
        elif slot.required and not slot.present:
            place_placeholder(sections, slot)
            required.append(RequiredSecret(slot.path, slot.command))
    return problems, required


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project = _read_project(project_dir)
    stack_dir = project_dir / (project.stack_config_dir or ".")
    stack_file = stack_dir / f"Pulumi.{stack}.yaml"
    document = _load_yaml(stack_file)
    raw, problems = stack_config(project, document)
    merged, merge_problems = merge_config(project, stack, raw)
    problems += merge_problems
    if isinstance(document, dict):
        problems += secrets_provider_problems(document, raw)
    lines = [f"{problem.key}: {problem.message}" for problem in problems]
    if lines:
        raise StackFileError(stack_file.name, lines)

    config = {key: _replace_secure(value, key) for key, value in merged.items()}
    secret_problems, required = _apply_secrets(config)
    if secret_problems:
        raise StackFileError(stack_file.name, secret_problems)
    secret_keys = [key for key, value in config.items() if PLAN_PLACEHOLDER_PREFIX in as_program_value(value)]
    values = {key: as_program_value(value) for key, value in config.items()}
    main = project_dir / (project.main or ".")
    if main.is_dir():
        main = main / "__main__.py"
    return StackConfig(project.name, main, values, secret_keys, stack_file.name, required)
