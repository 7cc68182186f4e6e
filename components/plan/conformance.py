"""Provider input conformance: every recorded input checked against the installed provider SDKs' types.

The mock runtime accepts any input; a real provider rejects an unknown property, a missing required
one, a value of the wrong kind or a value outside an enum before it creates anything. The schema is
read from the SDKs themselves: the type token maps to the SDK class through the SDK's own resource
registration (``_utilities.register``), the class to its ``@pulumi.input_type`` ``<Class>Args``, and
each Args property to its engine (camelCase) name and type annotation, nested Args recursively.

Masked secrets and values unknown at preview are accepted wherever they appear: only a real run can
judge them. Enums are judged where the SDK declares a closed enum; ``Union[str, SomeEnum]`` is the
SDK saying any string is accepted.
"""

from __future__ import annotations

import difflib
import enum
import importlib
import json
import sys
import types
import typing
from collections import abc
from dataclasses import dataclass
from functools import cache
from typing import Any

import pulumi
from pulumi._types import is_input_type
from pulumi.runtime import rpc

from .findings import Finding
from .recorder import SECRET, UNKNOWN

# Importing each SDK registers its type tokens with the runtime.
SDK_PACKAGES = ("pulumi_aws", "pulumi_eks", "pulumi_kubernetes", "pulumi_random")

# What typing.get_origin gives for List/Sequence[...] and Dict/Mapping[...], subscripted or bare.
_SEQUENCES = (list, abc.Sequence)
_MAPPINGS = (dict, abc.Mapping)


@dataclass(frozen=True)
class _Field:
    hint: Any
    required: bool


@dataclass(frozen=True)
class _Schema:
    """What a provider accepts for one resource type: its Args class, and whether it is a provider."""

    args: type
    provider: bool


def _import_sdks() -> None:
    for package in SDK_PACKAGES:
        importlib.import_module(package)


def _args_of(resource_class: type) -> type:
    """The input type a resource class is constructed from: its ``__init__(name, args, opts)`` overload."""
    for overload in typing.get_overloads(vars(resource_class)["__init__"]):
        for shape in _flatten(overload.__annotations__.get("args")):
            if isinstance(shape, type) and is_input_type(shape):
                return shape
    raise LookupError(f"{resource_class.__module__}.{resource_class.__name__} declares no input type")


@cache
def schema_for(token: str) -> _Schema | None:
    """The SDK's input schema of a type token, or None when no installed SDK declares it."""
    _import_sdks()
    if token.startswith("pulumi:providers:"):
        package = rpc.get_resource_package(token.removeprefix("pulumi:providers:"), "")
        info = getattr(package, "pkg_info", None)
        if info is None:
            return None
        provider_class = getattr(importlib.import_module(info["fqn"]), info["class"])
        return _Schema(_args_of(provider_class), provider=True)
    try:
        pkg, mod, _ = token.split(":")
    except ValueError:
        return None
    module = rpc.get_resource_module(pkg, mod, "")
    info = getattr(module, "mod_info", None)
    class_name = info["classes"].get(token) if info else None
    if info is None or class_name is None:
        if pkg == "kubernetes":
            # Kinds of custom resource definitions: the SDK's generic CustomResource takes them.
            from pulumi_kubernetes.apiextensions.CustomResource import CustomResourceArgs

            return _Schema(CustomResourceArgs, provider=False)
        return None
    resource_class = getattr(importlib.import_module(info["fqn"]), class_name)
    return _Schema(_args_of(resource_class), provider=False)


def _globals_of(cls: type) -> dict[str, Any]:
    # Annotations name types of sibling modules (``_inputs``, ``meta.v1``): resolve them in the
    # namespaces of the class and its bases, as the SDK does when it deserialises outputs.
    namespace: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base.__module__ in sys.modules:
            namespace.update(vars(sys.modules[base.__module__]))
    return namespace


