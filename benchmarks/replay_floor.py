"""The floor of the offline plan: replay a plan.json's resources with none of the project's logic.

Every resource of the plan is registered again, in the same order, through the same typed SDK
class (``pulumi_aws.ec2.Subnet`` for ``aws:ec2/subnet:Subnet``) with the same name, parent,
provider, dependencies and inputs, under the same mock runtime. What this costs is what the
Pulumi SDK itself imposes; ``plan_bench.py`` compares ``kubeboard plan`` with it.

Usage: python replay_floor.py plan.json
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor, set_mocks
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await
from pydantic.alias_generators import to_camel

from kubeboard_infra.plan.mocks import PlanMocks

_PACKAGES = {
    "aws": "pulumi_aws",
    "eks": "pulumi_eks",
    "kubernetes": "pulumi_kubernetes",
    "random": "pulumi_random",
}


def resolve(token: str) -> type[pulumi.Resource]:
    package, module, name = token.split(":")
    if module.startswith("providers"):
        return importlib.import_module(_PACKAGES[name]).Provider  # type: ignore[no-any-return]
    path = module.split("/")[0]
    if package == "kubernetes":
        group, version = module.split("/")
        path = f"{group.split('.')[0] if group != 'helm.sh' else 'helm'}.{version}"
    target = importlib.import_module(
        _PACKAGES[package] if path == "index" else f"{_PACKAGES[package]}.{path}"
    )
    return getattr(target, name)  # type: ignore[no-any-return]


def _value(value: Any) -> Any:
    if value == "[secret]":
        return pulumi.Output.secret("replayed-secret")
    if isinstance(value, dict):
        if set(value) == {"archive"}:
            return (
                pulumi.FileArchive(value["archive"])
                if isinstance(value["archive"], str)
                else pulumi.AssetArchive({})
            )
        if set(value) == {"asset"}:
            return pulumi.FileAsset(value["asset"])
        return {key: _value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


def replay(resources: list[dict[str, Any]]) -> int:
    created: dict[str, pulumi.Resource] = {}
    dropped = 0
    for resource in resources:
        token = resource["type"]
        if token == "pulumi:pulumi:Stack":
            continue
        opts = pulumi.ResourceOptions(
            parent=created.get(resource["parent"] or ""),
            provider=created.get(resource["provider"] or ""),  # type: ignore[arg-type]
            depends_on=[created[urn] for urn in resource["dependencies"] if urn in created],
            protect=resource["protect"],
        )
        if token.startswith("kubeboard:"):
            created[resource["urn"]] = pulumi.ComponentResource(token, resource["name"], None, opts)
            continue
        cls = resolve(token)
        parameters = {to_camel(p): p for p in inspect.signature(cls._internal_init).parameters}  # type: ignore[attr-defined]
        kwargs = {}
        for key, value in resource["inputs"].items():
            if key in parameters:
                kwargs[parameters[key]] = _value(value)
            elif key not in {"apiVersion", "kind"}:
                dropped += 1
        created[resource["urn"]] = cls(resource["name"], opts=opts, **kwargs)
    return dropped


def main(plan_path: str) -> None:
    with open(plan_path, encoding="utf-8") as file:
        plan = json.load(file)
    region = next(
        (r["inputs"].get("region") for r in plan["resources"] if r["type"] == "pulumi:providers:aws"),
        "ap-northeast-2",
    )
    mocks = PlanMocks(region=region, stack=plan["stack"])
    set_mocks(mocks, project=plan["project"], stack=plan["stack"], preview=False, monitor=MockMonitor(mocks))
    ROOT.set(None)
    dropped: list[int] = []
    _sync_await(run_in_stack(lambda: dropped.append(replay(plan["resources"]))))
    print(json.dumps({"resources": len(plan["resources"]), "droppedInputs": dropped[0]}))


if __name__ == "__main__":
    main(sys.argv[1])
