"""The chart renders with the real Helm engine, lints clean, and every object is valid Kubernetes."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import helm_sdkpy
import kubernetes_validate
import pytest

from tests.chart.chart_render import (
    CHART,
    KUBERNETES_VERSION,
    RELEASE_NAMESPACE,
    STACKS,
    Rendered,
    Renderer,
    stack_values,
)
from tests.chart.custom_resources import CUSTOM_RESOURCES, validate_custom_resource

# What the platform needs from the chart (K2, K6, K11, O4, O5, O6, O8, H3), per kind.
EXPECTED_KINDS = {
    "Namespace": 3,
    "ResourceQuota": 3,
    "LimitRange": 3,
    "NetworkPolicy": 3 * 3 + 2 + 3,
    "RoleBinding": 6,
    "ServiceAccount": 2,
    "ClusterRole": 1,
    "ClusterRoleBinding": 1,
    "ConfigMap": 3,
    "PersistentVolumeClaim": 1,
    "CronJob": 1,
    "Deployment": 1,
    "Service": 1,
    "HorizontalPodAutoscaler": 1,
    "PodDisruptionBudget": 1,
    # Tenancy: the admission policies for team Ingresses and Services, bound to team namespaces.
    "ValidatingAdmissionPolicy": 2,
    "ValidatingAdmissionPolicyBinding": 2,
}
# With a certificate and a WAF ACL: the front page's Ingress and the teams' own class.
PUBLISHED_KINDS = {"Ingress": 1, "IngressClass": 1, "IngressClassParams": 1}
# With the views' role and buckets (components/report_reader.py): their sync job, its identity,
# script and egress policy.
VIEWS_KINDS = {"CronJob": 1, "ServiceAccount": 1, "ConfigMap": 1, "NetworkPolicy": 1}
# The web tier as an Argo Rollout instead of the Deployment, with its analysis templates and the
# Services each strategy adds (canary: stable and canary; blueGreen: preview).
ROLLOUT_KINDS = {"Rollout": 1, "AnalysisTemplate": 2, "Deployment": -1}
STRATEGY_KINDS = {
    "canary": {**ROLLOUT_KINDS, "Service": 2},
    "blueGreen": {**ROLLOUT_KINDS, "Service": 1},
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "IngressClass",
    "IngressClassParams",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}


def test_default_values_render_every_platform_object(rendered_default: Rendered) -> None:
    kinds = Counter(d["kind"] for d in rendered_default.docs)
    assert kinds == Counter(EXPECTED_KINDS)
    # Without a certificate and a WAF ACL the page is not published at all.
    assert rendered_default.of_kind("Ingress") == []


@pytest.mark.parametrize("stack", STACKS)
def test_stack_values_render_with_the_ingress(rendered_stacks: dict[str, Rendered], stack: str) -> None:
    kinds = Counter(d["kind"] for d in rendered_stacks[stack].docs)
    strategy = stack_values(stack)["rollout"]["strategy"]
    expected = Counter(EXPECTED_KINDS) + Counter(PUBLISHED_KINDS) + Counter(VIEWS_KINDS)
    expected.update(STRATEGY_KINDS[strategy])
    assert kinds == +expected


def test_objects_land_in_the_platform_namespaces(all_renders: dict[str, Rendered]) -> None:
    assert all_renders
    for name, rendered in all_renders.items():
        assert rendered.docs, name
        for doc in rendered.docs:
            namespace = doc["metadata"].get("namespace")
            if doc["kind"] in CLUSTER_SCOPED:
                assert namespace is None, f"{name}: {doc['kind']} {doc['metadata']['name']}"
            else:
                assert namespace in {"dev", "prod", "common"}, (
                    f"{name}: {doc['kind']} {doc['metadata']['name']}"
                )


@pytest.mark.parametrize("which", ["default", *STACKS])
def test_every_object_validates_strictly_against_the_cluster_version(
    all_renders: dict[str, Rendered], which: str
) -> None:
    failures = []
    for doc in all_renders[which].docs:
        if doc["kind"] in CUSTOM_RESOURCES:
            failures += validate_custom_resource(doc)
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {err.message}")
    assert failures == []


def test_strict_validation_would_catch_a_misspelt_field(rendered_default: Rendered) -> None:
    deployment = rendered_default.one("Deployment", "kubeboard-web")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


# helm's lint severities: 1 info, 2 warning, 3 error.
LINT_WARNING = 2


def lint(render: Renderer, chart: Path) -> dict[str, Any]:
    config = helm_sdkpy.Configuration(namespace=RELEASE_NAMESPACE, kubeconfig=str(render.kubeconfig))
    return asyncio.run(helm_sdkpy.Lint(config).run(str(chart)))


def test_chart_lints_clean(render: Renderer) -> None:
    result = lint(render, CHART)
    assert result["TotalChartsLinted"] == 1
    assert not result["Errors"], result
    assert [m for m in result["Messages"] if m["Severity"] >= LINT_WARNING] == []


def test_lint_reports_a_broken_template(render: Renderer, tmp_path: Path) -> None:
    broken = tmp_path / "kubeboard"
    shutil.copytree(CHART, broken)
    (broken / "templates" / "broken.yaml").write_text("{{ .Values.no.such.key }}\n", encoding="utf-8")
    result = lint(render, broken)
    assert result["Errors"]
    assert any(m["Severity"] > LINT_WARNING and m["Path"].startswith("templates") for m in result["Messages"])


@pytest.mark.usefixtures("rendered_default")
def test_the_release_record_and_objects_reach_the_api(render: Renderer) -> None:
    # The engine really ran an install (the fixture's, whichever test ran first in this worker):
    # it looked the release up and stored its record.
    methods = {(m, p) for m, p in render.stub.requests}
    assert ("GET", "/api/v1/namespaces/common/secrets") in methods
    assert ("POST", "/api/v1/namespaces/common/secrets") in methods
    assert any(obj.get("kind") == "Deployment" for obj in render.stub.created)


def test_the_platform_project_admits_every_cluster_scoped_kind_the_chart_creates(
    all_renders: dict[str, Rendered],
) -> None:
    """Argo CD refuses to sync a kind its AppProject does not list: the list follows the chart."""
    from kubeboard_infra.gitops import PLATFORM_CLUSTER_KINDS

    created = {
        (doc["apiVersion"].rpartition("/")[0], doc["kind"])
        for rendered in all_renders.values()
        for doc in rendered.docs
        if doc["kind"] in CLUSTER_SCOPED
    }
    assert created == set(PLATFORM_CLUSTER_KINDS)
