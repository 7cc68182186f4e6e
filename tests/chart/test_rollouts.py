"""The front page's deployment strategies: a Deployment, or an Argo Rollout (canary through the ALB,
or blue/green) whose steps are held to analysis on Prometheus; every Rollout and AnalysisTemplate
is checked strictly against the CRDs of the pinned argo-rollouts chart (tests/data/crds)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.addons import argo_rollouts
from kubeboard_infra.observability import alloy
from tests.chart.chart_render import Rendered, Renderer, stack_values, with_change
from tests.chart.custom_resources import validate_custom_resource
from tests.chart.netpol_model import External, Pod, can_connect

STRATEGIES = ("deployment", "canary", "blueGreen")
HASH_LABEL = "rollouts-pod-template-hash"
CRDS = Path(__file__).resolve().parents[1] / "data" / "crds"
PACKAGES = CRDS.parent / "chart-packages"


@pytest.fixture(scope="module")
def by_strategy(render: Renderer) -> dict[str, Rendered]:
    """The dev stack's values with each strategy."""
    return {s: render(with_change(stack_values("dev"), "rollout.strategy", s)) for s in STRATEGIES}


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _new_pod_labels(rollout: dict[str, Any]) -> dict[str, str]:
    """A pod of the Rollout's new ReplicaSet: its template's labels plus the hash Rollouts adds."""
    return {**rollout["spec"]["template"]["metadata"]["labels"], HASH_LABEL: "6d4f8b9c7"}


def _member(archive: tarfile.TarFile, name: str) -> str:
    member = archive.extractfile(name)
    assert member is not None, name
    return member.read().decode("utf-8")


def test_the_crds_are_the_pinned_charts() -> None:
    """tests/data/crds holds the vendored package's CRD templates, only their Helm conditionals
    (install and keep switches) taken out: the schemas the Rollout is checked against are the chart's."""
    package = PACKAGES / f"argo-rollouts-{argo_rollouts.CHART_VERSION}.tgz"
    with tarfile.open(package) as archive:
        chart = yaml.safe_load(_member(archive, "argo-rollouts/Chart.yaml"))
        assert (chart["version"], chart["appVersion"]) == (
            argo_rollouts.CHART_VERSION,
            argo_rollouts.APP_VERSION,
        )
        for name, template in (("rollouts", "rollout"), ("analysistemplates", "analysis-template")):
            text = _member(archive, f"argo-rollouts/templates/crds/{template}-crd.yaml")
            upstream = yaml.safe_load(
                "\n".join(
                    line for line in text.splitlines() if "{{" not in line and "resource-policy" not in line
                )
            )
            kept = yaml.safe_load(
                (CRDS / f"{name}.argoproj.io-{argo_rollouts.APP_VERSION}.yaml").read_text("utf-8")
            )
            assert kept == upstream, name
            assert kept["metadata"]["name"] == f"{name}.argoproj.io"


# --- deployment ---------------------------------------------------------------------------------


