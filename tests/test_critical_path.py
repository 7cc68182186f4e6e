"""The deploy critical path and destroy path: the model on a small plan with known answers, the
recorded waits (inherited ones, reasons), and the project's own stacks against the EKS floor."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from kubeboard_infra.addons import AddOnSpec
from kubeboard_infra.cli import EXIT_CONFIG, main
from kubeboard_infra.ordering import after
from kubeboard_infra.plan.critical_path import (
    PROJECT_FILE,
    DurationsError,
    critical_path,
    load_durations,
    waits_for,
)
from kubeboard_infra.plan.recorder import RecordedResource, Recording
from kubeboard_infra.plan.report import markdown
from kubeboard_infra.plan.wait_reasons import annotate

TARGET_RATIO = 1.15
RELEASE = "kubernetes:helm.sh/v3:Release"
STACK = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"


def _urn(name: str) -> str:
    return f"urn:pulumi:t::p::x::{name}"


def _resource(
    name: str,
    token: str,
    *,
    custom: bool = True,
    parent: str | None = STACK,
    provider: str | None = None,
    dependencies: Iterable[str] = (),
    depends_on: Iterable[str] = (),
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "urn": _urn(name),
        "type": token,
        "name": name,
        "custom": custom,
        "parent": parent,
        "provider": provider,
        "protect": False,
        "dependencies": [_urn(d) for d in dependencies],
        "dependsOn": [_urn(d) for d in depends_on],
        "inputs": inputs or {},
    }


def _synthetic_plan() -> list[dict[str, Any]]:
    """A cluster chain, one release that waits only through its component's depends_on, and
    resources beside the chain (a bucket, an interface and a gateway endpoint)."""
    aws = _urn("aws")
    return [
        {**_resource("p-t", "pulumi:pulumi:Stack", custom=False, parent=None), "urn": STACK},
        _resource("aws", "pulumi:providers:aws"),
        _resource("cluster", "aws:eks/cluster:Cluster", provider=aws),
        _resource("nodes", "aws:eks/nodeGroup:NodeGroup", provider=aws, dependencies=["cluster"]),
        _resource("csi", "aws:eks/addon:Addon", provider=aws, dependencies=["nodes"]),
        _resource("app", "test:index:App", custom=False, dependencies=["csi"]),
        _resource("release", RELEASE, parent=_urn("app")),
        _resource("bucket", "aws:s3/bucket:Bucket", provider=aws),
        _resource(
            "ecr-api",
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            provider=aws,
            inputs={"vpcEndpointType": "Interface"},
        ),
        _resource(
            "s3", "aws:ec2/vpcEndpoint:VpcEndpoint", provider=aws, inputs={"vpcEndpointType": "Gateway"}
        ),
    ]


def _names(chain: list[dict[str, Any]]) -> list[str]:
    return [step["name"] for step in chain]


def test_deploy_waits_through_the_parent_component_and_ends_at_the_floor() -> None:
    section = critical_path(_synthetic_plan(), load_durations())
    deploy = section["deploy"]
    # aws 5, cluster 720, node group 300, add-on 90, then the release (120) waits through `app`.
    assert deploy["seconds"] == 5 + 720 + 300 + 90 + 120
    assert _names(deploy["chain"]) == ["aws", "cluster", "nodes", "csi", "release"]
    assert deploy["floorSeconds"] == 1235
    assert deploy["ratioToFloor"] == 1.0
    assert deploy["steps"][_urn("release")] == [1115, 1235]
    assert deploy["steps"][_urn("ecr-api")] == [5, 95]  # interface endpoint: 90 s
    assert deploy["steps"][_urn("s3")] == [5, 10]  # gateway endpoint: the 5 s default


def test_destroy_runs_backwards_and_deletes_the_release_first() -> None:
    destroy = critical_path(_synthetic_plan(), load_durations())["destroy"]
    # release 90, add-on 45, node group 300, cluster 480, then the provider (5).
    assert destroy["seconds"] == 90 + 45 + 300 + 480 + 5
    assert _names(destroy["chain"]) == ["release", "csi", "nodes", "cluster", "aws"]
    assert [(step["name"], step["start"]) for step in destroy["releaseOrder"]] == [("release", 0)]


def test_a_project_file_overrides_the_packaged_durations(tmp_path: Path) -> None:
    (tmp_path / PROJECT_FILE).write_text(
        f"rules:\n  - {{type: '{RELEASE}', create: 60, delete: 30}}\ndefault: {{create: 1, delete: 1}}\n"
    )
    table = load_durations(tmp_path)
    assert table.sources == ("durations.yaml (packaged)", PROJECT_FILE)
    deploy = critical_path(_synthetic_plan(), table)["deploy"]
    assert deploy["seconds"] == 1 + 720 + 300 + 90 + 60
    assert deploy["floorSeconds"] == 1111 + 60


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - {type: 'aws:eks/addon:Addon', create: fast, delete: 1}\n", "rules[0].create"),
        ("rules:\n  - {type: Addon, create: 1, delete: 1}\n", "rules[0].type"),
        ("rule: []\n", "rule: unknown key"),
        ("default: {create: -1, delete: 1}\n", "default.create"),
        ("rules: [\n", "cannot read it as YAML"),
    ],
)
def test_a_malformed_project_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / PROJECT_FILE).write_text(text)
    with pytest.raises(DurationsError, match=rf"^{re.escape(PROJECT_FILE)}: .*{re.escape(message)}"):
        load_durations(tmp_path)


def test_plan_exits_2_on_a_malformed_durations_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / PROJECT_FILE).write_text("default: {create: soon, delete: 1}\n")
    assert main(["plan", "dev", "--cwd", str(tmp_path)]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert error.startswith(f"error: {PROJECT_FILE}: default.create: must be a whole number")
    assert "Traceback" not in error


def test_children_inherit_what_their_ancestors_wait_for() -> None:
    def recorded(name: str, parent: str | None, dependencies: list[str]) -> RecordedResource:
        return RecordedResource(
            urn=name,
            type="t",
            name=name,
            custom=parent is not None,
            parent=parent,
            provider=None,
            protect=False,
            dependencies=dependencies,
            inputs={},
        )

    recording = Recording(
        [
            recorded("outer", None, ["webhook"]),
            recorded("inner", "outer", ["crd"]),
            recorded("release", "inner", ["role"]),
        ]
    )
    recording.add_inherited_dependencies()
    release = recording.resources[-1]
    assert release.dependencies == ["crd", "role", "webhook"]
    assert release.inherited_dependencies == ["crd", "webhook"]


def test_a_wait_between_components_without_a_reason_is_reported() -> None:
    resources = [
        _resource("a", "test:index:A", custom=False),
        _resource("a-bucket", "aws:s3/bucket:Bucket", parent=_urn("a")),
        _resource("b", "test:index:B", custom=False, dependencies=["a-bucket"], depends_on=["a-bucket"]),
        _resource("b-role", "aws:iam/role:Role", parent=_urn("b")),
        # Inside its own component: no reason needed.
        _resource("b-policy", "aws:iam/policy:Policy", parent=_urn("b"), depends_on=["b-role"]),
        # A resource reaching into another component needs one as much as a component does.
        _resource("b-topic", "aws:sns/topic:Topic", parent=_urn("b"), depends_on=["a-bucket"]),
    ]
    unexplained = annotate(resources, [])
    assert {(w["urn"], w["waitsFor"]) for w in unexplained} == {
        (_urn("b"), _urn("a-bucket")),
        (_urn("b-topic"), _urn("a-bucket")),
    }
    assert annotate(resources, [("the bucket must exist", [_urn("a")])]) == []
    assert resources[2]["waitReasons"] == ["the bucket must exist"]


def test_after_needs_a_reason_and_so_does_an_addon_that_waits() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        after([], reason=" ")
    assert after([], reason="nothing yet").depends_on == []
    with pytest.raises(ValueError, match="wait_reason"):
        AddOnSpec(
            name="x",
            chart="x",
            version="1.0.0",
            repository="https://c.example",
            namespace="x",
            depends_on=("y",),
        )
    merged = after([], reason="r", opts=pulumi.ResourceOptions(protect=True))
    assert merged.protect is True


# --- the project's own stacks ---------------------------------------------------------------------


def _waited_for(plan: dict[str, Any]) -> dict[str, set[str]]:
    """Everything each resource waits for, directly or transitively."""
    by_urn = {r["urn"]: r for r in plan["resources"]}
    closure: dict[str, set[str]] = {}

    def walk(urn: str) -> set[str]:
        if urn not in closure:
            closure[urn] = set()
            for prerequisite in waits_for(by_urn[urn], by_urn):
                closure[urn] |= {prerequisite, *walk(prerequisite)}
        return closure[urn]

    for urn in by_urn:
        walk(urn)
    return closure


def test_aws_only_resources_never_wait_for_a_helm_release(stack_plan: dict[str, Any]) -> None:
    by_urn = {r["urn"]: r for r in stack_plan["resources"]}
    waited = _waited_for(stack_plan)
    offenders = [
        f"{r['name']} waits for {by_urn[w]['name']}"
        for r in stack_plan["resources"]
        if r["type"].startswith("aws:")
        for w in waited[r["urn"]]
        if by_urn[w]["type"] == RELEASE
    ]
    assert offenders == []


def test_every_wait_between_components_has_a_reason(stack_plan: dict[str, Any]) -> None:
    assert stack_plan["unexplainedWaits"] == []
    reasons = {r["name"]: r.get("waitReasons", []) for r in stack_plan["resources"] if r["type"] == RELEASE}
    assert any("webhook" in reason for reason in reasons["gitops-argocd"])


def test_the_deploy_critical_path_is_within_the_target_of_the_floor(stack_plan: dict[str, Any]) -> None:
    deploy = stack_plan["criticalPath"]["deploy"]
    assert deploy["floorSeconds"] >= 720 + 300 + 120
    assert deploy["seconds"] <= TARGET_RATIO * deploy["floorSeconds"], _names(deploy["chain"])


def _release_steps(plan: dict[str, Any], phase: str) -> dict[str, list[int]]:
    steps = plan["criticalPath"]["deploy"]["steps"]
    if phase == "destroy":
        return {
            s["name"].split("-", 2)[-1]: [s["start"], s["finish"]]
            for s in plan["criticalPath"]["destroy"]["releaseOrder"]
        }
    return {r["name"].split("-", 2)[-1]: steps[r["urn"]] for r in plan["resources"] if r["type"] == RELEASE}


def test_releases_that_do_not_need_each_other_install_side_by_side(stack_plan: dict[str, Any]) -> None:
    deploy = _release_steps(stack_plan, "deploy")
    controller = deploy["aws-load-balancer-controller"]
    first_done = min(finish for _, finish in deploy.values())
    # Loki and both Alloy releases start before any release is done: none waits for another.
    for name in ("loki", "alloy-logs", "alloy-events", "external-dns", "metrics-server"):
        assert deploy[name][0] < first_done, name
    # The Ingress-making release waits for the controller's webhook.
    assert deploy["kube-prometheus-stack"][0] >= controller[1]


def test_ingress_releases_are_destroyed_while_the_controllers_still_run(stack_plan: dict[str, Any]) -> None:
    destroy = _release_steps(stack_plan, "destroy")
    last_ingress = max(destroy["kube-prometheus-stack"][1], destroy["argocd"][1])
    assert destroy["aws-load-balancer-controller"][0] >= last_ingress
    # external-dns keeps running for at least one full sync interval (1 minute) after them.
    assert destroy["external-dns"][0] >= last_ingress + 60


def test_report_shows_the_chain_its_total_and_a_gantt_chart(dev_plan: dict[str, Any]) -> None:
    report = markdown(dev_plan)
    deploy = dev_plan["criticalPath"]["deploy"]
    assert "### Time to a working platform (modeled)" in report
    assert f"**{deploy['seconds']} s**" in report
    assert "```mermaid\ngantt\n" in report
    assert "section add-ons" in report
    assert f"`pulumi destroy`: **{dev_plan['criticalPath']['destroy']['seconds']} s**" in report
