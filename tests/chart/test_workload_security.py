"""Every container is locked down (O4, O6), people and the collector get least privilege (O5, F3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chart.chart_render import STACKS, Rendered, stack_values

PSA_LABELS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def pod_specs(rendered: Rendered) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in rendered.docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "CronJob":
            yield name, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif doc["kind"] in {"Deployment", "Rollout", "StatefulSet", "DaemonSet", "Job"}:
            yield name, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield name, doc["spec"]


def test_workloads_exist_to_check(all_renders: dict[str, Rendered]) -> None:
    assert all_renders
    for which, rendered in all_renders.items():
        # The views sync runs where the stack passes its role and buckets (off by default).
        views = set() if which == "default" else {"CronJob/kubeboard-views-sync"}
        # The stacks run the web tier as an Argo Rollout (canary, blueGreen), the default as a Deployment.
        web = "Deployment/kubeboard-web" if which == "default" else "Rollout/kubeboard-web"
        assert {name for name, _ in pod_specs(rendered)} == {"CronJob/kubeboard-collector", web, *views}


@pytest.mark.parametrize("which", ["default", *STACKS])
def test_every_container_runs_restricted_with_requests_and_limits(
    all_renders: dict[str, Rendered], which: str
) -> None:
    assert list(pod_specs(all_renders[which]))
    for name, spec in pod_specs(all_renders[which]):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), name
        assert spec["containers"], name
        for container in spec["containers"] + spec.get("initContainers", []):
            where = f"{name} container {container['name']}"
            ctx = container["securityContext"]
            assert ctx["runAsNonRoot"] is True, where
            assert ctx["runAsUser"] >= 10000, where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx.get("privileged", False) is False, where
            assert ctx["capabilities"] == {"drop": ["ALL"]}, where
            assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}, where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, f"{where}: {image} is not pinned"
            assert not image.endswith(":latest"), where


def test_images_pin_by_digest_when_one_is_given(render: Any) -> None:
    digest = "sha256:" + "a" * 64
    values = stack_values("dev")
    values["web"]["image"]["digest"] = digest
    web = render(values).one("Rollout", "kubeboard-web")  # dev's strategy is canary
    assert (
        web["spec"]["template"]["spec"]["containers"][0]["image"] == f"nginxinc/nginx-unprivileged@{digest}"
    )
    # Pinned by digest, the checkov digest exemption is no longer needed and disappears.
    assert "checkov.io/skip1" not in (web["metadata"].get("annotations") or {})


def test_writable_paths_are_explicit_volumes(rendered_default: Rendered) -> None:
    assert list(pod_specs(rendered_default))
    for name, spec in pod_specs(rendered_default):
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert spec["containers"], name
        for container in spec["containers"]:
            writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
            assert {m["mountPath"] for m in writable} <= {"/tmp", "/data"}, name
            for mount in writable:
                if mount["mountPath"] == "/tmp":
                    assert volumes[mount["name"]]["emptyDir"]["sizeLimit"], name


def test_only_the_collector_mounts_an_api_token(rendered_default: Rendered) -> None:
    specs = dict(pod_specs(rendered_default))
    assert specs["Deployment/kubeboard-web"]["automountServiceAccountToken"] is False
    assert specs["CronJob/kubeboard-collector"]["serviceAccountName"] == "kubeboard-collector"
    assert rendered_default.of_kind("ServiceAccount")
    for account in rendered_default.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_namespaces_enforce_audit_and_warn_restricted(rendered_default: Rendered) -> None:
    namespaces = {
        ns["metadata"]["name"]: ns["metadata"]["labels"] for ns in rendered_default.of_kind("Namespace")
    }
    assert set(namespaces) == {"dev", "prod", "common"}
    for name, labels in namespaces.items():
        assert PSA_LABELS.items() <= labels.items(), name
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.36", name


def test_quotas_and_limit_ranges_bound_every_namespace(rendered_stacks: dict[str, Rendered]) -> None:
    prod = rendered_stacks["prod"]
    wanted = stack_values("prod")["namespaces"]
    for namespace in ("dev", "prod", "common"):
        hard = prod.one("ResourceQuota", f"{namespace}-quota", namespace)["spec"]["hard"]
        assert hard["requests.cpu"] == wanted[namespace]["quota"]["requestsCpu"]
        assert hard["limits.memory"] == wanted[namespace]["quota"]["limitsMemory"]
        assert hard["services.loadbalancers"] == "0" and hard["services.nodeports"] == "0"
        limits = prod.one("LimitRange", f"{namespace}-limits", namespace)["spec"]["limits"][0]
        assert limits["type"] == "Container"
        assert set(limits) >= {"default", "defaultRequest", "max"}


def role_bindings(rendered: Rendered) -> dict[tuple[str, str], str]:
    """(namespace, group) -> ClusterRole bound."""
    bound: dict[tuple[str, str], str] = {}
    for binding in rendered.of_kind("RoleBinding"):
        for subject in binding["subjects"]:
            assert subject["kind"] == "Group"
            key = (binding["metadata"]["namespace"], subject["name"])
            assert key not in bound, key
            bound[key] = binding["roleRef"]["name"]
    return bound


def test_developers_edit_dev_and_only_view_prod_and_common(render: Any) -> None:
    values = stack_values("prod")
    values["rbac"] = {"developerGroup": "acme:devs", "viewerGroup": "acme:auditors"}
    bound = role_bindings(render(values))
    assert bound == {
        ("dev", "acme:devs"): "edit",
        ("prod", "acme:devs"): "view",
        ("common", "acme:devs"): "view",
        ("dev", "acme:auditors"): "view",
        ("prod", "acme:auditors"): "view",
        ("common", "acme:auditors"): "view",
    }


def test_no_cluster_wide_grant_to_people(rendered_default: Rendered) -> None:
    assert rendered_default.of_kind("ClusterRoleBinding")
    for binding in rendered_default.of_kind("ClusterRoleBinding"):
        assert all(s["kind"] == "ServiceAccount" for s in binding["subjects"])


def test_the_collector_role_is_read_only_and_blind_to_secrets(rendered_default: Rendered) -> None:
    role = rendered_default.one("ClusterRole", "kubeboard-collector")
    resources = set()
    assert role["rules"]
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list"}, rule
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        resources |= set(rule["resources"])
    assert {"nodes", "events", "deployments", "statefulsets", "daemonsets"} <= resources
    assert not resources & {"secrets", "configmaps", "pods/exec", "serviceaccounts/token"}
    binding = rendered_default.one("ClusterRoleBinding", "kubeboard-collector")
    assert binding["roleRef"]["name"] == "kubeboard-collector"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "kubeboard-collector", "namespace": "common"}
    ]