def test_deployment_renders_no_rollout(by_strategy: dict[str, Rendered]) -> None:
    rendered = by_strategy["deployment"]
    assert rendered.of_kind("Rollout") == []
    assert rendered.of_kind("AnalysisTemplate") == []
    rendered.one("Deployment", "kubeboard-web")
    assert [s["metadata"]["name"] for s in rendered.of_kind("Service")] == ["kubeboard-web"]
    target = rendered.one("HorizontalPodAutoscaler", "kubeboard-web")["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kubeboard-web"}


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_a_rollout_replaces_the_deployment_with_the_same_pods(
    by_strategy: dict[str, Rendered], strategy: str
) -> None:
    rendered = by_strategy[strategy]
    assert rendered.of_kind("Deployment") == []
    rollout = rendered.one("Rollout", "kubeboard-web", "common")
    deployment = by_strategy["deployment"].one("Deployment", "kubeboard-web", "common")
    assert rollout["spec"]["template"] == deployment["spec"]["template"]
    assert rollout["spec"]["selector"] == deployment["spec"]["selector"]
    assert "replicas" not in rollout["spec"]  # the HPA owns the count
    # The HPA scales the Rollout (it has the scale subresource), and the PDB still guards its pods.
    target = rendered.one("HorizontalPodAutoscaler", "kubeboard-web")["spec"]["scaleTargetRef"]
    assert target == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "kubeboard-web"}
    pdb = rendered.one("PodDisruptionBudget", "kubeboard-web")
    assert _matches(pdb["spec"]["selector"]["matchLabels"], _new_pod_labels(rollout))


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_the_alb_still_reaches_the_rollouts_pods_and_only_on_their_port(
    by_strategy: dict[str, Rendered], strategy: str
) -> None:
    rendered = by_strategy[strategy]
    rollout = rendered.one("Rollout", "kubeboard-web")
    pod = Pod("common", _new_pod_labels(rollout))
    policies = rendered.of_kind("NetworkPolicy")
    alb = External(stack_values("dev")["network"]["albSubnetCidrs"][0].split("/")[0][:-1] + "25")
    assert can_connect(policies, alb, pod, 8080)
    assert not can_connect(policies, alb, pod, 9090)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_service_selects_the_web_pods(by_strategy: dict[str, Rendered], strategy: str) -> None:
    rendered = by_strategy[strategy]
    pods = next(
        o
        for o in rendered.docs
        if o["kind"] in {"Deployment", "Rollout"} and o["metadata"]["name"] == "kubeboard-web"
    )["spec"]["template"]["metadata"]["labels"]
    services = rendered.of_kind("Service")
    assert services
    for service in services:
        assert _matches(service["spec"]["selector"], pods), service["metadata"]["name"]
        assert service["spec"]["ports"] == [
            {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
        ]


# --- canary -------------------------------------------------------------------------------------


def test_canary_shifts_weight_through_the_albs_ingress(by_strategy: dict[str, Rendered]) -> None:
    rendered = by_strategy["canary"]
    canary = rendered.one("Rollout", "kubeboard-web")["spec"]["strategy"]["canary"]
    services = {s["metadata"]["name"]: s for s in rendered.of_kind("Service")}
    assert {canary["stableService"], canary["canaryService"]} <= services.keys()
    assert canary["stableService"] != canary["canaryService"]
    alb = canary["trafficRouting"]["alb"]
    ingress = rendered.one("Ingress", alb["ingress"], "common")
    # Every path of the Ingress goes to the root Service's `use-annotation` port: the action
    # alb.ingress.kubernetes.io/actions.<rootService> that Rollouts writes with the weights.
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert paths
    for path in paths:
        assert path["backend"]["service"] == {"name": alb["rootService"], "port": {"name": "use-annotation"}}
    assert alb["rootService"] in services
    # servicePort is the stable and canary Services' port the target groups forward to.
    for name in (canary["stableService"], canary["canaryService"]):
        assert [p["port"] for p in services[name]["spec"]["ports"]] == [alb["servicePort"]]
    # The action annotation is Rollouts' to write: the chart must not set (and fight over) it.
    assert not [
        k for k in ingress["metadata"]["annotations"] if k.startswith("alb.ingress.kubernetes.io/actions.")
    ]
    # The stable pods keep their full count: the weight, not a pod ratio, splits the traffic.
    assert "dynamicStableScale" not in canary


def test_canary_steps_raise_the_weight_and_analyse_each_step(by_strategy: dict[str, Rendered]) -> None:
    steps = by_strategy["canary"].one("Rollout", "kubeboard-web")["spec"]["strategy"]["canary"]["steps"]
    values = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "charts/kubeboard/values.yaml").read_text()
    )
    weights = values["rollout"]["canary"]["weights"]
    assert weights and weights == sorted(weights)
    assert len(steps) == 3 * len(weights)
    for index, weight in enumerate(weights):
        set_weight, pause, analysis = steps[3 * index : 3 * index + 3]
        assert set_weight == {"setWeight": weight}
        assert pause == {"pause": {"duration": values["rollout"]["canary"]["pause"]}}
        assert analysis["analysis"]["templates"] == [{"templateName": "kubeboard-web-success-rate"}]
        assert analysis["analysis"]["args"] == [
            {"name": "pod-template-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}
        ]


def test_canary_weights_must_rise_and_need_the_ingress(render: Renderer) -> None:
    canary = with_change(stack_values("dev"), "rollout.strategy", "canary")
    assert "rollout.canary.weights: must rise step by step (10 follows 50)" in render.error(
        with_change(canary, "rollout.canary.weights", [50, 10])
    )
    assert (
        "rollout.strategy: canary shifts traffic through the ALB; it needs ingress.enabled"
        in render.error(with_change(canary, "ingress.enabled", False))
    )
    assert "strategy" in render.error(with_change(canary, "rollout.strategy", "linear"))


# --- blue/green ---------------------------------------------------------------------------------


def test_blue_green_switches_the_albs_service_after_analysis(by_strategy: dict[str, Rendered]) -> None:
    rendered = by_strategy["blueGreen"]
    blue_green = rendered.one("Rollout", "kubeboard-web")["spec"]["strategy"]["blueGreen"]
    services = {s["metadata"]["name"] for s in rendered.of_kind("Service")}
    assert services == {blue_green["activeService"], blue_green["previewService"]}
    # The ALB forwards to the active Service, which Rollouts points at the promoted pods.
    ingress = rendered.one("Ingress", "kubeboard-web")
    for path in ingress["spec"]["rules"][0]["http"]["paths"]:
        assert path["backend"]["service"] == {"name": blue_green["activeService"], "port": {"name": "http"}}
    templates = {t["metadata"]["name"] for t in rendered.of_kind("AnalysisTemplate")}
    pre = [t["templateName"] for t in blue_green["prePromotionAnalysis"]["templates"]]
    post = [t["templateName"] for t in blue_green["postPromotionAnalysis"]["templates"]]
    assert pre == ["kubeboard-web-revision-healthy"] and post == ["kubeboard-web-success-rate"]
    assert set(pre + post) <= templates
    # The old pods outlive the post-promotion analysis, so an abort switches straight back.
    analysis = (
        stack_values("dev")["rollout"]["analysis"]
        | yaml.safe_load((Path(__file__).resolve().parents[2] / "charts/kubeboard/values.yaml").read_text())[
            "rollout"
        ]["analysis"]
    )
    minutes = int(analysis["interval"].rstrip("m")) * analysis["count"]
    assert blue_green["scaleDownDelaySeconds"] > 60 * minutes


# --- analysis -----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_every_analysis_the_rollout_names_exists_and_gets_its_args(
    by_strategy: dict[str, Rendered], strategy: str
) -> None:
    rendered = by_strategy[strategy]
    templates = {t["metadata"]["name"]: t for t in rendered.of_kind("AnalysisTemplate")}
    strategy_spec = rendered.one("Rollout", "kubeboard-web")["spec"]["strategy"][strategy]
    uses = [s["analysis"] for s in strategy_spec.get("steps", []) if "analysis" in s]
    uses += [
        strategy_spec[k] for k in ("prePromotionAnalysis", "postPromotionAnalysis") if k in strategy_spec
    ]
    assert uses
    for use in uses:
        given = {a["name"] for a in use["args"]}
        for ref in use["templates"]:
            assert {a["name"] for a in templates[ref["templateName"]]["spec"]["args"]} == given


