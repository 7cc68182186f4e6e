"""Every Helm release of both plans, installed with the real Helm engine from the vendored chart
packages with exactly the plan's values, on an empty cluster in the plan's order.

Every release renders; every object is valid for the cluster's Kubernetes version (built-in kinds
with kubernetes-validate's strict schemas, custom resources with their CRD's schema); every
container requests CPU and memory and has a memory limit (O4); every pod meets Pod Security
`restricted`, or says which level it needs and why, and its namespace admits it (O6).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate import utils

from kubeboard_infra.addons import argo_rollouts
from kubeboard_infra.addons.pod_security import NEEDS_ANNOTATION
from tests.chart.chart_render import STACKS
from tests.chart.cluster_render import ReleaseRenderError, RenderedRelease, render_plan
from tests.chart.object_checks import (
    containers,
    crd_schemas,
    flatten,
    name_of,
    pod_specs,
    resource_gaps,
    schema_error,
)
from tests.chart.plan_releases import (
    PACKAGES,
    RELEASE_TYPE,
    PlanRelease,
    cluster_minor,
    pod_security_levels,
    releases_in_order,
)
from tests.chart.pod_security import LEVELS, allows, level_of, violations
from tests.conftest import plan_for

# What an unlabelled namespace enforces: EKS runs Pod Security admission with no cluster default.
UNLABELLED_NAMESPACE_LEVEL = "privileged"


def _objects(renders: list[RenderedRelease]) -> list[tuple[PlanRelease, dict[str, Any]]]:
    return [(r.release, obj) for r in renders for obj in flatten(r.objects)]


def _kubernetes_version(stack: str) -> str:
    version = f"1.{cluster_minor(plan_for(stack))}"
    # kubernetes-validate would otherwise fall back to an older version's schemas.
    assert version in {utils.major_minor(v) for v in utils.all_versions()}, (
        f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for Kubernetes {version}"
    )
    return f"{version}.0"


# --- the packages ---------------------------------------------------------------------------------


def _provenance() -> dict[str, str]:
    """Package file -> sha256, from the table in PROVENANCE.md."""
    text = (PACKAGES / "PROVENANCE.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| (\S+\.tgz) \| \d+ \| `([0-9a-f]{64})` \|", text, flags=re.MULTILINE))


def test_every_vendored_package_is_the_one_its_provenance_records() -> None:
    recorded = _provenance()
    assert recorded, "PROVENANCE.md lists no packages"
    assert {p.name for p in PACKAGES.glob("*.tgz")} == set(recorded)
    for name, sha256 in recorded.items():
        assert hashlib.sha256((PACKAGES / name).read_bytes()).hexdigest() == sha256, name


@pytest.mark.parametrize("stack", STACKS)
def test_every_release_of_the_plan_has_its_chart_package(stack: str) -> None:
    for release in releases_in_order(plan_for(stack)):
        assert release.package.is_file(), f"{release.name}: no {release.package.name} in {PACKAGES}"


# --- order -------------------------------------------------------------------------------------


def test_loki_installs_on_an_empty_cluster_without_another_releases_crds(tmp_path: Path) -> None:
    """Loki's ServiceMonitor comes from kube-prometheus-stack (additionalServiceMonitors), so Loki
    needs no CRD of another release and both install side by side (the critical path relies on it)."""
    plan = copy.deepcopy(plan_for("dev"))
    plan["resources"] = [
        r for r in plan["resources"] if r["type"] != RELEASE_TYPE or r["inputs"]["name"] == "loki"
    ]
    [loki] = render_plan(plan, tmp_path)
    kinds = {obj["kind"] for obj in loki.manifest}
    assert "StatefulSet" in kinds
    assert "ServiceMonitor" not in kinds


@pytest.mark.parametrize("stack", STACKS)
def test_kube_prometheus_stack_scrapes_loki(stack: str) -> None:
    releases = {r["inputs"]["name"]: r for r in plan_for(stack)["resources"] if r["type"] == RELEASE_TYPE}
    monitors = releases["kube-prometheus-stack"]["inputs"]["values"]["prometheus"][
        "additionalServiceMonitors"
    ]
    assert [m for m in monitors if "loki" in json.dumps(m)]
    assert releases["kube-prometheus-stack"]["urn"] not in releases["loki"]["dependencies"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_monitor_kube_prometheus_stack_makes_for_another_release_finds_its_service(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    """Loki's, the Alloy DaemonSet's (the front page's request counter) and Argo Rollouts'
    ServiceMonitors select a Service that release really renders, with the port they scrape."""
    renders = plan_renders[stack]
    [kps] = [r for r in renders if r.release.name == "kube-prometheus-stack"]
    monitors = kps.release.values["prometheus"]["additionalServiceMonitors"]
    assert {"loki", "alloy-logs", "argo-rollouts"} <= {m["name"] for m in monitors}
    services = [
        (r.release.namespace, o) for r in renders for o in flatten(r.manifest) if o["kind"] == "Service"
    ]
    for monitor in monitors:
        selected = [
            service
            for namespace, service in services
            if namespace in monitor["namespaceSelector"]["matchNames"]
            and monitor["selector"]["matchLabels"].items() <= service["metadata"].get("labels", {}).items()
        ]
        assert selected, f"{monitor['name']} selects no Service"
        ports = {p.get("name") for service in selected for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["endpoints"]} <= ports, monitor["name"]
    # The labels the monitoring NetworkPolicies admit the Argo Rollouts controller by are its pods'.
    [controller] = [
        o
        for r in renders
        if r.release.name == argo_rollouts.NAME
        for o in flatten(r.manifest)
        if o["kind"] == "Deployment"
    ]
    assert (
        argo_rollouts.CONTROLLER_LABELS.items()
        <= controller["spec"]["template"]["metadata"]["labels"].items()
    )


# --- rendering ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_release_renders(plan_renders: dict[str, list[RenderedRelease]], stack: str) -> None:
    renders = plan_renders[stack]
    assert [r.release.name for r in renders] == [r.name for r in releases_in_order(plan_for(stack))]
    for render in renders:
        assert render.manifest, f"{render.release.name} rendered nothing"
        workloads = [o for o in flatten(render.objects) if list(pod_specs(o))]
        assert workloads, f"{render.release.name} runs no pods"


def test_a_values_mistake_helm_rejects_fails_the_render(tmp_path: Path) -> None:
    plan = copy.deepcopy(plan_for("dev"))
    loki = next(r for r in plan["resources"] if r["type"] == RELEASE_TYPE and r["inputs"]["name"] == "loki")
    loki["inputs"]["values"]["singleBinary"]["replicas"] = "one"  # the chart's schema wants a number
    with pytest.raises(ReleaseRenderError, match=r"(?s)loki \(loki 18\.11\.0\): .*'/singleBinary/replicas'"):
        render_plan(plan, tmp_path)


# --- validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_is_valid_for_the_cluster_version(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    objects = _objects(plan_renders[stack])
    custom = crd_schemas([o for _, o in objects if o["kind"] == "CustomResourceDefinition"])
    version = _kubernetes_version(stack)
    errors = [
        f"{release.name}: {name_of(obj)}: {error}"
        for release, obj in objects
        if (error := schema_error(obj, version, custom)) is not None
    ]
    assert not errors, "\n".join(errors)
    # Custom resources were checked too (against their CRD), not skipped.
    assert {"ServiceMonitor", "PrometheusRule", "Prometheus"} <= {o["kind"] for _, o in objects}


def test_validation_catches_a_misspelt_field_and_a_wrong_type(
    plan_renders: dict[str, list[RenderedRelease]],
) -> None:
    objects = [o for _, o in _objects(plan_renders["dev"])]
    custom = crd_schemas([o for o in objects if o["kind"] == "CustomResourceDefinition"])
    deployment = copy.deepcopy(next(o for o in objects if o["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    assert "'resource' was unexpected" in str(schema_error(deployment, "1.34.0", custom))
    monitor = copy.deepcopy(next(o for o in objects if o["kind"] == "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["interval"] = 30
    assert "is not of type 'string'" in str(schema_error(monitor, "1.34.0", custom))
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert "no schema" in str(schema_error(unknown, "1.34.0", custom))


# --- requests and limits (O4) -------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_requests_cpu_and_memory_and_limits_memory(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    gaps = [
        f"{release.name}: {gap}"
        for release, obj in _objects(plan_renders[stack])
        for gap in resource_gaps(obj)
    ]
    assert not gaps, "\n".join(gaps)


def test_a_container_without_a_memory_limit_is_caught() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "hook", "namespace": "x"},
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "init", "resources": {}}],
                    "containers": [
                        {"name": "main", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
                    ],
                }
            }
        },
    }
    assert resource_gaps(job) == [
        "Job x/hook container init: no cpu request",
        "Job x/hook container init: no memory request",
        "Job x/hook container init: no memory limit",
        "Job x/hook container main: no memory limit",
    ]


# --- Pod Security (O6) ---------------------------------------------------------------------------


def _needed_level(obj: dict[str, Any]) -> tuple[str, str]:
    """The level a workload says it needs (restricted unless annotated) and the reason it gives."""
    template = obj["spec"].get("template") or obj["spec"].get("jobTemplate", {}).get("spec", {}).get(
        "template", {}
    )
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    stated = annotations.get(NEEDS_ANNOTATION)
    if stated is None:
        return "restricted", ""
    level, _, reason = stated.partition(": ")
    return level, reason


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_meets_the_level_it_states_and_its_namespace_admits_it(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    enforced = pod_security_levels(plan_for(stack))
    problems = []
    for release, obj in _objects(plan_renders[stack]):
        for pod in pod_specs(obj):
            where = f"{release.name}: {name_of(obj)}"
            needed, reason = _needed_level(obj)
            assert needed in LEVELS, f"{where}: unknown level {needed!r}"
            if needed != "restricted" and len(reason) < 20:
                problems.append(f"{where}: needs {needed} without saying why")
            problems += [f"{where}: {v} (states {needed})" for v in violations(pod, needed)]
            if needed != "restricted" and level_of(pod) != needed:
                problems.append(f"{where}: states {needed} but meets {level_of(pod)}: drop the annotation")
            namespace = obj["metadata"].get("namespace") or release.namespace
            level = enforced.get(namespace, UNLABELLED_NAMESPACE_LEVEL)
            if not allows(level, needed):
                problems.append(f"{where}: needs {needed}, namespace {namespace} enforces {level}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", STACKS)
def test_each_labelled_namespace_enforces_no_less_than_its_pods_need(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    # Loose enforcement would admit a later pod that needs more, with no reason recorded anywhere.
    enforced = pod_security_levels(plan_for(stack))
    needed: dict[str, str] = {}
    for release, obj in _objects(plan_renders[stack]):
        if list(pod_specs(obj)):
            namespace = obj["metadata"].get("namespace") or release.namespace
            needed[namespace] = max(
                _needed_level(obj)[0], needed.get(namespace, "restricted"), key=LEVELS.index
            )
    labelled = set(enforced) & set(needed)
    assert {"argocd", "monitoring"} <= labelled
    assert {ns: enforced[ns] for ns in labelled} == {ns: needed[ns] for ns in labelled}


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_node_collectors_need_more_than_restricted(
    plan_renders: dict[str, list[RenderedRelease]], stack: str
) -> None:
    more = {
        name_of(obj): _needed_level(obj)[0]
        for _, obj in _objects(plan_renders[stack])
        if list(pod_specs(obj)) and _needed_level(obj)[0] != "restricted"
    }
    assert more == {
        "DaemonSet monitoring/kube-prometheus-stack-prometheus-node-exporter": "privileged",
        "DaemonSet monitoring/alloy-logs": "privileged",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_host_paths_are_mounted_read_only(plan_renders: dict[str, list[RenderedRelease]], stack: str) -> None:
    writable = []
    for _, obj in _objects(plan_renders[stack]):
        for pod in pod_specs(obj):
            host = {v["name"] for v in pod.get("volumes") or [] if "hostPath" in v}
            writable += [
                f"{name_of(obj)} container {c['name']}: {m['name']} at {m['mountPath']}"
                for c in containers(pod)
                for m in c.get("volumeMounts") or []
                if m["name"] in host and not m.get("readOnly")
            ]
    assert not writable, "\n".join(writable)


def test_the_pod_security_checker_follows_the_standard() -> None:
    restricted = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
    }
    assert level_of(restricted) == "restricted"
    as_root = copy.deepcopy(restricted)
    as_root["containers"][0]["securityContext"]["runAsUser"] = 0
    assert level_of(as_root) == "baseline"
    chown = copy.deepcopy(restricted)
    chown["containers"][0]["securityContext"]["capabilities"]["add"] = ["CHOWN"]
    assert level_of(chown) == "baseline"
    host = copy.deepcopy(restricted)
    host["volumes"] = [{"name": "logs", "hostPath": {"path": "/var/log"}}]
    assert violations(host, "baseline") == ["volume logs: hostPath"]
    assert level_of(host) == "privileged"
    assert level_of({**restricted, "hostNetwork": True}) == "privileged"


@pytest.mark.parametrize("stack", STACKS)
def test_the_platform_ingress_class_refuses_team_namespaces(stack: str, tmp_path: Path) -> None:
    """Defence beside the admission policy: the controller itself ignores `alb` Ingresses in team
    namespaces (the platform chart labels dev and prod `kubeboard.io/tier: team`)."""
    plan = copy.deepcopy(plan_for(stack))
    plan["resources"] = [
        r
        for r in plan["resources"]
        if r["type"] != RELEASE_TYPE or r["inputs"]["name"] == "aws-load-balancer-controller"
    ]
    [controller] = render_plan(plan, tmp_path)
    [params] = [o for o in controller.manifest if o["kind"] == "IngressClassParams"]
    assert params["spec"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "kubeboard.io/tier", "operator": "NotIn", "values": ["team"]}]
    }
