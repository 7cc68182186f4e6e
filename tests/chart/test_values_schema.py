"""values.schema.json and the chart's own checks refuse bad values, by name, before anything renders."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.chart_render import CHART, STACKS, Renderer, default_values, stack_values, with_change

SCHEMA = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))

# (change to the dev stack's values, a fragment Helm's refusal must contain)
BAD_VALUES: list[tuple[str, Any, str]] = [
    ("ingress.certificateARN", "arn:aws:acm:ap-northeast-2:123456789012:certificate/x", "certificateARN"),
    ("colector", {}, "colector"),
    ("web.image.tag", "latest", "/web/image/tag"),
    ("collector.image.tag", "3.13 slim", "/collector/image/tag"),
    ("network.vpcCidr", "10.0.0.0/33", "/network/vpcCidr"),
    ("network.vpcCidr", "10.0.0/16", "/network/vpcCidr"),
    ("frontPage.grafana.loggingUrl", "javascript:alert(1)", "/frontPage/grafana/loggingUrl"),
    ("frontPage.grafana.infraUrl", "http://grafana.example.com/", "/frontPage/grafana/infraUrl"),
    ("frontPage.grafana.infraUrl", "/d/x; return 200", "/frontPage/grafana/infraUrl"),
    ("ingress.certificateArn", "", "/ingress/certificateArn"),
    ("ingress.wafAclArn", "arn:aws:acm:ap-northeast-2:123456789012:certificate/x", "/ingress/wafAclArn"),
    ("ingress.host", "", "/ingress/host"),
    (
        "ingress.extraAnnotations",
        {"alb.ingress.kubernetes.io/ssl-redirect": "false"},
        "/ingress/extraAnnotations",
    ),
    ("ingress.extraAnnotations", {"nginx.ingress.kubernetes.io/x": "y"}, "nginx.ingress.kubernetes.io/x"),
    ("podSecurityContext.runAsUser", 0, "/podSecurityContext/runAsUser"),
    ("web.autoscaling.minReplicas", 1, "/web/autoscaling/minReplicas"),
    # null removes a default in Helm: a container without a memory limit is refused.
    ("web.resources.limits.memory", None, "/web/resources/limits"),
    ("namespaces.dev.quota.requestsCpu", "four", "/namespaces/dev/quota/requestsCpu"),
    ("rbac.viewerGroup", "system:masters", "/rbac/viewerGroup"),
    ("storage.storageClassName", "EFS SC", "/storage/storageClassName"),
    ("collector.schedule", "every five minutes", "/collector/schedule"),
    ("web.image.pullPolicy", "Never", "/web/image/pullPolicy"),
]

# Rules across keys, checked by templates/validate.yaml.
BAD_COMBINATIONS: list[tuple[dict[str, Any], str]] = [
    ({"rbac.viewerGroup": "kubeboard:developers"}, "rbac.viewerGroup: must differ from rbac.developerGroup"),
    (
        {"web.autoscaling.maxReplicas": 2, "web.autoscaling.minReplicas": 4},
        "web.autoscaling.maxReplicas: must be >=",
    ),
    ({"web.podDisruptionBudget.minAvailable": 2}, "web.podDisruptionBudget.minAvailable: must be <"),
]


@pytest.mark.parametrize(
    ("key", "value", "fragment"), BAD_VALUES, ids=[f"{k}={v!r}" for k, v, _ in BAD_VALUES]
)
def test_helm_refuses_bad_values_naming_the_key(
    render: Renderer, key: str, value: Any, fragment: str
) -> None:
    message = render.error(with_change(stack_values("dev"), key, value))
    assert "values don't meet the specifications of the schema" in message
    assert fragment in message


@pytest.mark.parametrize(("changes", "fragment"), BAD_COMBINATIONS, ids=[f for _, f in BAD_COMBINATIONS])
def test_helm_refuses_inconsistent_values(render: Renderer, changes: dict[str, Any], fragment: str) -> None:
    values = stack_values("dev")
    for key, value in changes.items():
        values = with_change(values, key, value)
    assert fragment in render.error(values)


def test_an_enabled_ingress_needs_the_edge_contract(render: Renderer) -> None:
    message = render.error(with_change(default_values(), "ingress.enabled", True))
    for key in ("host", "certificateArn", "wafAclArn"):
        assert f"/ingress/{key}" in message


def test_schema_is_valid_draft7_and_strict_on_objects() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)

    def objects(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(node, dict):
            return []
        found = [(path, node)] if node.get("type") == "object" else []
        for key, child in node.items():
            if isinstance(child, dict):
                found += objects(child, f"{path}/{key}")
            elif isinstance(child, list):
                for i, item in enumerate(child):
                    found += objects(item, f"{path}/{key}[{i}]")
        return found

    # Every object either lists its keys (additionalProperties false) or types its free-form values.
    loose = [path for path, node in objects(SCHEMA, "#") if node.get("additionalProperties", True) is True]
    assert loose == []


@pytest.mark.parametrize("source", ["chart-defaults", *STACKS])
def test_shipped_values_satisfy_the_schema(source: str) -> None:
    # Helm validates the stack's values coalesced over the chart's defaults.
    values = (
        default_values() if source == "chart-defaults" else merged(default_values(), stack_values(source))
    )
    jsonschema.Draft7Validator(SCHEMA).validate(values)


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        both_maps = isinstance(value, dict) and isinstance(base.get(key), dict)
        result[key] = merged(base[key], value) if both_maps else value
    return result


def test_every_default_is_documented_in_the_schema() -> None:
    def keys(node: Any, prefix: str = "") -> set[str]:
        if not isinstance(node, dict):
            return set()
        return {f"{prefix}{k}" for k in node} | {x for k, v in node.items() for x in keys(v, f"{prefix}{k}.")}

    def schema_keys(node: dict[str, Any], prefix: str = "") -> set[str]:
        found: set[str] = set()
        for key, child in node.get("properties", {}).items():
            found.add(f"{prefix}{key}")
            found |= schema_keys(child, f"{prefix}{key}.")
        return found

    free_form = ("network.dns.podLabels.", "ingress.extraAnnotations.")
    defaults = {
        k for k in keys(yaml.safe_load((CHART / "values.yaml").read_text())) if not k.startswith(free_form)
    }
    assert defaults <= schema_keys(SCHEMA)
