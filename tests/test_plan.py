"""The offline plan's contract: plan.json fields, exit codes, secrets masked everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.cli import main

from .conftest import PROJECT_DIR

RESOURCE_KEYS = {"urn", "id", "type", "name", "parent", "provider", "protect", "dependencies", "inputs"}


def test_plan_json_keeps_the_contract(stack_plan: dict[str, Any]) -> None:
    assert stack_plan["project"] == "kubeboard"
    assert stack_plan["stack"] in {"dev", "prod"}
    assert set(stack_plan["policies"]) >= {"evaluated", "results", "mandatoryViolations"}
    urns = {resource["urn"] for resource in stack_plan["resources"]}
    assert stack_plan["resources"]
    for resource in stack_plan["resources"]:
        assert set(resource) >= RESOURCE_KEYS
        assert resource["urn"].startswith(f"urn:pulumi:{stack_plan['stack']}::kubeboard::")
        assert resource["parent"] is None or resource["parent"] in urns
        assert all(dependency in urns for dependency in resource["dependencies"])


def test_aws_resources_use_the_platform_provider_with_region_and_tags(dev_plan: dict[str, Any]) -> None:
    # "cluster-creator" creates the EKS cluster alone (tests/test_deploy_access.py).
    [provider] = [
        r for r in dev_plan["resources"] if r["type"] == "pulumi:providers:aws" and r["name"] == "aws"
    ]
    assert provider["inputs"]["region"] == "ap-northeast-2"
    assert (
        json.loads(provider["inputs"]["defaultTags"])["tags"]["Environment"] == "dev"
        if isinstance(provider["inputs"]["defaultTags"], str)
        else provider["inputs"]["defaultTags"]["tags"]["Environment"] == "dev"
    )
    assert dev_plan["resources"]
    for resource in dev_plan["resources"]:
        if resource["type"].startswith("aws:"):
            assert resource["provider"] == provider["urn"], resource["urn"]


def test_urns_carry_the_whole_parent_chain(dev_plan: dict[str, Any]) -> None:
    [vpc] = [r for r in dev_plan["resources"] if r["type"] == "aws:ec2/vpc:Vpc"]
    assert "::kubeboard:index:Platform$kubeboard:index:Network$aws:ec2/vpc:Vpc::" in vpc["urn"]


def test_dependencies_are_recorded(dev_plan: dict[str, Any]) -> None:
    [flow_log] = [r for r in dev_plan["resources"] if r["type"] == "aws:ec2/flowLog:FlowLog"]
    types = {urn.split("::")[2].split("$")[-1] for urn in flow_log["dependencies"]}
    assert {"aws:ec2/vpc:Vpc", "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role"} <= types


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cli_writes_plan_and_report_and_exits_zero(stack: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeboard_infra.cli",
            "plan",
            stack,
            "--cwd",
            str(PROJECT_DIR),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    report = (tmp_path / "report.md").read_text()
    assert plan["stack"] == stack
    assert f"resources in stack {stack}" in result.stdout
    assert "```mermaid\nflowchart LR" in report
    assert "network" in report


SECRET_PROGRAM = """
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
aws.ssm.Parameter("token", type="SecureString", value=config.require_secret("token"))
{leak}
pulumi.export("token", config.require_secret("token"))
"""


def _secret_project(tmp_path: Path, leak: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: secretcheck\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(SECRET_PROGRAM.format(leak=leak)))
    (tmp_path / "Pulumi.test.yaml").write_text(
        # A passphrase-encrypted stack: the salt and an AES-GCM ciphertext in the CLI's own format.
        "encryptionsalt: v1:mqV6FtfGp3k=:jZcmsWWRJTcK3roI9/swTYmX/1jUgA==\n"
        "config:\n  aws:region: ap-northeast-2\n  secretcheck:token:\n"
        "    secure: v1:iayixyW5+kv0tYQC:1LqNysMIT0L9lA78wxU4faSZPq57npoGg2buAA==\n"
    )
    return tmp_path


def test_secrets_are_masked_in_plan_and_report(tmp_path: Path) -> None:
    project = _secret_project(tmp_path)

    code = main(["plan", "test", "--cwd", str(project), "--quiet"])

    plan_text = (project / "out" / "test" / "plan.json").read_text()
    plan = json.loads(plan_text)
    [parameter] = [r for r in plan["resources"] if r["type"] == "aws:ssm/parameter:Parameter"]
    assert code == 0
    assert parameter["inputs"]["value"] == "[secret]"
    assert plan["outputs"]["token"] == "[secret]"
    assert "placeholder" not in plan_text + (project / "out" / "test" / "report.md").read_text()


def test_a_secret_registered_in_clear_fails_the_plan(tmp_path: Path) -> None:
    leak = 'aws.s3.Bucket("leaked", tags={"token": config.get("token")})'
    project = _secret_project(tmp_path, leak=leak)

    code = main(["plan", "test", "--cwd", str(project), "--quiet"])

    plan = json.loads((project / "out" / "test" / "plan.json").read_text())
    [violation] = [r for r in plan["policies"]["results"] if r["policy"] == "secrets-never-in-clear"]
    assert code == 1
    assert violation["policy"] == "secrets-never-in-clear"
    assert violation["urn"].endswith("::leaked")


@pytest.mark.timeout(120)
def test_outputs_left_pending_by_earlier_code_do_not_stall_a_plan(tmp_path: Path) -> None:
    """A component built outside any run (as unit tests do) leaves outputs on a loop that never
    runs again; the next plan, failing or not, must not wait for them."""
    import asyncio

    import pulumi

    abandoned_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(abandoned_loop)
    pulumi.Output.from_input(abandoned_loop.create_future())
    (tmp_path / "Pulumi.yaml").write_text("name: stall\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nraise pulumi.RunError('stall: refused on purpose')\n"
    )
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")

    code = main(["plan", "test", "--cwd", str(tmp_path), "--quiet"])

    assert code == 2