@cache
def fields_of(args: type) -> dict[str, _Field]:
    """Engine (camelCase) name -> annotation and whether it is required, for one Args class."""
    local = {"Output": pulumi.Output, "T": type(None)}
    namespace = _globals_of(args)
    fields: dict[str, _Field] = {}
    for base in reversed(args.__mro__):
        for attribute in vars(base).values():
            if not isinstance(attribute, property) or attribute.fget is None:
                continue
            engine_name = getattr(attribute.fget, "_pulumi_name", None)
            if engine_name is None:
                continue
            hint = typing.get_type_hints(attribute.fget, globalns=namespace, localns=local)["return"]
            fields[engine_name] = _Field(hint, required=type(None) not in _flatten(hint))
    return fields


def _flatten(hint: Any) -> list[Any]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [member for arg in typing.get_args(hint) for member in _flatten(arg)]
    return [hint]


def _alternatives(hint: Any) -> list[Any]:
    """The value shapes an annotation admits: ``Input[T]`` and ``Optional[T]`` reduce to ``T``."""
    shapes: list[Any] = []
    for member in _flatten(hint):
        origin = typing.get_origin(member)
        # Input[T] is Union[T, Awaitable[T], Output[T]]: the T beside them is the shape.
        if member is type(None) or origin in (pulumi.Output, abc.Awaitable, typing.Awaitable):
            continue
        if member not in shapes:
            shapes.append(member)
    return shapes


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _describe(shape: Any) -> str:
    if shape is str:
        return "string"
    if shape is bool:
        return "boolean"
    if shape is int:
        return "integer"
    if shape is float:
        return "number"
    if isinstance(shape, type) and issubclass(shape, enum.Enum):
        return f"one of {', '.join(repr(m.value) for m in shape)}"
    if typing.get_origin(shape) is typing.Literal:
        return " or ".join(repr(value) for value in typing.get_args(shape))
    origin = typing.get_origin(shape) or shape
    if origin in _SEQUENCES:
        return "list"
    if origin in _MAPPINGS:
        return "map"
    if isinstance(shape, type) and is_input_type(shape):
        return f"object ({shape.__name__})"
    return getattr(shape, "__name__", str(shape))


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    def __init__(self, provider: bool) -> None:
        # Provider configuration travels as strings: booleans, numbers and objects JSON-encoded.
        self.provider = provider
        self.problems: list[tuple[str, str]] = []

    def value(self, value: Any, hint: Any, path: str) -> None:
        if value is None or value in (SECRET, UNKNOWN):
            return
        shapes = _alternatives(hint)
        if not shapes or typing.Any in shapes:
            return
        if self.provider and isinstance(value, str) and not any(_takes_string(shape) for shape in shapes):
            try:
                value = json.loads(value)
            except ValueError:
                expected = " or ".join(_describe(shape) for shape in shapes)
                self.problems.append((path, f"expected {expected} (JSON-encoded), got string {_show(value)}"))
                return
        closest: list[tuple[str, str]] | None = None
        for shape in shapes:
            problems = self._against(value, shape, path)
            if not problems:
                return
            if closest is None and _same_kind(value, shape):
                closest = problems
        if closest is None:
            expected = " or ".join(_describe(shape) for shape in shapes)
            closest = [(path, f"expected {expected}, got {_json_kind(value)} {_show(value)}")]
        self.problems.extend(closest)

    def _against(self, value: Any, shape: Any, path: str) -> list[tuple[str, str]]:
        nested = _Checker(provider=False)
        origin = typing.get_origin(shape) or shape
        if shape is str:
            ok = isinstance(value, str)
        elif shape is bool:
            ok = isinstance(value, bool)
        elif shape is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif shape is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif origin is typing.Literal:
            if value not in typing.get_args(shape):
                return [(path, f"{_show(value)} is not {_describe(shape)}")]
            ok = True
        elif _is_enum(shape):
            if value not in {member.value for member in shape}:
                return [(path, f"{_show(value)} is not {_describe(shape)}")]
            ok = True
        elif origin in _SEQUENCES:
            if not isinstance(value, list):
                return [(path, f"expected list, got {_json_kind(value)} {_show(value)}")]
            (item,) = typing.get_args(shape) or (typing.Any,)
            for index, element in enumerate(value):
                nested.value(element, item, f"{path}[{index}]")
            return nested.problems
        elif origin in _MAPPINGS:
            if not isinstance(value, dict):
                return [(path, f"expected map, got {_json_kind(value)} {_show(value)}")]
            arguments = typing.get_args(shape)
            item = arguments[1] if len(arguments) == 2 else typing.Any
            for key, element in value.items():
                nested.value(element, item, f"{path}.{key}")
            return nested.problems
        elif isinstance(shape, type) and is_input_type(shape):
            if not isinstance(value, dict):
                return [(path, f"expected object ({shape.__name__}), got {_json_kind(value)} {_show(value)}")]
            nested.object(value, shape, path)
            return nested.problems
        elif shape in (pulumi.Asset, pulumi.Archive):
            ok = isinstance(value, dict) and bool({"asset", "archive"} & value.keys())
        elif isinstance(shape, type) and issubclass(shape, pulumi.Resource):
            ok = isinstance(value, str)  # a resource reference travels as its URN
        else:
            # An annotation this check cannot judge blocks the plan rather than passing unseen.
            return [(path, f"the conformance check cannot judge the SDK annotation {shape!r}")]
        return [] if ok else [(path, f"expected {_describe(shape)}, got {_json_kind(value)} {_show(value)}")]

    def object(self, value: dict[str, Any], args: type, path: str) -> None:
        fields = fields_of(args)
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                guess = difflib.get_close_matches(key, list(fields), n=1)
                hint = f" (did you mean {guess[0]!r}?)" if guess else ""
                self.problems.append((f"{prefix}{key}", f"{args.__name__} has no property {key!r}{hint}"))
            else:
                self.value(item, field.hint, f"{prefix}{key}")
        for key, field in fields.items():
            if field.required and value.get(key) is None:
                self.problems.append((f"{prefix}{key}", f"missing required property of {args.__name__}"))


