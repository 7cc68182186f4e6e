"""ValidatingAdmissionPolicy evaluated offline: its variables and validations run through a CEL
engine (cel-python) the way the API server runs them, and its binding's namespace selector is
matched against the rendered Namespaces."""

from __future__ import annotations

from typing import Any

import celpy


def _evaluate(environment: celpy.Environment, expression: str, activation: dict[str, Any]) -> Any:
    program = environment.program(environment.compile(expression))
    return program.evaluate(activation)


def refusals(policy: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """The messages of every validation of ``policy`` that ``obj`` fails (empty: admitted)."""
    environment = celpy.Environment()
    activation: dict[str, Any] = {"object": celpy.json_to_cel(obj), "variables": celpy.celtypes.MapType()}
    for variable in policy["spec"].get("variables", []):
        value = _evaluate(environment, variable["expression"], activation)
        activation["variables"][celpy.celtypes.StringType(variable["name"])] = value
    failed = []
    for validation in policy["spec"]["validations"]:
        result = _evaluate(environment, validation["expression"], activation)
        # An evaluation error denies too: the policies use failurePolicy Fail.
        if not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            failed.append(validation["message"])
    return failed


def selects(binding: dict[str, Any], namespace: dict[str, Any]) -> bool:
    """Whether the binding's namespaceSelector (matchLabels only) picks ``namespace``."""
    selector = binding["spec"]["matchResources"]["namespaceSelector"]
    assert set(selector) == {"matchLabels"}, "only matchLabels selectors are modelled"
    labels = namespace["metadata"].get("labels", {})
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())
