"""Run the pack's own policy objects over an offline plan, as the CLI's analyzer would.

The plan (``plan.json`` resources: urn, id, type, name, parent, provider, protect, dependencies,
inputs) is turned into the very argument objects the analyzer builds: ``ResourceValidationArgs`` for
each resource (inputs behind the same unknown-checking proxy) and one ``StackValidationArgs`` of
``PolicyResource``s linked by parent and dependencies. Resource policies are indexed by type, so a
resource meets only the policies that read its type.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from kubeboard_policy.base import WAIVERS, GraphStackPolicy, KubeboardPolicy, TypedResourcePolicy, Waiver
from kubeboard_policy.config import PackConfig, load_stack_config
from kubeboard_policy.context import evaluating_stack
from kubeboard_policy.registry import all_policies

PLAN_UNKNOWN = "[unknown]"  # how the plan marks a value only a deployment can know


def _engine_value(value: Any) -> Any:
    """Plan JSON -> the analyzer's view: unknowns become the SDK's sentinel so reads raise as in preview."""
    if isinstance(value, dict):
        return {k: _engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_value(v) for v in value]
    return UNKNOWN_STRING_VALUE if value == PLAN_UNKNOWN else value


def _engine_props(inputs: dict[str, Any], extra: dict[str, Any] | None = None) -> Mapping[str, Any]:
    """Inputs as a policy reads them. Only a resource with an unknown value needs the SDK's
    unknown-checking proxy (which copies the whole tree); known values read the same either way."""
    props = {**inputs, **(extra or {})}
    if PLAN_UNKNOWN not in json.dumps(inputs):
        return props
    return unknown_checking_proxy(_engine_value(props))


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        bool(resource.get("protect")), [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.get("parent")
    )


class _Collector:
    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def reporter(self, policy: KubeboardPolicy, level: EnforcementLevel, default_urn: str | None) -> Any:
        def report(message: str, urn: str | None = None) -> None:
            self.results.append(
                {
                    "policy": policy.name,
                    "level": level.value,
                    "severity": policy.severity.value if policy.severity else None,
                    "urn": urn or default_urn,
                    "message": message or policy.description,
                }
            )

        return report

    def failure(self, policy: KubeboardPolicy, urn: str | None, error: Exception) -> None:
        if isinstance(error, UnknownValueError):
            level, message = EnforcementLevel.ADVISORY, f"can't run during an offline plan: {error.message}"
        else:
            level, message = EnforcementLevel.MANDATORY, f"policy failed: {type(error).__name__}: {error}"
        self.reporter(policy, level, urn)(message)


def _run(validate: Any, *call: Any) -> None:
    result = validate(*call)
    if isawaitable(result):
        asyncio.run(_awaited(result))


async def _awaited(result: Any) -> None:
    await result


def _effective_level(config: PackConfig, policy: KubeboardPolicy) -> EnforcementLevel:
    level = config.level_for(policy)
    # As under the CLI, a violation that survives remediation is reported as mandatory.
    return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level


def _type_index(policies: Iterable[TypedResourcePolicy]) -> dict[str, list[TypedResourcePolicy]]:
    index: dict[str, list[TypedResourcePolicy]] = defaultdict(list)
    for policy in policies:
        for resource_type in policy.resource_types:
            index[resource_type].append(policy)
    return index


def _stack_resources(resources: Sequence[Mapping[str, Any]]) -> list[PolicyResource]:
    built: dict[str, PolicyResource] = {}
    for resource in resources:
        inputs = resource.get("inputs") or {}
        # Stack policies see outputs under the CLI, and provider outputs carry the id.
        extra = {"id": resource["id"]} if resource.get("id") and "id" not in inputs else None
        built[resource["urn"]] = PolicyResource(
            resource["type"],
            _engine_props(inputs, extra),
            resource["urn"],
            resource["name"],
            _options(resource),
            None,
            None,
            [],
            {},
        )
    for resource in resources:
        node = built[resource["urn"]]
        node.parent = built.get(resource.get("parent") or "")
        node.dependencies = [built[d] for d in resource.get("dependencies") or () if d in built]
    return list(built.values())


def evaluate(
    resources: list[dict[str, Any]], stack: str, *, config: PackConfig | None = None
) -> dict[str, Any]:
    """The plan.json ``policies`` section for ``resources`` of ``stack``.

    Raises ``kubeboard_policy.config.PolicyConfigError`` when ``policy/config/<stack>.json`` is invalid.
    """
    config = config if config is not None else load_stack_config(stack)
    active = [p for p in all_policies() if config.level_for(p) != EnforcementLevel.DISABLED]
    collector = _Collector()
    waivers: list[Waiver] = []
    token = WAIVERS.set(waivers)
    try:
        with evaluating_stack(stack):
            _resource_pass(
                resources, [p for p in active if isinstance(p, TypedResourcePolicy)], config, collector
            )
            _stack_pass(resources, [p for p in active if isinstance(p, GraphStackPolicy)], config, collector)
    finally:
        WAIVERS.reset(token)
    results = collector.results
    return {
        "evaluated": [p.name for p in active],
        "results": results,
        "mandatoryViolations": sum(1 for r in results if r["level"] == EnforcementLevel.MANDATORY.value),
        "advisoryViolations": sum(1 for r in results if r["level"] == EnforcementLevel.ADVISORY.value),
        "waivers": [{"policy": w.policy, "urn": w.urn, "reason": w.reason} for w in waivers],
        "config": config.source,
    }


def _resource_pass(
    resources: Sequence[Mapping[str, Any]],
    policies: list[TypedResourcePolicy],
    config: PackConfig,
    collector: _Collector,
) -> None:
    index = _type_index(policies)
    settings = {p.name: (config.config_for(p), _effective_level(config, p)) for p in policies}
    for resource in resources:
        applicable = index.get(resource["type"])
        if not applicable:
            continue
        props = _engine_props(resource.get("inputs") or {})
        options = _options(resource)
        for policy in applicable:
            policy_config, level = settings[policy.name]
            args = ResourceValidationArgs(
                resource["type"], props, resource["urn"], resource["name"], options, None, policy_config
            )
            try:
                _run(policy.validate, args, collector.reporter(policy, level, resource["urn"]))
            except _NotApplicableError:
                continue
            except Exception as error:  # a broken policy must fail the plan, not crash it
                collector.failure(policy, resource["urn"], error)


def _stack_pass(
    resources: Sequence[Mapping[str, Any]],
    policies: list[GraphStackPolicy],
    config: PackConfig,
    collector: _Collector,
) -> None:
    if not policies:
        return
    stack_resources = _stack_resources(resources)
    for policy in policies:
        args = StackValidationArgs(stack_resources, config.config_for(policy))
        try:
            _run(policy.validate, args, collector.reporter(policy, _effective_level(config, policy), None))
        except _NotApplicableError:
            continue
        except Exception as error:
            collector.failure(policy, None, error)
