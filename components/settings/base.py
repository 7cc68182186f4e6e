"""The base every settings model builds on: camelCase keys, unknown keys rejected, strict types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ..args import settings_key


class Model(BaseModel):
    """A settings section or sub-section, validated strictly as the stack file spells it."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        strict=True,
        frozen=True,
        use_enum_values=False,
        validate_default=True,
    )


def raise_first(found: Sequence[str], stack_keys: Mapping[str, str] | None = None) -> None:
    """Raise a component's first problem, if any, under the stack file's key.

    ``stack_keys`` names where a section nests a flat arg (``"hosted_zone_id"`` -> ``"hosted_zone.id"``);
    an index after the arg (``allow_cidrs[2]``) is kept.
    """
    if not found:
        return
    problem = found[0]
    if stack_keys:
        head, sep, rest = problem.partition(": ")
        first, bracket, tail = head.partition("[")
        problem = stack_keys.get(first, first) + bracket + tail + sep + rest
    raise ValueError(settings_key(problem))
