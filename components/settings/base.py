"""The base every settings model builds on: camelCase keys, unknown keys rejected, strict types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


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
