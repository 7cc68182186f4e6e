"""The package schema Pulumi infers for every exported component: what programs in other languages see.

A TypeScript, Go or YAML program knows a component only through this schema: its inputs (with their
descriptions, shown in the editor and the generated SDK's docs), its outputs, and its type token.
"""

import json
from typing import Any
from unittest import mock

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider

from kubeboard_infra import provider

# Components Pulumi cannot infer a schema for yet (string annotations, unions, ...): each is expected to
# fail below. Remove a name once its component is clean: a test fails for a name here that is clean.
PENDING = frozenset({})
# The library's components today; a new export only adds to them.
AT_LEAST = 22
COMPONENTS = {component.__name__: component for component in provider.components()}


def token(name: str) -> str:
    return f"{provider.NAME}:index:{name}"


def schema_of(components: list[type[pulumi.ComponentResource]]) -> dict[str, Any]:
    """The schema the provider serves for ``components`` (built as the provider builds it)."""
    return json.loads(ComponentProvider(components, provider.NAME, provider.NAMESPACE, "0.0.0").schema)


def undescribed(schema: dict[str, Any], name: str) -> list[str]:
    """Every input of the component, nested types' fields included, that has no description."""
    missing: list[str] = []
    seen: set[str] = set()

    def visit(path: str, prop: dict[str, Any]) -> None:
        for inner in (prop, prop.get("items") or {}, prop.get("additionalProperties") or {}):
            ref = inner.get("$ref", "")
            if ref.startswith("#/types/") and ref not in seen:
                seen.add(ref)
                for field, sub in schema["types"][ref.removeprefix("#/types/")].get("properties", {}).items():
                    check(f"{path}.{field}", sub)

    def check(path: str, prop: dict[str, Any]) -> None:
        if not prop.get("description"):
            missing.append(path)
        visit(path, prop)

    for field, prop in schema["resources"][token(name)]["inputProperties"].items():
        check(field, prop)
    return missing


class _Registered(Exception):
    pass


def registered_token(component: type[pulumi.ComponentResource]) -> str | None:
    """The type token the class registers with, seen by stopping it at ``super().__init__``."""

    def stop(_self: object, type_token: str, *_args: object, **_kwargs: object) -> None:
        raise _Registered(type_token)

    with mock.patch.object(pulumi.ComponentResource, "__init__", stop):
        try:
            component("probe", {}, None)  # type: ignore[call-arg]
        except _Registered as registered:
            return str(registered.args[0])
        except Exception:
            return None
    return None


def schema_problems(name: str) -> list[str]:
    """Why the component's schema is not what a program of another language needs; empty when it is."""
    component = COMPONENTS[name]
    problems = []
    # The engine constructs `kubeboard:index:<Name>`; a class registering another token would give a
    # program in another language resources of another type (and URNs) than a Python program.
    if (registered := registered_token(component)) != token(name):
        problems.append(f"{name}: registers as {registered!r}, the schema publishes {token(name)!r}")
    if analyzer := provider.schema_problems([component]):
        return problems + analyzer
    schema = schema_of([component])
    resource = schema["resources"][token(name)]
    if not resource.get("description"):
        problems.append(f"{name}: no description (the class docstring)")
    if not resource.get("inputProperties"):
        problems.append(f"{name}: no inputs")
    if not resource.get("properties"):
        problems.append(f"{name}: no outputs (annotated public attributes)")
    problems += [
        f"{name}.{path}: no description (a docstring under the key)" for path in undescribed(schema, name)
    ]
    return problems


def test_every_exported_component_is_published() -> None:
    assert len(COMPONENTS) >= AT_LEAST
    assert {"Network", "Cluster", "Account", "Platform", "DeployRoles"} <= set(COMPONENTS)
    assert set(PENDING) - set(COMPONENTS) == set(), "PENDING names a component that is not exported"
    # Only components: the Args, contracts and enums are published as the types they use.
    assert "NetworkArgs" not in COMPONENTS


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_the_schema_holds_the_components_inputs_and_outputs_with_descriptions(name: str) -> None:
    problems = schema_problems(name)
    if name in PENDING:
        assert problems, f"{name} has a complete schema now: remove it from PENDING"
        pytest.xfail("; ".join(problems))
    assert problems == []


def test_the_clean_components_make_one_schema_together() -> None:
    # Analysed together, two components naming a type alike would collide; this is the provider's schema
    # once PENDING is empty.
    clean = [component for name, component in COMPONENTS.items() if name not in PENDING]
    assert clean
    schema = schema_of(clean)
    assert set(schema["resources"]) == {token(component.__name__) for component in clean}
    assert schema["name"] == "kubeboard"
    assert schema["namespace"] == "kubeboard"


def test_deploy_roles_inputs_outputs_and_nested_type_in_the_schema() -> None:
    schema = schema_of([COMPONENTS["DeployRoles"]])
    resource = schema["resources"]["kubeboard:index:DeployRoles"]
    # Names in the schema are camelCase: what a TypeScript or YAML program writes.
    assert {"name", "repository", "oidcProviderArn", "environments"} <= set(resource["requiredInputs"])
    assert "maxSessionHours" in resource["inputProperties"]
    assert "maxSessionHours" not in resource["requiredInputs"]
    assert resource["inputProperties"]["environments"]["items"]["$ref"] == (
        "#/types/kubeboard:index:DeployEnvironmentArgs"
    )
    assert set(schema["types"]["kubeboard:index:DeployEnvironmentArgs"]["properties"]) == {
        "stack",
        "clusterName",
    }
    assert {"deployRoleArns", "clusterCreatorRoleArns", "previewRoleArn", "promotionRoleArn"} <= set(
        resource["properties"]
    )
    assert "default 2 hours" in resource["inputProperties"]["maxSessionHours"]["description"]
