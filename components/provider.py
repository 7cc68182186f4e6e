"""The components as a Pulumi package: TypeScript, Go, C#, Java and YAML programs use them through this provider.

Pulumi infers the package schema (every component's inputs, outputs and their descriptions) from the
components' annotations and docstrings, and constructs a component in this process when a program of
another language declares one. The repository's ``provider/`` directory (``PulumiPlugin.yaml``) is what
``pulumi package add`` runs; it calls :func:`main`, as do ``python -m kubeboard_infra.provider`` and the
``pulumi-resource-kubeboard`` console script.

Every component exported by ``kubeboard_infra`` is published: a new export needs no change here.
"""

import inspect
import sys
import typing
from importlib.metadata import version

import pulumi
from pulumi.provider.experimental import component as experimental_component
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.analyzer import Analyzer

# The package name is the first part of every type token (``kubeboard:index:Network``): the tokens the
# components register with in Python, so a program of any language creates the same URNs.
NAME = "kubeboard"
NAMESPACE = "kubeboard"
DISTRIBUTION = "kubeboard-infra"


class DocumentedAnalyzer(Analyzer):
    """Pulumi's analyzer, reading a TypedDict key's docstring where the key is declared.

    Pulumi reads a key's docstring from the source of the class it analyses only; an Args type that
    extends its component's config (``EdgeArgs(EdgeConfig)``) would publish the config's keys without
    descriptions. The key is looked up in the TypedDict bases the class was declared with.
    """

    def get_docstring(self, typ: type, name: str) -> str | None:
        found: str | None = super().get_docstring(typ, name)
        if found is not None or not typing.is_typeddict(typ):
            return found
        for base in getattr(typ, "__orig_bases__", ()):
            if typing.is_typeddict(base) and name in base.__annotations__:
                return self.get_docstring(base, name)
        return None


# Pulumi's component provider builds its analyzer by this name: every schema this process serves or
# builds reads inherited keys' docstrings too.
experimental_component.Analyzer = DocumentedAnalyzer  # type: ignore[misc]


def components() -> list[type[pulumi.ComponentResource]]:
    """Every component class in ``kubeboard_infra.__all__``, in that order."""
    import kubeboard_infra

    exported = (getattr(kubeboard_infra, name) for name in kubeboard_infra.__all__)
    return [
        value for value in exported if inspect.isclass(value) and issubclass(value, pulumi.ComponentResource)
    ]


def schema_problems(published: list[type[pulumi.ComponentResource]]) -> list[str]:
    """One line per component Pulumi cannot infer a schema for, naming it and the analyzer's reason."""
    problems = []
    for component in published:
        try:
            DocumentedAnalyzer(NAME).analyze([component])
        except Exception as error:  # the analyzer raises bare Exceptions
            problems.append(f"{component.__name__}: {error}{_hint(error)}")
    return problems


def _hint(error: Exception) -> str:
    # What the analyzer says when it meets an annotation that is still a string.
    if isinstance(error, AttributeError) and "__mro__" in str(error):
        return " (a string annotation: its module must not use `from __future__ import annotations`)"
    return ""


def serve(published: list[type[pulumi.ComponentResource]]) -> None:
    """Serve ``published`` over gRPC; the engine's address is the first argument, the port goes to stdout."""
    component_provider_host(
        components=published, name=NAME, namespace=NAMESPACE, version=version(DISTRIBUTION)
    )


def main() -> None:
    published = components()
    # Checked first so a refusal names every component at fault, not only the first one.
    problems = schema_problems(published)
    if problems:
        sys.exit(
            "kubeboard provider: no schema can be inferred for\n" + "\n".join(f"  {p}" for p in problems)
        )
    serve(published)


if __name__ == "__main__":
    main()
