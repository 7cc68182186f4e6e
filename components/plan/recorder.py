"""A mock monitor that records every registration the way the engine would see it.

Pulumi's ``MockMonitor`` hands ``Mocks.new_resource`` only a name, type and inputs; a reviewer also
needs the parent, provider, protection and dependencies, and must never see a secret. This monitor
keeps the whole request and turns its wire-format properties into plain JSON data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.settings import get_project, get_stack

from .aliases import AliasSpec, alias_urns

SECRET = "[secret]"
UNKNOWN = "[unknown]"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    protect: bool
    dependencies: list[str]
    """Every resource the engine waits for: own property and explicit ones, and those inherited."""
    inputs: dict[str, Any]
    id: str | None = None
    providers: dict[str, str] = field(default_factory=dict)
    """A remote component's providers by package: its children (unseen under mocks) use these."""
    depends_on: list[str] = field(default_factory=list)
    """The explicit ``depends_on`` of this registration (components expanded to their resources)."""
    inherited_dependencies: list[str] = field(default_factory=list)
    """What the engine waits for only through an ancestor component's registration."""
    aliases: list[str] = field(default_factory=list)
    """The old URNs the engine would look this resource up by (aliases.py)."""

    def to_json(self) -> dict[str, Any]:
        return {
            **({"providers": self.providers} if self.providers else {}),
            "urn": self.urn,
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "protect": self.protect,
            "dependencies": self.dependencies,
            "dependsOn": self.depends_on,
            "inheritedDependencies": self.inherited_dependencies,
            "aliases": self.aliases,
            "inputs": self.inputs,
        }


@dataclass
class Recording:
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def add_inherited_dependencies(self) -> None:
        """Give each resource the waits of its ancestors, as the engine applies them.

        A child is registered only once its parent's registration is done, and a component's
        registration waits for the component's own dependencies; the child's request carries none
        of them. The plan records them so that it sees what the engine will wait for.
        """
        by_urn = {resource.urn: resource for resource in self.resources}
        for resource in self.resources:
            own = set(resource.dependencies)
            inherited: set[str] = set()
            ancestor = by_urn.get(resource.parent) if resource.parent else None
            while ancestor is not None:
                inherited.update(ancestor.dependencies)
                ancestor = by_urn.get(ancestor.parent) if ancestor.parent else None
            resource.inherited_dependencies = sorted(inherited - own)
            resource.dependencies = sorted(own | inherited)


def plain(value: struct_pb2.Value) -> Any:
    """One wire value as JSON data: secrets masked, unknowns marked, references as URNs."""
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return _plain_struct(value.struct_value)
    if kind == "list_value":
        return [plain(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "string_value":
        return UNKNOWN if value.string_value == rpc.UNKNOWN else value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def _plain_struct(struct: struct_pb2.Struct) -> Any:
    fields = struct.fields
    signature = fields[rpc._special_sig_key].string_value if rpc._special_sig_key in fields else None
    if signature is None:
        return {key: plain(item) for key, item in fields.items()}
    if signature == rpc._special_secret_sig:
        return SECRET
    if signature == rpc._special_output_value_sig:
        if "secret" in fields and fields["secret"].bool_value:
            return SECRET
        return plain(fields["value"]) if "value" in fields else UNKNOWN
    if signature == rpc._special_resource_sig:
        return fields["urn"].string_value
    if signature == rpc._special_asset_sig:
        return {"asset": _asset_description(fields)}
    if signature == rpc._special_archive_sig:
        return {"archive": _asset_description(fields)}
    return {key: plain(item) for key, item in fields.items() if key != rpc._special_sig_key}


def _asset_description(fields: Any) -> Any:
    for key in ("path", "uri", "hash"):
        if key in fields and fields[key].string_value:
            return fields[key].string_value
    if "assets" in fields:
        return sorted(fields["assets"].struct_value.fields.keys())
    if "text" in fields:
        return f"<text, {len(fields['text'].string_value)} characters>"
    return None


def _explicit_dependencies(request: Any) -> list[str]:
    """The request's dependencies that no property carries: those written as ``depends_on``."""
    through_properties = {
        urn for dependencies in request.propertyDependencies.values() for urn in dependencies.urns
    }
    return sorted(set(request.dependencies) - through_properties)


def provider_urn(reference: str) -> str | None:
    """A provider reference is ``<urn>::<id>``; reports name the provider by URN."""
    if not reference:
        return None
    urn, _, _ = reference.rpartition("::")
    return urn or reference


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.recording = Recording()
        self._aliases: dict[str, list[str]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine does: the qualified type carries the whole chain of parent types.
        # The root stack is left out of the chain, as the engine leaves it out.
        if parent and "::pulumi:pulumi:Stack::" not in parent:
            type_ = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            # set_mocks registers a root stack before the program's own: keep the last one.
            self.recording.resources = [r for r in self.recording.resources if r.urn != response.urn]
        self.recording.resources.append(
            RecordedResource(
                urn=response.urn,
                id=response.id or None,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=provider_urn(request.provider),
                protect=bool(request.protect),
                dependencies=sorted(set(request.dependencies)),
                depends_on=_explicit_dependencies(request),
                inputs=_plain_struct(request.object),
                providers=_remote_providers(request),
                aliases=self._alias_urns(response.urn, request),
            )
        )
        return response

    def _alias_urns(self, urn: str, request: Any) -> list[str]:
        found = alias_urns(
            urn=urn,
            name=request.name,
            type_=request.type,
            parent=request.parent,
            specs=[_alias_spec(alias) for alias in request.aliases],
            known=self._aliases,
        )
        self._aliases[urn] = found
        return found

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.recording.resources.append(
            RecordedResource(
                urn=response.urn,
                id=request.id,
                type=request.type,
                name=request.name,
                custom=True,
                parent=request.parent or None,
                provider=provider_urn(request.provider),
                protect=False,
                dependencies=sorted(set(request.dependencies)),
                inputs=_plain_struct(request.properties),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.recording.outputs = _plain_struct(request.outputs)
        return super().RegisterResourceOutputs(request)


def _alias_spec(alias: Any) -> AliasSpec:
    if alias.WhichOneof("alias") == "urn":
        return AliasSpec(urn=alias.urn)
    spec = alias.spec
    return AliasSpec(
        name=spec.name,
        type=spec.type,
        stack=spec.stack,
        project=spec.project,
        parent_urn=spec.parentUrn,
        no_parent=spec.noParent,
    )


def _remote_providers(request: Any) -> dict[str, str]:
    # Only remote components: a local component's providers show on its recorded children already.
    if not request.remote:
        return {}
    return {package: urn for package, ref in request.providers.items() if (urn := provider_urn(ref))}
