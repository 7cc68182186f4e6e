"""The deploy and preview workflows run where each stack's cluster API answers: its in-VPC runner."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import plan_for, stack_file

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PROFILE_SCRIPT = ROOT / "scripts" / "cluster-creator-profile"
GITHUB_HOSTED = re.compile(r"^(ubuntu|windows|macos)-")
RUNNER_LABEL = "codebuild-${{ inputs.runner }}-${{ github.run_id }}-${{ github.run_attempt }}"


def _load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the bare key `on` as True
        document["on"] = document.pop(True)
    return document


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _resolve(label: str, **values: str) -> str:
    for name, value in values.items():
        label = label.replace("${{ " + name + " }}", value)
    return label


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stacks_deploy_runs_on_its_own_codebuild_runner(stack: str) -> None:
    caller = _load("deploy.yml")["jobs"][stack]
    up = _load("deploy-stack.yml")["jobs"]["up"]
    label = _resolve(up["runs-on"], **{"inputs.runner": caller["with"]["runner"]})

    assert caller["uses"] == "./.github/workflows/deploy-stack.yml"
    assert caller["with"]["stack"] == stack
    assert not GITHUB_HOSTED.match(label)
    # The project the plan creates in the stack's private subnets is the one the label names.
    assert (
        label
        == f"codebuild-{plan_for(stack)['outputs']['deployRunnerProject']}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    )
    assert up["environment"] == "${{ inputs.stack }}"


def test_prod_deploy_never_runs_pulumi_up_of_kubernetes_resources_on_a_github_hosted_runner() -> None:
    jobs = _load("deploy-stack.yml")["jobs"]
    hosted = {name: job for name, job in jobs.items() if GITHUB_HOSTED.match(str(job["runs-on"]))}
    # Only the first deploy of a fresh account runs there, and it leaves out every Kubernetes
    # provider and whatever depends on one (all Helm releases, the root Application).
    assert set(hosted) == {"bootstrap"}
    bootstrap = hosted["bootstrap"]
    assert bootstrap["if"] == "inputs.bootstrap && github.ref == 'refs/heads/main'"
    script = _runs(bootstrap)
    assert '--exclude "urn:pulumi:$STACK::kubeboard::**pulumi:providers:kubernetes::**"' in script
    assert "--exclude-dependents" in script
    assert not any(step.get("with", {}).get("command") for step in bootstrap["steps"])
    assert jobs["up"]["needs"] == "bootstrap"
    assert jobs["up"]["runs-on"] == RUNNER_LABEL


def test_bootstrap_is_only_started_by_hand() -> None:
    workflow = _load("deploy.yml")
    assert workflow["on"]["workflow_dispatch"]["inputs"]["bootstrap"] == {
        "description": workflow["on"]["workflow_dispatch"]["inputs"]["bootstrap"]["description"],
        "type": "boolean",
        "default": False,
    }
    for stack in ("dev", "prod"):
        assert workflow["jobs"][stack]["with"]["bootstrap"] == "${{ inputs.bootstrap == true }}"


def test_deploy_jobs_fit_inside_the_runners_build_timeout() -> None:
    up = _load("deploy-stack.yml")["jobs"]["up"]
    for stack in ("dev", "prod"):
        runner = stack_file(stack)["config"]["kubeboard:deployRunner"]
        assert up["timeout-minutes"] < runner.get("timeoutMinutes", 120)


@pytest.mark.parametrize("job_name", ["bootstrap", "up"])
def test_deploys_create_the_cluster_through_the_creator_role_after_assuming_the_deploy_role(
    job_name: str,
) -> None:
    steps = _load("deploy-stack.yml")["jobs"][job_name]["steps"]
    names = [step["name"] for step in steps]
    assume = names.index("Assume the deploy role")
    creator = names.index("The cluster is created through the cluster-creator role")
    pulumi_step = next(i for i, step in enumerate(steps) if "pulumi up" in step["name"])
    assert assume < creator < pulumi_step
    assert steps[assume]["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert steps[creator]["env"]["CREATOR_ROLE_ARN"] == "${{ vars.AWS_CLUSTER_CREATOR_ROLE_ARN }}"
    assert steps[creator]["run"] == './scripts/cluster-creator-profile assume "$CREATOR_ROLE_ARN"'


def test_previews_run_on_each_stacks_runner_with_the_read_only_role_only() -> None:
    job = _load("preview.yml")["jobs"]["preview"]
    for entry in job["strategy"]["matrix"]["include"]:
        label = _resolve(job["runs-on"], **{"matrix.runner": entry["runner"]})
        assert label.startswith(f"codebuild-{plan_for(entry['stack'])['outputs']['deployRunnerProject']}-")
    script = _runs(job)
    assert "./scripts/cluster-creator-profile self" in script
    assert "assume" not in script
    [configure] = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert configure["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"


# --- scripts/cluster-creator-profile, with a recording `aws` on PATH -------------------------------


def _run_profile(
    tmp_path: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "aws.log"
    fake = tmp_path / "bin" / "aws"
    fake.parent.mkdir(exist_ok=True)
    # `sts get-caller-identity` answers as FAKE_CALLER_ARN, like the AWS CLI with --query Arn.
    fake.write_text(
        f'#!/usr/bin/env bash\necho "$*" >> {log}\n'
        'if [[ "$1 $2" == "sts get-caller-identity" ]]; then echo "$FAKE_CALLER_ARN"; fi\n'
    )
    fake.chmod(0o755)
    environment = {"PATH": f"{fake.parent}:{os.environ['PATH']}", "HOME": str(tmp_path), **env}
    result = subprocess.run(
        ["bash", str(PROFILE_SCRIPT), *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


CREATOR = "arn:aws:iam::111122223333:role/kubeboard-prod-cluster-creator"


def test_deploy_profile_assumes_the_creator_role_with_the_jobs_credentials(tmp_path: Path) -> None:
    caller = (
        "arn:aws:sts::111122223333:assumed-role/kubeboard-prod-cluster-creator/kubeboard-cluster-creator-1"
    )
    result, calls = _run_profile(tmp_path, "assume", CREATOR, FAKE_CALLER_ARN=caller)
    assert result.returncode == 0, result.stderr
    assert f"configure set role_arn {CREATOR} --profile kubeboard-cluster-creator" in calls
    assert "configure set credential_source Environment --profile kubeboard-cluster-creator" in calls
    assert (
        calls[-1] == "sts get-caller-identity --profile kubeboard-cluster-creator --query Arn --output text"
    )


def test_deploy_profile_that_resolves_to_another_identity_stops_the_deploy(tmp_path: Path) -> None:
    # E.g. the variable holds the deploy role: it would become the implicit admin and its entry collide.
    caller = "arn:aws:sts::111122223333:assumed-role/kubeboard-prod-deploy/kubeboard-deploy-prod-1"
    result, _ = _run_profile(tmp_path, "assume", CREATOR, FAKE_CALLER_ARN=caller)
    assert result.returncode == 1
    assert "not the cluster-creator role" in result.stderr


@pytest.mark.parametrize(
    "role", ["", "kubeboard-prod-cluster-creator", "arn:aws:iam::111122223333:user/someone"]
)
def test_deploy_profile_refuses_anything_but_a_role_arn(tmp_path: Path, role: str) -> None:
    result, calls = _run_profile(tmp_path, "assume", role)
    assert result.returncode == 2
    assert "AWS_CLUSTER_CREATOR_ROLE_ARN" in result.stderr
    assert calls == []


def test_preview_profile_is_the_jobs_own_credentials(tmp_path: Path) -> None:
    result, calls = _run_profile(
        tmp_path,
        "self",
        AWS_ACCESS_KEY_ID="ASIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="s3cr3t",
        AWS_SESSION_TOKEN="tok",
    )
    assert result.returncode == 0, result.stderr
    assert "configure set aws_access_key_id ASIAEXAMPLE --profile kubeboard-cluster-creator" in calls
    assert not any("role_arn" in call for call in calls)
    assert "s3cr3t" not in result.stdout + result.stderr


def test_preview_profile_without_credentials_fails_clearly(tmp_path: Path) -> None:
    result, calls = _run_profile(tmp_path, "self")
    assert result.returncode != 0
    assert "assume the preview role first" in result.stderr
    assert calls == []


def _bootstrap_exclusion(plan: dict[str, Any], pattern: str) -> set[str]:
    """The URNs `pulumi up --exclude <pattern> --exclude-dependents` leaves out, over plan.json.

    A dependent is what uses an excluded provider, has an excluded parent or depends on an excluded
    resource, transitively (how the engine walks dependents for --target-dependents too).
    """
    glob = re.compile("^" + re.escape(pattern).replace(r"\*\*", ".*") + "$")
    excluded = {r["urn"] for r in plan["resources"] if glob.match(r["urn"])}
    changed = True
    while changed:
        changed = False
        for resource in plan["resources"]:
            if resource["urn"] in excluded:
                continue
            uses = {resource["provider"], resource["parent"], *resource["dependencies"]}
            uses |= set(resource.get("providers", {}).values())
            if uses & excluded:
                excluded.add(resource["urn"])
                changed = True
    return excluded


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_bootstrap_creates_the_runner_and_the_cluster_but_no_kubernetes_resource(stack: str) -> None:
    plan = plan_for(stack)
    script = _runs(_load("deploy-stack.yml")["jobs"]["bootstrap"])
    [pattern] = re.findall(r'--exclude "([^"]+)"', script)
    excluded = _bootstrap_exclusion(plan, pattern.replace("$STACK", stack))
    kept = {r["type"] for r in plan["resources"] if r["urn"] not in excluded}

    assert excluded
    assert not any(token.startswith("kubernetes:") for token in kept)
    assert {
        "eks:index:Cluster",
        "aws:codebuild/project:Project",
        "aws:codebuild/webhook:Webhook",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/natGateway:NatGateway",
    } <= kept
