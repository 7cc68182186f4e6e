"""Per-stack configuration of the pack, kept in ``policy/config/<stack>.json``.

The files are Pulumi policy-pack config (``pulumi preview --policy-pack policy --policy-pack-config
policy/config/<stack>.json``): ``"all"`` sets every policy's level, and each policy name maps to a
level or to ``{"enforcementLevel": ..., "exceptions": [{"resource": ..., "reason": ...}], ...}``.
The offline plan reads the same files through ``load_stack_config``; an exception without a reason,
an unknown policy or a misspelt level is a configuration error naming the file and the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from kubeboard_policy.base import KubeboardPolicy
from kubeboard_policy.registry import all_policies

CONFIG_DIR = Path(__file__).resolve().parent / "config"
ALL = "all"
LEVELS = {level.value: level for level in EnforcementLevel}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "array": (list,),
    "object": (dict,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


class PolicyConfigError(ValueError):
    """The pack's configuration is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class PackConfig:
    source: str = "<defaults>"
    all_level: EnforcementLevel | None = None
    levels: Mapping[str, EnforcementLevel] = field(default_factory=dict)
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def level_for(self, policy: KubeboardPolicy) -> EnforcementLevel:
        level = self.levels.get(policy.name) or self.all_level or policy.enforcement_level
        return level or EnforcementLevel.ADVISORY

    def config_for(self, policy: KubeboardPolicy) -> dict[str, Any]:
        """The policy's config as the CLI hands it over: schema defaults, then the file's values."""
        return {**policy.defaults, **self.properties.get(policy.name, {})}


def _level(value: Any, where: str) -> EnforcementLevel:
    if not isinstance(value, str) or value not in LEVELS:
        raise PolicyConfigError(f"{where}: enforcement level must be one of {sorted(LEVELS)}, got {value!r}")
    return LEVELS[value]


def _check_exceptions(value: Any, where: str) -> None:
    if not isinstance(value, list):
        raise PolicyConfigError(f"{where}: must be a list of {{resource, reason}} entries")
    for index, entry in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise PolicyConfigError(f"{at}: must be an object with 'resource' and 'reason'")
        unknown = sorted(set(entry) - {"resource", "reason"})
        if unknown:
            raise PolicyConfigError(
                f"{at}: unknown key(s) {unknown}; only 'resource' and 'reason' are allowed"
            )
        resource = entry.get("resource")
        if not isinstance(resource, str) or not resource.strip():
            raise PolicyConfigError(f"{at}.resource: name the resource (name or URN, globs allowed)")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyConfigError(f"{at}.reason: every exception must say why it is accepted")


def _check_property(policy: KubeboardPolicy, key: str, value: Any, where: str) -> None:
    schema = policy.config_schema.properties if policy.config_schema else {}
    if key not in schema:
        known = sorted(["enforcementLevel", *schema])
        raise PolicyConfigError(f"{where}: unknown setting for {policy.name}; known: {known}")
    if key == "exceptions":
        _check_exceptions(value, where)
        return
    expected = str(schema[key].get("type", ""))
    python_types = _JSON_TYPES.get(expected, (object,))
    if isinstance(value, bool) and expected in ("integer", "number"):
        raise PolicyConfigError(f"{where}: must be {expected}, got {value!r}")
    if not isinstance(value, python_types):
        raise PolicyConfigError(f"{where}: must be {expected}, got {value!r}")
    minimum = schema[key].get("minimum")
    if minimum is not None and value < minimum:
        raise PolicyConfigError(f"{where}: must be >= {minimum}, got {value!r}")


def parse_config(data: Any, source: str) -> PackConfig:
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{source}: the top level must be an object of policy name -> settings")
    policies = {p.name: p for p in all_policies()}
    all_level: EnforcementLevel | None = None
    levels: dict[str, EnforcementLevel] = {}
    properties: dict[str, dict[str, Any]] = {}
    for name, value in data.items():
        where = f"{source}: {name}"
        if name == ALL:
            all_level = _level(value, where)
            continue
        if name not in policies:
            raise PolicyConfigError(f"{where}: no such policy in the pack")
        if isinstance(value, str):
            levels[name] = _level(value, where)
            continue
        if not isinstance(value, dict):
            raise PolicyConfigError(f"{where}: must be an enforcement level or an object")
        for key, setting in value.items():
            if key == "enforcementLevel":
                levels[name] = _level(setting, f"{where}.enforcementLevel")
            else:
                _check_property(policies[name], key, setting, f"{where}.{key}")
                properties.setdefault(name, {})[key] = setting
    return PackConfig(source=source, all_level=all_level, levels=levels, properties=properties)


def load_config_file(path: Path) -> PackConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyConfigError(f"{_display(path)}: cannot be read ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(
            f"{_display(path)}:{error.lineno}:{error.colno}: invalid JSON ({error.msg})"
        ) from None
    return parse_config(data, _display(path))


def _display(path: Path) -> str:
    """Name the pack's own files as the repository does (policy/config/dev.json)."""
    return f"policy/config/{path.name}" if path.resolve().parent == CONFIG_DIR else str(path)


def load_stack_config(stack: str, directory: Path = CONFIG_DIR) -> PackConfig:
    """The stack's config file, or the pack's defaults when the stack has none."""
    path = directory / f"{stack}.json"
    if not path.exists():
        return PackConfig()
    return load_config_file(path)
