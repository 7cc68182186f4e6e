"""The sample fleet's ApplicationSets: rendered from the packaged argocd-apps chart with the real Helm
engine (the hub's root Application's values), valid for Argo CD's CRD, and generating exactly the
expected Applications per cluster, in the expected RollingSync step."""

from __future__ import annotations

import asyncio
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_sdkpy
import pytest
import yaml

from kubeboard_infra.fleet import BRIDGE_OUTPUT
from tests.chart.appset_generate import (
    IN_CLUSTER,
    cluster_params,
    generate_params,
    render_applications,
    rolling_step,
)
from tests.chart.cluster_render import _install
from tests.chart.kube_api_stub import ApiStub, running_stub
from tests.chart.object_checks import crd_schemas, flatten, schema_error
from tests.chart.plan_releases import PACKAGES, cluster_minor, releases_in_order
from tests.conftest import resources_of
from tests.fleet_sample import HUB, SPOKES, fleet_plans

ARGO_CD_PACKAGE = PACKAGES / "argo-cd-10.1.1.tgz"
APPS_PACKAGE = PACKAGES / "argocd-apps-2.0.5.tgz"
KUBERNETES_VERSION = "1.33.0"

# What the sample fleet must generate: Application -> (cluster, revision, namespace, RollingSync step).
EXPECTED = {
    "kubeboard-platform": {
        "kubeboard-platform-dev": ("dev", "main", "common", 0),
        "kubeboard-platform-staging": ("staging", "main", "common", 0),
        "kubeboard-platform-in-cluster": ("in-cluster", "v0.1.0", "common", 1),
    },
    "kubeboard-teams": {
        "orders-dev": ("dev", "main", "dev", 0),
        "orders-staging": ("staging", "main", "dev", 0),
        "orders-in-cluster": ("in-cluster", "v2.3.0", "prod", 1),
    },
}


def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    # The API server fills metadata in itself; `schema_error` checks everything but metadata.
    schemas = crd_schemas(_argocd_crds())
    for schema in schemas.values():
        schema["required"] = [key for key in schema.get("required", []) if key != "metadata"]
    return schemas


