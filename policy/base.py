"""The two policy shapes of this pack, built on pulumi-policy's own classes.

Each policy knows the resource types it reads (so the offline evaluator can index policies by type)
and honours ``exceptions`` from its policy config: a resource listed there with a reason is not
reported. Pulumi validates the same config against ``config_schema`` when the pack runs under the
CLI, so an exception without a reason is rejected there too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

EXCEPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy does not apply to, each with the reason it is accepted.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1, "description": "Resource name or URN (glob)."},
            "reason": {"type": "string", "minLength": 1, "description": "Why the exception is accepted."},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class Waiver:
    """A violation that a configured exception accepted; reports list them with their reason."""

    policy: str
    urn: str
    reason: str


# Set by the offline evaluator to collect waivers; under the CLI nobody listens.
WAIVERS: ContextVar[list[Waiver] | None] = ContextVar("kubeboard_policy_waivers", default=None)


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def exception_reason(config: Mapping[str, Any], name: str, urn: str) -> str | None:
    for entry in config.get("exceptions") or ():
        if not isinstance(entry, Mapping):
            continue
        pattern = str(entry.get("resource", ""))
        if pattern and (fnmatchcase(name, pattern) or fnmatchcase(urn, pattern)):
            return str(entry.get("reason", ""))
    return None


def _record_waiver(policy: str, urn: str, reason: str) -> None:
    sink = WAIVERS.get()
    if sink is not None:
        sink.append(Waiver(policy, urn, reason))


def _schema(extra: Mapping[str, dict[str, Any]] | None) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"exceptions": EXCEPTIONS_SCHEMA, **(extra or {})})


ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


class TypedResourcePolicy(ResourceValidationPolicy):
    """A resource policy that reads only ``resource_types`` and honours configured exceptions."""

    resource_types: frozenset[str]
    defaults: Mapping[str, Any]

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Iterable[str],
        check: ResourceCheck,
        severity: Severity,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: Mapping[str, dict[str, Any]] | None = None,
        remediation_steps: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self.resource_types = frozenset(resource_types)
        self.defaults = {key: spec["default"] for key, spec in (config or {}).items() if "default" in spec}
        self._check = check

        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type not in self.resource_types:
                return
            reason = exception_reason(args.get_config(), args.name, args.urn)
            if reason is None:
                check(args, report)
                return
            # Excepted: still judge, so a waiver is listed only where it actually hides a violation.
            hidden: list[str] = []

            def hide(message: str, _urn: str | None = None) -> None:
                hidden.append(message)

            check(args, hide)
            if hidden:
                _record_waiver(self.name, args.urn, reason)

        super().__init__(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=enforcement_level,
            config_schema=_schema(config),
            severity=severity,
            remediation_steps=remediation_steps,
            tags=tags,
        )


class GraphStackPolicy(StackValidationPolicy):
    """A stack policy over the resource graph; violations on excepted resources are dropped."""

    resource_types: frozenset[str]
    defaults: Mapping[str, Any]

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Iterable[str],
        check: StackCheck,
        severity: Severity,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        config: Mapping[str, dict[str, Any]] | None = None,
        remediation_steps: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self.resource_types = frozenset(resource_types)
        self.defaults = {key: spec["default"] for key, spec in (config or {}).items() if "default" in spec}

        def validate(args: StackValidationArgs, report: ReportViolation) -> None:
            config = args.get_config()

            def filtered(message: str, urn: str | None = None) -> None:
                if urn:
                    reason = exception_reason(config, _name_of(urn), urn)
                    if reason is not None:
                        _record_waiver(self.name, urn, reason)
                        return
                report(message, urn)

            check(args, filtered)

        super().__init__(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=enforcement_level,
            config_schema=_schema(config),
            severity=severity,
            remediation_steps=remediation_steps,
            tags=tags,
        )


KubeboardPolicy = TypedResourcePolicy | GraphStackPolicy
