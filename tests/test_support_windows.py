"""Support windows: the plan warns 60 days before a pinned version's support ends, and after it.

Dates are fixed here, so the tests do not change with the calendar; the plans themselves are the
ones both stacks really produce.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from typing import Any

import pytest
import yaml

from kubeboard_infra.plan.report import markdown, warning_lines
from kubeboard_infra.plan.support import (
    STACK_KINDS,
    WARN_DAYS,
    WINDOWS_FILE,
    deployed_versions,
    load_windows,
    support_warnings,
)

from .conftest import PROJECT_DIR, plan_for

TODAY = datetime.date(2026, 12, 6)
EKS_136_ENDS = datetime.date(2027, 8, 2)


def _cluster(version: str) -> list[dict[str, Any]]:
    return [{"type": "eks:index:Cluster", "inputs": {"version": version}}]


def _messages(warnings: list[dict[str, Any]]) -> list[str]:
    return [warning["message"] for warning in warnings]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_are_inside_every_window_today_and_fully_recorded(stack: str) -> None:
    resources = plan_for(stack)["resources"]

    assert support_warnings(resources, TODAY) == []
    # What the stack deploys and the file dates: Kubernetes, five add-ons, charts, the Lambda runtime.
    deployed = deployed_versions(resources)
    assert ("kubernetes", "eks", "1.36") in deployed
    assert {kind for kind, _, _ in deployed} == STACK_KINDS


def test_the_plan_carries_its_warnings_in_plan_json() -> None:
    assert isinstance(plan_for("dev")["warnings"], list)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_sixty_days_before_the_end_of_standard_support_the_plan_warns(stack: str) -> None:
    resources = plan_for(stack)["resources"]
    first_day = EKS_136_ENDS - datetime.timedelta(days=WARN_DAYS)

    before = support_warnings(resources, first_day - datetime.timedelta(days=1))
    on_the_day = support_warnings(resources, first_day)

    assert not [w for w in before if w["kind"] == "kubernetes"]
    (kubernetes,) = [w for w in on_the_day if w["kind"] == "kubernetes"]
    assert kubernetes["daysLeft"] == WARN_DAYS
    assert kubernetes["message"].startswith("kubernetes eks 1.36: support ends on 2027-08-02 (in 60 days)")
    addons = {w["name"] for w in on_the_day if w["kind"] == "eks-addon"}
    assert addons == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "aws-efs-csi-driver"}


@pytest.mark.parametrize(
    ("stack", "consequence"),
    [
        ("dev", "upgradePolicy STANDARD: EKS then upgrades the control plane itself"),
        ("prod", "upgradePolicy EXTENDED: the cluster then runs in extended support"),
    ],
)
def test_the_kubernetes_warning_says_what_the_upgrade_policy_will_do(stack: str, consequence: str) -> None:
    warnings = support_warnings(plan_for(stack)["resources"], EKS_136_ENDS)

    (kubernetes,) = [w for w in warnings if w["kind"] == "kubernetes"]
    assert consequence in kubernetes["message"]


def test_past_the_end_the_warning_says_it_ended() -> None:
    warnings = support_warnings(plan_for("prod")["resources"], EKS_136_ENDS + datetime.timedelta(days=1))

    assert "kubernetes eks 1.36: support ended on 2027-08-02" in "\n".join(_messages(warnings))
    (kubernetes,) = [w for w in warnings if w["kind"] == "kubernetes"]
    assert kubernetes["daysLeft"] == -1


def test_a_stack_still_on_1_34_is_warned_that_standard_support_ended() -> None:
    (warning,) = support_warnings(
        _cluster("1.34"), TODAY, [w for w in load_windows() if w.kind == "kubernetes"]
    )

    assert warning["message"].startswith("kubernetes eks 1.34: support ended on 2026-12-02")
    assert warning["supportEnds"] == "2026-12-02" and warning["daysLeft"] == -4


def test_versions_the_stack_does_not_deploy_do_not_warn() -> None:
    # 1.33 and 1.34 are long over, but this stack runs 1.36.
    kubernetes = [w for w in load_windows() if w.kind == "kubernetes"]

    assert support_warnings(_cluster("1.36"), TODAY, kubernetes) == []


def test_a_deployed_version_without_a_recorded_window_is_a_warning() -> None:
    (warning,) = support_warnings(_cluster("1.37"), TODAY, [])

    assert "kubernetes eks 1.37: deployed, but its support end is not recorded" in warning["message"]


def test_a_pin_without_a_published_end_warns_when_its_review_is_due() -> None:
    charts = [w for w in load_windows() if w.kind == "helm-chart" and w.name == "loki"]
    resources = [{"type": "kubernetes:helm.sh/v3:Release", "inputs": {"chart": "loki", "version": "18.11.0"}}]

    (warning,) = support_warnings(resources, datetime.date(2027, 3, 2), charts)

    assert warning["reviewBy"] == "2027-03-01" and warning["supportEnds"] is None
    assert "no published support end; its review was due on 2027-03-01" in warning["message"]


def test_repository_pins_count_whatever_the_stack_deploys() -> None:
    images = [w for w in load_windows() if w.kind == "image"]

    warnings = support_warnings([], datetime.date(2028, 9, 1), images)

    assert "image python (log exporter base) 3.12.12-slim-trixie: support ends on 2028-10-01" in "\n".join(
        _messages(warnings)
    )


def test_console_and_report_show_the_warnings() -> None:
    plan = dict(plan_for("dev"))
    plan["warnings"] = support_warnings(plan["resources"], EKS_136_ENDS)

    console = warning_lines(plan)
    report = markdown(plan)

    assert "warning: kubernetes eks 1.36: support ends on 2027-08-02 (in 0 days)" in console
    assert "### Support windows" in report
    assert "- kubernetes eks 1.36: support ends on 2027-08-02 (in 0 days)" in report


def test_a_plan_without_warnings_has_no_support_section() -> None:
    plan = dict(plan_for("dev"))
    plan["warnings"] = []

    assert "### Support windows" not in markdown(plan)
    assert warning_lines(plan) == ""


def test_every_entry_has_a_date_and_a_basis() -> None:
    entries = yaml.safe_load(WINDOWS_FILE.read_text(encoding="utf-8"))["entries"]
    assert entries
    for entry in entries:
        assert ("supportEnds" in entry) != ("reviewBy" in entry), entry
        assert isinstance(entry.get("supportEnds", entry.get("reviewBy")), datetime.date), entry
        assert entry["basis"], entry
    keys = [(e["kind"], e["name"], str(e["version"])) for e in entries]
    assert len(keys) == len(set(keys))


def test_versions_md_lists_every_window_with_its_date() -> None:
    text = (PROJECT_DIR / "VERSIONS.md").read_text(encoding="utf-8")
    assert "components/plan/support_windows.yaml" in text
    assert load_windows()
    for window in load_windows():
        date = str(window.ends) if window.published else f"review by {window.ends}"
        row = f"| {window.kind} | {window.name} | `{window.version}` | {date} |"
        assert row in text, f"VERSIONS.md lacks the row {row}"


def test_the_repositorys_own_pins_are_the_ones_dated() -> None:
    dated = {(w.kind, w.name): w.version for w in load_windows()}
    dockerfile = (PROJECT_DIR / "lambdas" / "log_exporter" / "Dockerfile").read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM python:(\S+)$", dockerfile, flags=re.MULTILINE)
    assert dated[("image", "python (log exporter base)")] == base

    chart = yaml.safe_load((PROJECT_DIR / "charts" / "kubeboard" / "values.yaml").read_text(encoding="utf-8"))
    assert dated[("image", "python (chart collector)")] == chart["collector"]["image"]["tag"]
    assert dated[("image", "nginxinc/nginx-unprivileged (chart web)")] == chart["web"]["image"]["tag"]

    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=!~]", dependency, maxsplit=1)[0] for dependency in project["dependencies"]]
    bounds = {
        name: dependency[len(name) :] for name, dependency in zip(names, project["dependencies"], strict=True)
    }
    for name in (
        "pulumi",
        "pulumi-aws",
        "pulumi-eks",
        "pulumi-kubernetes",
        "pulumi-random",
        "pulumi-policy",
        "pydantic",
    ):
        assert dated[("python-package", name)] == bounds[name], name

    locks = "\n".join(
        path.read_text(encoding="utf-8") for path in (PROJECT_DIR / "lambdas").glob("*/requirements.txt")
    )
    assert f"aws-lambda-powertools=={dated[('python-package', 'aws-lambda-powertools')]}" in locks
    assert f"boto3=={dated[('python-package', 'boto3')]}" in locks