def _takes_string(shape: Any) -> bool:
    return shape is str or _is_enum(shape) or typing.get_origin(shape) is typing.Literal


def _is_enum(shape: Any) -> bool:
    return isinstance(shape, type) and issubclass(shape, enum.Enum)


def _same_kind(value: Any, shape: Any) -> bool:
    """Whether a failed shape is the one the value was meant for (its problems are the useful ones)."""
    origin = typing.get_origin(shape) or shape
    if isinstance(value, dict):
        return origin in _MAPPINGS or (isinstance(shape, type) and is_input_type(shape))
    if isinstance(value, list):
        return origin in _SEQUENCES
    return isinstance(value, str) and (_is_enum(shape) or typing.get_origin(shape) is typing.Literal)


def check_resource(resource: dict[str, Any]) -> list[Finding]:
    """The findings of one ``plan.json`` resource; none for the project's own components."""
    token = resource["type"]
    if token.startswith("pulumi:pulumi:"):
        return []  # the engine's own (the stack, stack references): no provider judges their inputs
    schema = schema_for(token)
    if schema is None:
        if not resource["custom"]:
            return []  # a component of this program: nothing a provider sees
        return [Finding(resource["urn"], token, "", "no installed provider SDK declares this type")]
    checker = _Checker(schema.provider)
    checker.object(resource["inputs"], schema.args, "")
    return [Finding(resource["urn"], token, path, message) for path, message in checker.problems]


def check_plan(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``conformance`` section of ``plan.json``."""
    findings = [finding.to_json() for resource in resources for finding in check_resource(resource)]
    checked = sum(1 for resource in resources if schema_for(resource["type"]) is not None)
    # Registration order varies between runs: sorted, the same plan gives the same report.
    findings.sort(key=lambda finding: (finding["type"], finding["urn"], finding["path"]))
    return {"checked": checked, "findings": findings}
