"""The secrets a stack needs, declared once on the settings fields that hold them.

A field annotated with ``Secret()`` holds a credential: it must reach the program encrypted (a
``secure:`` value, set with ``pulumi config set --secret --path``), never in clear. It is needed when
the mapping that holds it is present and the field has no default, or, with ``required_if``, when a
sibling flag is true. ``secret_slots`` walks a stack's raw sections along the models and finds every
such place, so the program (before any resource) and the offline plan (before it runs the program)
apply the same declarations.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr

from ..value_rules import checked
from .errors import NAMESPACE

PLAN_PLACEHOLDER_PREFIX = "plan-placeholder-secret:"
"""How the offline plan stands in for a secret it cannot decrypt or that is not set yet."""


def placeholder(path: str) -> str:
    return f"{PLAN_PLACEHOLDER_PREFIX}{path}"


def secret_rule(problem: Callable[[str], str | None]) -> Callable[[SecretStr], SecretStr]:
    """An ``AfterValidator`` that checks a secret's text with ``problem`` (a plan placeholder passes)."""

    text = checked(lambda value: None if value.startswith(PLAN_PLACEHOLDER_PREFIX) else problem(value))

    def check(secret: SecretStr) -> SecretStr:
        # Never echo the value: it is the credential. The offline plan stands in a placeholder.
        text(secret.get_secret_value())
        return secret

    return check


@dataclass(frozen=True)
class Secret:
    """Marks a settings field as a secret (``Annotated[SecretStr, ..., Secret()]``)."""

    required_if: str | None = None
    """A sibling boolean (as the stack file spells it) that makes the secret required when true."""


@dataclass(frozen=True)
class SecretSlot:
    """One place in a stack's settings where a secret belongs."""

    path: str
    """``kubeboard:gitops.sso.github.clientSecret``, as ``pulumi config set --path`` takes it."""
    present: bool
    required: bool
    value: Any = None

    @property
    def command(self) -> str:
        return set_secret_command(self.path)


def set_secret_command(path: str) -> str:
    return f"pulumi config set --secret --path '{path}' <value>"


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally or as list items) and whether it is a list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model, is_list = _model_of(arg)
            if model is not None:
                return model, is_list
        return None, False
    if origin is list:
        model, _ = _model_of(typing.get_args(annotation)[0])
        return model, model is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _marker(metadata: list[Any], annotation: Any) -> Secret | None:
    for item in metadata:
        if isinstance(item, Secret):
            return item
    # Optional secrets keep the marker inside their Annotated member.
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for item in typing.get_args(arg)[1:]:
                if isinstance(item, Secret):
                    return item
    return None


def _walk(model: type[BaseModel], raw: Mapping[str, Any], path: str) -> Iterator[SecretSlot]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        marker = _marker(field.metadata, field.annotation)
        if marker is not None:
            present = raw.get(key) is not None
            if marker.required_if is not None:
                required = raw.get(marker.required_if) is True
            else:
                required = field.is_required()
            yield SecretSlot(f"{path}.{key}", present, required, raw.get(key))
            continue
        child_model, is_list = _model_of(field.annotation)
        child = raw.get(key)
        if child_model is None or child is None:
            continue
        if is_list and isinstance(child, list):
            for index, item in enumerate(child):
                if isinstance(item, Mapping):
                    yield from _walk(child_model, item, f"{path}.{key}[{index}]")
        elif isinstance(child, Mapping):
            yield from _walk(child_model, child, f"{path}.{key}")


def secret_slots(sections: Mapping[str, Any], models: Mapping[str, type[BaseModel]]) -> list[SecretSlot]:
    """Every place a secret belongs in the given raw sections (``{"gitops": {...}}``)."""
    slots: list[SecretSlot] = []
    for section, raw in sections.items():
        model, _ = _model_of(models.get(section))
        if model is not None and isinstance(raw, Mapping):
            slots.extend(_walk(model, raw, f"{NAMESPACE}:{section}"))
    return slots


def place_placeholder(sections: dict[str, Any], slot: SecretSlot) -> None:
    """Stand a marked placeholder in for a missing secret (its parent mappings exist: the slot was found there)."""
    head, *names = slot.path.split(".")
    target = sections[head.partition(":")[2]]
    for step in names[:-1]:
        name, _, index = step.partition("[")
        target = target[name] if not index else target[name][int(index[:-1])]
    target[names[-1]] = placeholder(slot.path)


def missing_secret_problem(slot: SecretSlot) -> str:
    return f"{slot.path}: secret not set; run: {slot.command}"


def clear_secret_problem(slot: SecretSlot) -> str:
    return f"{slot.path}: a secret written in clear; remove it from the stack file and run: {slot.command}"
