"""Typed platform settings, read from the stack's configuration and validated before any resource.

Each stack file section ``kubeboard:<section>`` maps to one model here. ``load_settings`` returns a
``Settings`` or raises ``SettingsError`` naming the stack file and every offending key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import ValidationError, model_validator

from .base import Model
from .errors import NAMESPACE, SettingsError, from_validation_error
from .network import NatGatewayStrategy, NetworkSettings
from .platform import PlatformSettings
from .types import Environment

__all__ = [
    "Environment",
    "NatGatewayStrategy",
    "NetworkSettings",
    "PlatformSettings",
    "Settings",
    "SettingsError",
    "load_settings",
]

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


class Settings(Model):
    """Everything the platform is built from; one attribute per ``kubeboard:`` section."""

    region: str
    platform: PlatformSettings
    network: NetworkSettings

    @model_validator(mode="after")
    def _fits_region(self) -> Self:
        self.network.validate_region(self.region)
        return self

    @property
    def is_prod(self) -> bool:
        return self.platform.environment is Environment.PROD


def _decode(value: Any) -> Any:
    # The engine hands structured values to the program as JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def load_settings(config: Mapping[str, Any], *, source: str) -> Settings:
    """Validate a stack's configuration (full keys such as ``kubeboard:network`` -> value).

    ``source`` names the stack file in every error, e.g. ``Pulumi.prod.yaml``.
    """
    region = config.get("aws:region")
    if not isinstance(region, str) or not _REGION.match(region):
        found = "missing" if region is None else f"{region!r} is not an AWS region"
        raise SettingsError(source, [f"aws:region: required, e.g. ap-northeast-2 ({found})"])
    sections: dict[str, Any] = {"region": region}
    problems = []
    for key, value in sorted(config.items()):
        namespace, _, section = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if section == "region" or section not in Settings.model_fields:
            allowed = ", ".join(f"{NAMESPACE}:{name}" for name in Settings.model_fields if name != "region")
            problems.append(f"{key}: unknown key (known sections: {allowed})")
            continue
        sections[section] = _decode(value)
    if problems:
        raise SettingsError(source, problems)
    try:
        return Settings.model_validate_json(json.dumps(sections))
    except ValidationError as error:
        raise from_validation_error(source, error) from None


def current_settings() -> Settings:
    """The running program's settings, read from the stack configuration the engine passed in."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    config = {**get_config_env(), **CONFIG.get()}
    return load_settings(config, source=f"Pulumi.{pulumi.get_stack()}.yaml")
