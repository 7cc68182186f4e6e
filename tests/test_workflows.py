"""GitHub Actions workflows: every file is valid for GitHub, and the delivery workflow is hardened.

Schema checks run `check-jsonschema --builtin-schema vendor.github-workflows` (the schema ships
inside check-jsonschema, so nothing is downloaded) over every workflow in `.github/workflows/`,
including ones added later, and over the example for application repositories.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
DELIVERY = WORKFLOW_DIR / "build-push-deploy.yml"
EXAMPLE = ROOT / "examples" / "app-repo-workflow.yml"
WORKFLOWS = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _check_jsonschema(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def _steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def test_there_are_workflows_to_check() -> None:
    assert DELIVERY in WORKFLOWS


@pytest.fixture(scope="module")
def schema_errors() -> dict[str, list[dict[str, Any]]]:
    """One check-jsonschema run over every workflow (each run costs seconds); errors by file."""
    result = _check_jsonschema("-o", "json", *WORKFLOWS, EXAMPLE)
    report = json.loads(result.stdout)
    errors: dict[str, list[dict[str, Any]]] = {}
    for error in report.get("errors", []) + report.get("parse_errors", []):
        errors.setdefault(str(Path(error["filename"]).resolve()), []).append(error)
    assert result.returncode == (1 if errors else 0), result.stderr
    return errors


@pytest.mark.parametrize("path", [*WORKFLOWS, EXAMPLE], ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow_matches_githubs_schema(path: Path, schema_errors: dict[str, list[dict[str, Any]]]) -> None:
    assert schema_errors.get(str(path.resolve()), []) == []


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on:\n  workflow_call:\n    inputs:\n      threshold: {type: integer}\n"
        "jobs:\n  build:\n    steps:\n      - run: echo hi\n"
    )
    result = _check_jsonschema(broken)
    assert result.returncode == 1
    assert "broken.yml" in result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(path: Path) -> None:
    # A tag can be moved to other code; a commit cannot. The comment says which release it is.
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match or match.group(1).startswith(("./", "docker://")):
            continue
        assert PINNED.match(match.group(1)), f"{path.name}: {match.group(1)} is not pinned to a commit SHA"
        assert re.match(r"^\s+#\s*v\d", match.group(2)), (
            f"{path.name}: {match.group(1)} lacks a # vX.Y.Z comment"
        )


def test_delivery_workflow_is_callable_with_typed_inputs() -> None:
    call = _load(DELIVERY)["on"]["workflow_call"]
    assert {name: spec["type"] for name, spec in call["inputs"].items()} == {
        "environment": "string",
        "aws-region": "string",
        "role-to-assume": "string",
        "ecr-repository": "string",
        "high-threshold": "number",
        "scan-timeout-seconds": "number",
        "context": "string",
        "dockerfile": "string",
        "platform": "string",
        "build-args": "string",
    }
    # No GitOps write key: the platform's promote-image workflow rolls images out.
    assert set(call["secrets"]) == {"platform-read-token"}
    assert call["secrets"]["platform-read-token"]["required"] is False


def test_delivery_jobs_hold_only_the_permissions_they_use() -> None:
    workflow = _load(DELIVERY)
    assert workflow["permissions"] == {}
    assert set(workflow["jobs"]) == {"build"}
    assert workflow["jobs"]["build"]["permissions"] == {"id-token": "write", "contents": "read"}


def test_delivery_assumes_a_role_through_oidc_and_never_uses_keys() -> None:
    text = DELIVERY.read_text(encoding="utf-8")
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    [(_, configure)] = [
        (job, step)
        for job, step in _steps(_load(DELIVERY))
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    assert configure["with"]["role-to-assume"] == "${{ inputs.role-to-assume }}"


def test_delivery_tags_with_the_commit_and_gates_before_deploying() -> None:
    workflow = _load(DELIVERY)
    build_steps = [step for _, step in _steps(workflow) if _ == "build"]
    names = [step.get("name", "") for step in build_steps]
    push = names.index(next(n for n in names if n.startswith("Build and push")))
    gate = names.index(next(n for n in names if n.startswith("Scan gate")))
    assert push < gate == len(names) - 1
    assert workflow["jobs"]["build"]["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    assert "scripts/scan_gate.py" in build_steps[gate]["run"]
    assert "--high-threshold" in build_steps[gate]["run"]


def test_inputs_never_reach_a_shell_script_directly() -> None:
    # `${{ inputs.x }}` inside `run:` is pasted into the script before bash parses it (injection).
    for path in (DELIVERY, EXAMPLE, WORKFLOW_DIR / "promote-image.yml"):
        for job, step in _steps(_load(path)):
            script = step.get("run", "")
            assert not re.search(r"\$\{\{\s*(inputs|github\.event|github\.head_ref)", script), (
                f"{path.name}:{job}:{step.get('name')} interpolates an expression into its script"
            )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_every_delivery_script_parses_in_bash() -> None:
    assert _steps(_load(DELIVERY))
    for job, step in _steps(_load(DELIVERY)):
        if "run" in step:
            result = subprocess.run(
                ["bash", "-n"], input=step["run"], capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"{job}:{step.get('name')}: {result.stderr}"


def _run_input_check(**overrides: str) -> subprocess.CompletedProcess[str]:
    [step] = [s for _, s in _steps(_load(DELIVERY)) if s.get("name") == "Check inputs"]
    env = {
        "PATH": os.environ["PATH"],
        "ECR_REPOSITORY": "shop/api",
        "ENVIRONMENT": "dev",
        **overrides,
    }
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({}, None),
        (
            {"ECR_REPOSITORY": "111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/shop/api"},
            "not an ECR repository",
        ),
        ({"ENVIRONMENT": "prod; rm -rf /"}, "unexpected characters"),
    ],
)
def test_bad_inputs_stop_the_workflow_before_anything_runs(
    override: dict[str, str], message: str | None
) -> None:
    result = _run_input_check(**override)
    if message is None:
        assert result.returncode == 0, result.stdout
    else:
        assert result.returncode == 1
        assert message in result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_scan_gate_is_fetched_from_the_commit_the_caller_pinned(tmp_path: Path) -> None:
    # The step reads job_workflow_ref / job_workflow_sha from the job's OIDC token.
    import base64

    [step] = [s for _, s in _steps(_load(DELIVERY)) if s.get("id") == "platform"]
    claims = {
        "job_workflow_ref": "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/tags/v0.1.0",
        "job_workflow_sha": "0123456789abcdef0123456789abcdef01234567",
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    fake_curl = tmp_path / "curl"
    fake_curl.write_text(f'#!/bin/sh\necho \'{{"value": "eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"}}\'\n')
    fake_curl.chmod(0o755)
    output = tmp_path / "output"
    env = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/token?api-version=2.0",
    }
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text().splitlines() == [
        "repository=acme/kubeboard-infra",
        "sha=0123456789abcdef0123456789abcdef01234567",
    ]


def test_example_passes_every_required_input_and_nothing_unknown() -> None:
    call = _load(DELIVERY)["on"]["workflow_call"]
    required_inputs = {name for name, spec in call["inputs"].items() if spec.get("required")}
    required_secrets = {name for name, spec in call["secrets"].items() if spec.get("required")}
    example = _load(EXAMPLE)
    assert example["permissions"] == {"contents": "read", "id-token": "write"}
    jobs = example["jobs"]
    assert jobs
    for job_id, job in jobs.items():
        assert job["uses"].split("@")[0].endswith("/.github/workflows/build-push-deploy.yml"), job_id
        assert required_inputs <= set(job["with"]) <= set(call["inputs"]), job_id
        assert required_secrets <= set(job.get("secrets", {})) <= set(call["secrets"]), job_id


# --- The plan commenter: who gets the comment is decided by GitHub's event, not by PR code ----------

COMMENTER = WORKFLOW_DIR / "plan-comment.yml"
_HARNESS = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
process.chdir(scenario.workdir);
const posted = [];
const github = {
  paginate: async (fn, params) => fn(params),
  rest: {
    pulls: { list: (params) => scenario.pulls.filter((p) => params.head === `${p.head.repo.owner.login}:${p.head.ref}`) },
    issues: {
      listComments: () => [],
      createComment: async (params) => posted.push(params),
      updateComment: async (params) => posted.push(params),
    },
  },
};
const context = { repo: { owner: 'kubeboard', repo: 'kubeboard-infra' }, payload: { workflow_run: scenario.run } };
const core = { info: () => {}, setFailed: (m) => { throw new Error(m); } };
const body = fs.readFileSync(process.argv[3], 'utf8');
(async () => {
  await new Function('require', 'github', 'context', 'core', `return (async () => { ${body} })();`)(require, github, context, core);
  console.log(JSON.stringify(posted));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _pull(number: int, repo: str, ref: str, sha: str) -> dict[str, Any]:
    owner = repo.split("/", maxsplit=1)[0]
    return {
        "number": number,
        "head": {"sha": sha, "ref": ref, "repo": {"full_name": repo, "owner": {"login": owner}}},
    }


def _comment(
    tmp_path: Path, pulls: list[dict[str, Any]], conclusion: str = "success"
) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    [step] = [s for _, s in _steps(_load(COMMENTER)) if "github-script" in s.get("uses", "")]
    reports = tmp_path / "reports" / "plan-dev"
    reports.mkdir(parents=True)
    (reports / "report.md").write_text("### dev\n0 mandatory violation(s)\n", encoding="utf-8")
    # PR code wrote the artifact: it may claim any pull request number.
    (reports / "pr-number").write_text("7\n", encoding="utf-8")
    fork = {"full_name": "mallory/kubeboard-infra", "owner": {"login": "mallory"}}
    run = {
        "head_repository": fork,
        "head_branch": "fix",
        "head_sha": "a" * 40,
        "conclusion": conclusion,
        "html_url": "https://github.com/kubeboard/kubeboard-infra/actions/runs/1",
    }
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"workdir": str(tmp_path), "pulls": pulls, "run": run}), encoding="utf-8")
    (tmp_path / "script.js").write_text(step["with"]["script"], encoding="utf-8")
    (tmp_path / "harness.js").write_text(_HARNESS, encoding="utf-8")
    result = subprocess.run(
        [node, str(tmp_path / "harness.js"), str(scenario), str(tmp_path / "script.js")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    posted: list[dict[str, Any]] = json.loads(result.stdout)
    return posted


def test_the_comment_goes_to_the_planned_pull_request_not_the_one_the_artifact_names(tmp_path: Path) -> None:
    posted = _comment(tmp_path, [_pull(12, "mallory/kubeboard-infra", "fix", "a" * 40)])
    assert [p["issue_number"] for p in posted] == [12]
    assert "Verdict (from the workflow run): passed" in posted[0]["body"]


def test_a_second_pull_request_on_the_same_commit_gets_no_comment(tmp_path: Path) -> None:
    same_commit_elsewhere = _pull(7, "kubeboard/kubeboard-infra", "fix", "a" * 40)
    assert _comment(tmp_path, [same_commit_elsewhere]) == []
    ambiguous = [
        _pull(12, "mallory/kubeboard-infra", "fix", "a" * 40),
        _pull(13, "mallory/kubeboard-infra", "fix", "a" * 40),
    ]
    assert _comment(tmp_path / "two", ambiguous) == []


def test_the_verdict_comes_from_the_run_not_from_the_report(tmp_path: Path) -> None:
    posted = _comment(tmp_path, [_pull(12, "mallory/kubeboard-infra", "fix", "a" * 40)], conclusion="failure")
    assert "Verdict (from the workflow run): failure" in posted[0]["body"]