def _argocd_crds() -> list[dict[str, Any]]:
    """Argo CD's CRDs from the pinned argo-cd package (their template guards dropped)."""
    crds = []
    with tarfile.open(ARGO_CD_PACKAGE) as archive:
        for member in archive.getmembers():
            if member.name.startswith("argo-cd/templates/crds/crd-application"):
                text = archive.extractfile(member).read().decode()  # type: ignore[union-attr]
                crds.append(yaml.safe_load("\n".join(line for line in text.splitlines() if "{{" not in line)))
    return crds


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiStub, Path]]:
    with running_stub() as stub:
        for crd in _argocd_crds():
            stub.store("apiextensions.k8s.io", "customresourcedefinitions", "", crd)
        yield stub, stub.kubeconfig(tmp_path_factory.mktemp("kube") / "config", "argocd")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return fleet_plans(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def appsets(plans: dict[str, dict[str, Any]], stub: tuple[ApiStub, Path]) -> dict[str, dict[str, Any]]:
    root = next(
        r["inputs"]
        for r in resources_of(plans[HUB], "kubernetes:argoproj.io/v1alpha1:Application")
        if r["inputs"]["metadata"]["name"] == "kubeboard-fleet"
    )
    source = root["spec"]["source"]
    assert f"{source['chart']}-{source['targetRevision']}.tgz" == APPS_PACKAGE.name
    config = helm_sdkpy.Configuration(namespace="argocd", kubeconfig=str(stub[1]))
    result = asyncio.run(
        helm_sdkpy.Install(config).run(
            source["helm"]["releaseName"],
            str(APPS_PACKAGE),
            values=source["helm"]["valuesObject"],
            wait=False,
        )
    )
    docs = [d for d in yaml.safe_load_all(result["manifest"]) if d]
    assert {d["kind"] for d in docs} == {"ApplicationSet"}
    return {d["metadata"]["name"]: d for d in docs}


@pytest.fixture(scope="module")
def clusters(plans: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    servers = {"cluster-in-cluster": IN_CLUSTER}
    servers |= {f"cluster-{s}": plans[s]["outputs"][BRIDGE_OUTPUT]["endpoint"] for s in SPOKES}
    found = []
    for secret in resources_of(plans[HUB], "kubernetes:core/v1:Secret"):
        labels = secret["inputs"]["metadata"].get("labels") or {}
        if labels.get("argocd.argoproj.io/secret-type") == "cluster":
            found.append(cluster_params(secret["inputs"], servers[secret["inputs"]["metadata"]["name"]]))
    return found


def test_the_chart_renders_one_valid_applicationset_each(appsets: dict[str, dict[str, Any]]) -> None:
    assert sorted(appsets) == sorted(EXPECTED)
    schemas = _schemas()
    for appset in appsets.values():
        assert appset["metadata"]["namespace"] == "argocd"
        assert schema_error(appset, KUBERNETES_VERSION, schemas) is None
        assert appset["spec"]["strategy"]["type"] == "RollingSync"
        steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
        assert [s["matchExpressions"][0]["values"] for s in steps] == [["dev"], ["prod"]]
        assert steps[1]["maxUpdate"] == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_applicationset_generates_exactly_the_expected_applications(
    name: str,
    appsets: dict[str, dict[str, Any]],
    clusters: list[dict[str, Any]],
    stub: tuple[ApiStub, Path],
    tmp_path: Path,
) -> None:
    spec = appsets[name]["spec"]
    params = [p for g in spec["generators"] for p in generate_params(g, clusters)]
    applications = render_applications(
        spec["template"], params, tmp_path, stub[1], release=f"generate-{name}"
    )
    schemas = _schemas()
    servers = {c["name"]: c["server"] for c in clusters}
    generated = {}
    for application in applications:
        assert schema_error(application, KUBERNETES_VERSION, schemas) is None
        app_spec = application["spec"]
        assert app_spec["project"] == "kubeboard-platform"
        cluster = next(c for c, server in servers.items() if server == app_spec["destination"]["server"])
        generated[application["metadata"]["name"]] = (
            cluster,
            app_spec["source"]["targetRevision"],
            app_spec["destination"]["namespace"],
            rolling_step(application, spec["strategy"]),
        )
    print(f"{name}: " + ", ".join(f"{app} -> {where}" for app, where in sorted(generated.items())))
    assert generated == EXPECTED[name]
    if name == "kubeboard-platform":
        # Each cluster's chart values are its own stack's, carried by its cluster secret.
        for application in applications:
            values = json.loads(application["spec"]["source"]["helm"]["values"])
            cluster = application["metadata"]["name"].removeprefix("kubeboard-platform-")
            host = "kubeboard.example.com" if cluster == "in-cluster" else f"{cluster}.kubeboard.example.com"
            assert values["ingress"]["host"] == host


def test_the_hubs_argo_cd_release_gives_both_service_accounts_their_role_and_turns_on_progressive_syncs(
    plans: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    plan = plans[HUB]
    [release] = [r for r in releases_in_order(plan) if r.chart == "argo-cd"]
    with running_stub(ApiStub(stateful=True).with_version(cluster_minor(plan))) as stub:
        stub.store(
            "", "namespaces", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}
        )
        objects = flatten(_install(stub, stub.kubeconfig(tmp_path / "kubeconfig"), release)["manifest"])
    accounts = {
        o["metadata"]["name"]: (o["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn")
        for o in objects
        if o["kind"] == "ServiceAccount"
    }
    roles = plan["outputs"]["fleetHubRoleArns"]
    assert sorted([accounts["argocd-application-controller"], accounts["argocd-server"]]) == sorted(roles)
    # Only the components that reach clusters' APIs run as a role that may assume the spokes'.
    assert {name for name, role in accounts.items() if role} == {
        "argocd-application-controller",
        "argocd-server",
    }
    [params] = [
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "argocd-cmd-params-cm"
    ]
    assert params["data"]["applicationsetcontroller.enable.progressive.syncs"] == "true"