def _queries(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {
        f"{t['metadata']['name']}/{m['name']}": m
        for t in rendered.of_kind("AnalysisTemplate")
        for m in t["spec"]["metrics"]
    }


def test_the_success_rate_reads_the_requests_alloy_counts(by_strategy: dict[str, Rendered]) -> None:
    metric = _queries(by_strategy["canary"])["kubeboard-web-success-rate/success-rate"]
    prometheus = metric["provider"]["prometheus"]
    assert prometheus["address"] == stack_values("dev")["rollout"]["analysis"]["prometheusUrl"]
    query = prometheus["query"]
    assert set(re.findall(r"([a-z_:]+)\{", query)) == {alloy.WEB_REQUESTS_METRIC}
    # Only the new ReplicaSet's pods: Rollouts names them <rollout>-<pod template hash>-<suffix>.
    assert query.count('pod=~"kubeboard-web-{{args.pod-template-hash}}-.*"') == 2
    assert query.count('namespace="common"') == 2
    assert 'status=~"5.."' in query
    assert metric["successCondition"] == "result[0] >= 0.99"
    assert metric["failureLimit"] == 0 and metric["count"] >= 1


def _promtool_check(expressions: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is required: install the Debian package `prometheus`")
    rules = {
        "groups": [
            {
                "name": "analysis",
                "rules": [{"record": f"analysis:{n}", "expr": e} for n, e in expressions.items()],
            }
        ]
    }
    path = tmp_path / "analysis.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )


def test_every_analysis_query_is_valid_promql(by_strategy: dict[str, Rendered], tmp_path: Path) -> None:
    """promtool parses each query (as a recording rule) with the argument Rollouts substitutes."""
    queries = {
        name.replace("/", "_").replace("-", "_"): m["provider"]["prometheus"]["query"].replace(
            "{{args.pod-template-hash}}", "6d4f8b9c7"
        )
        for name, m in _queries(by_strategy["blueGreen"]).items()
    }
    assert set(queries) == {
        "kubeboard_web_success_rate_success_rate",
        "kubeboard_web_revision_healthy_restarts",
    }
    checked = _promtool_check(queries, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = _promtool_check(
        {"broken": next(iter(queries.values())).replace(") or vector(1)", " or vector(1)")}, tmp_path
    )
    assert broken.returncode == 1


# --- the CRDs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["canary", "blueGreen"])
def test_rollout_and_analysis_templates_validate_strictly_against_the_crds(
    by_strategy: dict[str, Rendered], strategy: str
) -> None:
    rendered = by_strategy[strategy]
    docs = rendered.of_kind("Rollout") + rendered.of_kind("AnalysisTemplate")
    assert [d["kind"] for d in docs] == ["Rollout", "AnalysisTemplate", "AnalysisTemplate"]
    assert [p for d in docs for p in validate_custom_resource(d)] == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("spec", "strategy", "canary", "trafficRouting", "alb", "servicePorts"), 80, "servicePorts"),
        (("spec", "strategy", "canary", "steps", 0, "setWeight"), "10%", "is not of type 'integer'"),
        (
            ("spec", "strategy", "canary", "trafficRouting", "alb"),
            {"ingress": "kubeboard-web"},
            "servicePort",
        ),
    ],
)
def test_the_crd_check_catches_a_misspelt_field_a_wrong_type_and_a_missing_one(
    by_strategy: dict[str, Rendered], path: tuple[Any, ...], value: Any, message: str
) -> None:
    rollout = copy.deepcopy(by_strategy["canary"].one("Rollout", "kubeboard-web"))
    node: Any = rollout
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = validate_custom_resource(rollout)
    assert problems and message in "\n".join(problems)
