"""End to end: a weakened copy of Pulumi.prod.yaml that the settings accept is stopped by the pack.

Most weaknesses (a public prod endpoint, an unencrypted bucket, mutable tags, flow logs off) cannot
be written in the settings at all; short log retention can, and `kubeboard plan` must exit 1 naming
the policy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import main
from tests.conftest import PROJECT_DIR, stack_file

WEAKENINGS: dict[str, tuple[dict[str, Any], str]] = {
    "flow-logs-kept-two-weeks": (
        {"kubeboard:network": {"flowLogs": {"retentionDays": 14}}},
        "aws-cloudwatch-loggroup-configure-retention",
    ),
    "control-plane-logs-kept-a-month": (
        {"kubeboard:cluster": {"logRetentionDays": 30}},
        "aws-cloudwatch-loggroup-configure-retention",
    ),
    "log-report-function-logs-kept-two-weeks": (
        {"kubeboard:logReports": {"logRetentionDays": 14}},
        "aws-cloudwatch-loggroup-configure-retention",
    ),
}


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and key in base else value
    return merged


def _project(tmp_path: Path, overlay: dict[str, Any]) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    config = _merge(stack_file("prod")["config"], overlay)
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return tmp_path


def _plan(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["plan", "prod", "--cwd", str(project), "--out", str(project / "out")])
    plan = json.loads((project / "out" / "plan.json").read_text())
    return code, plan, capsys.readouterr().out


def _mandatory_violations(plan: dict[str, Any]) -> set[str]:
    return {r["policy"] for r in plan["policies"]["results"] if r["level"] == "mandatory"}


def test_the_unweakened_copy_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, plan, _ = _plan(_project(tmp_path, {}), capsys)

    assert code == 0
    assert _mandatory_violations(plan) == set()


@pytest.mark.parametrize("weakening", WEAKENINGS, ids=list(WEAKENINGS))
def test_a_weakened_prod_stack_exits_1_naming_the_policy(
    weakening: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay, policy = WEAKENINGS[weakening]

    code, plan, printed = _plan(_project(tmp_path, overlay), capsys)

    assert code == 1
    assert _mandatory_violations(plan) == {policy}
    assert policy in printed
