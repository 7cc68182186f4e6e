"""CI credentials: who holds which secret and role, from which ref (README: CI credentials).

Read from the workflow files themselves: every secret is read by a job in a GitHub environment (so
only that environment's secret exists for it), the preview of pull-request code holds no deploy
secret and cannot write, deploys run from `main` only, and the delivery roles in the account
stack's plan trust only the reusable workflow on `main`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import account_section, plan_for, resources_of

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
SECRET = re.compile(r"\$\{\{[^}]*\bsecrets\.([A-Za-z0-9_-]+)")
VARIABLE = re.compile(r"\$\{\{[^}]*\bvars\.([A-Za-z0-9_-]+)")
MAIN_ONLY = "github.ref == 'refs/heads/main'"
# What can change an account or a roll-out: none of it may reach a job that runs pull-request code.
DEPLOY_SECRETS = {"PULUMI_ACCESS_TOKEN", "GITOPS_APP_PRIVATE_KEY"}
DEPLOY_VARIABLES = {"AWS_DEPLOY_ROLE_ARN", "AWS_CLUSTER_CREATOR_ROLE_ARN", "AWS_PROMOTION_ROLE_ARN"}
GITHUB = "token.actions.githubusercontent.com"


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the bare key `on` as True
        document["on"] = document.pop(True)
    return document


def _triggers(workflow: dict[Any, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def _secrets(node: Any) -> set[str]:
    """Names of the secrets a job (or any part of it) reads, GITHUB_TOKEN aside."""
    return set(SECRET.findall(json.dumps(node))) - {"GITHUB_TOKEN"}


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    jobs = [(path.name, job_id, job) for path in WORKFLOWS for job_id, job in _load(path)["jobs"].items()]
    assert len(jobs) > 10
    return jobs


def _local_workflow(job: dict[str, Any]) -> dict[Any, Any] | None:
    uses = job.get("uses", "")
    return _load(ROOT / uses.removeprefix("./")) if uses.startswith("./.github/workflows/") else None


# --- Every secret lives in an environment ------------------------------------------------------------


def test_every_job_that_reads_a_secret_runs_in_a_github_environment() -> None:
    readers = [(name, job_id, job) for name, job_id, job in _jobs() if "steps" in job and _secrets(job)]
    assert len(readers) >= 5
    for name, job_id, job in readers:
        # An environment secret exists only for jobs in that environment: a repository secret would
        # be readable by any workflow on any branch a writer pushes.
        assert job.get("environment"), f"{name}:{job_id} reads {sorted(_secrets(job))} outside an environment"


def test_inherited_secrets_go_only_to_workflows_whose_jobs_run_in_an_environment() -> None:
    inheriting = [(name, job_id, job) for name, job_id, job in _jobs() if job.get("secrets") == "inherit"]
    assert inheriting
    for name, job_id, job in inheriting:
        called = _local_workflow(job)
        assert called is not None, f"{name}:{job_id} hands its secrets to a workflow outside this repository"
        for called_id, called_job in called["jobs"].items():
            assert called_job.get("environment"), f"{job['uses']}:{called_id} would get them outside one"


# --- The preview of pull-request code ----------------------------------------------------------------


def _pull_request_workflows() -> list[Path]:
    found = [path for path in WORKFLOWS if _triggers(_load(path)) & {"pull_request", "pull_request_target"}]
    assert {path.name for path in found} >= {"preview.yml", "plan.yml", "ci.yml"}
    return found


def test_the_preview_workflow_holds_no_deploy_secret() -> None:
    text = (WORKFLOW_DIR / "preview.yml").read_text(encoding="utf-8")
    [job] = _load(WORKFLOW_DIR / "preview.yml")["jobs"].values()

    assert job["environment"] == "preview"
    # Only the read-only Pulumi token of the preview environment, under its own name: even a
    # repository-level PULUMI_ACCESS_TOKEN left behind would not be read here.
    assert _secrets(job) == {"PULUMI_PREVIEW_TOKEN"}
    assert "inherit" not in text
    assert not set(SECRET.findall(text)) & DEPLOY_SECRETS
    assert not set(VARIABLE.findall(text)) & DEPLOY_VARIABLES
    [configure] = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert configure["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"


def test_no_workflow_that_runs_pull_request_code_can_write() -> None:
    for path in _pull_request_workflows():
        workflow = _load(path)
        # pull_request_target runs with the base repository's secrets and a write token.
        assert "pull_request_target" not in _triggers(workflow), path.name
        assert workflow.get("permissions") in ({}, {"contents": "read"}), path.name
        for job_id, job in workflow["jobs"].items():
            granted = job.get("permissions", workflow["permissions"])
            writes = {scope for scope, level in granted.items() if level == "write"}
            # The preview's OIDC token only reaches the read-only role its environment is trusted by;
            # the plan comment is written by plan-comment, which never runs pull-request code.
            allowed = {"id-token"} if job.get("environment") == "preview" else set()
            assert writes <= allowed, f"{path.name}:{job_id} may write {sorted(writes - allowed)}"
            assert not (_secrets(job) & DEPLOY_SECRETS), f"{path.name}:{job_id}"
            assert job.get("secrets") != "inherit", f"{path.name}:{job_id}"


def test_the_preview_role_trusts_only_the_preview_environment() -> None:
    plan = plan_for("shared")
    [role] = [
        r for r in resources_of(plan, "aws:iam/role:Role") if r["inputs"].get("name") == "kubeboard-preview"
    ]
    [statement] = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    repository = account_section()["deploy"]["repository"]
    assert statement["Condition"]["StringEquals"] == {
        f"{GITHUB}:aud": "sts.amazonaws.com",
        f"{GITHUB}:sub": f"repo:{repository}:environment:preview",
    }


# --- Deploys from main only --------------------------------------------------------------------------


def _holds_deploy_credentials(job: dict[str, Any]) -> bool:
    return bool(_secrets(job) & DEPLOY_SECRETS or set(VARIABLE.findall(json.dumps(job))) & DEPLOY_VARIABLES)


def _main_only(condition: Any) -> bool:
    """A job condition that holds on main only: it requires the ref, with no alternative or negation."""
    text = str(condition or "")
    return MAIN_ONLY in text and not re.search(r"\|\||!\s*\(|!=\s*'refs/heads/main'", text)


def _deploying_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    """Jobs that hold a deploy secret or role, or call a workflow that does."""
    found = []
    for name, job_id, job in _jobs():
        called = _local_workflow(job)
        holds = _holds_deploy_credentials(job)
        if called is not None:
            holds = holds or any(_holds_deploy_credentials(j) for j in called["jobs"].values())
        if holds:
            found.append((name, job_id, job))
    names = {name for name, _, _ in found}
    assert names >= {
        "deploy.yml",
        "deploy-stack.yml",
        "deploy-account.yml",
        "exporter-image.yml",
        "promote-image.yml",
    }
    return found


def test_every_job_that_deploys_runs_only_from_main() -> None:
    for name, job_id, job in _deploying_jobs():
        assert MAIN_ONLY in str(job.get("if", "")), f"{name}:{job_id} may run from any ref"
        # Negations or alternatives would let another ref through.
        assert not re.search(r"\|\||!\s*\(|!=\s*'refs/heads/main'", str(job.get("if", ""))), (
            f"{name}:{job_id}"
        )


def test_deploy_starts_on_pushes_to_main_or_by_hand_and_nothing_else() -> None:
    deploy = _load(WORKFLOW_DIR / "deploy.yml")
    assert _triggers(deploy) == {"push", "workflow_dispatch"}
    assert deploy["on"]["push"] == {"branches": ["main"]}
    for name in ("deploy-stack.yml", "deploy-account.yml"):
        assert _triggers(_load(WORKFLOW_DIR / name)) == {"workflow_call"}, name


def test_prod_deploys_behind_its_environment() -> None:
    deploy = _load(WORKFLOW_DIR / "deploy.yml")
    assert deploy["jobs"]["prod"]["with"]["stack"] == "prod"
    called = _load(WORKFLOW_DIR / "deploy-stack.yml")
    assert {job["environment"] for job in called["jobs"].values()} == {"${{ inputs.stack }}"}


@pytest.mark.parametrize(
    ("condition", "main_only"),
    [
        (None, False),
        ("always()", False),
        (f"{MAIN_ONLY} || github.event_name == 'workflow_dispatch'", False),
        (f"!({MAIN_ONLY})", False),
        ("github.ref != 'refs/heads/main'", False),
        (MAIN_ONLY, True),
        (f"inputs.bootstrap && {MAIN_ONLY}", True),
    ],
)
def test_the_main_only_check_tells_the_conditions_apart(condition: str | None, main_only: bool) -> None:
    assert _main_only(condition) is main_only


# --- Dependencies of jobs that hold a role are pinned by hash ----------------------------------------


def test_jobs_holding_a_role_install_python_packages_only_by_hash() -> None:
    installs = []
    for name, job_id, job in _jobs():
        for step in job.get("steps", []):
            for line in step.get("run", "").replace("\\\n", " ").splitlines():
                if re.search(r"\bpip install\b", line):
                    installs.append((name, job_id, job, line))
    holding = [i for i in installs if i[2].get("permissions", {}).get("id-token") == "write"]
    assert len(holding) >= 5
    for name, job_id, _, line in holding:
        # Either every requirement is hashed, or it is this checkout itself without dependencies.
        assert "--require-hashes -r " in line or "--no-deps --no-build-isolation -e ." in line, (
            f"{name}:{job_id}: {line.strip()}"
        )


def test_every_lock_file_pins_every_requirement_with_a_hash() -> None:
    locks = sorted((ROOT / "requirements").glob("*.txt"))
    assert {p.name for p in locks} >= {"deploy.txt", "promote.txt", "scan-gate.txt", "tools.txt"}
    for lock in locks:
        requirements = re.findall(
            r"^([A-Za-z0-9_.-]+)==\S+((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", lock.read_text(), re.M
        )
        lines = [line for line in lock.read_text().splitlines() if line and not line.startswith((" ", "#"))]
        assert requirements and len(requirements) == len(lines), lock.name
    names = {
        n.lower()
        for n, _ in re.findall(
            r"^([A-Za-z0-9_.-]+)==\S+((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)",
            (ROOT / "requirements" / "deploy.txt").read_text(),
            re.M,
        )
    }
    assert {"pulumi", "pulumi-aws", "pulumi-eks", "pydantic", "boto3", "pyyaml"} <= names


# --- Delivery trusts the reusable workflow on main ---------------------------------------------------


def test_delivery_roles_trust_only_the_reusable_workflow_on_main() -> None:
    workflow_ref = account_section()["delivery"]["workflowRef"]
    repository, rest = workflow_ref.split("/.github/workflows/")
    file_name, ref = rest.split("@")
    # It names this repository's reusable delivery workflow, on main.
    assert repository == account_section()["deploy"]["repository"]
    assert ref == "refs/heads/main"
    assert _triggers(_load(WORKFLOW_DIR / file_name)) == {"workflow_call"}

    roles = [
        r
        for r in resources_of(plan_for("shared"), "aws:iam/role:Role")
        if "kubeboard:index:GitHubDelivery" in r["urn"]
    ]
    assert roles
    for role in roles:
        for statement in json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]:
            subjects = {
                **statement["Condition"].get("StringLike", {}),
                **statement["Condition"]["StringEquals"],
            }[f"{GITHUB}:sub"]
            for subject in [subjects] if isinstance(subjects, str) else subjects:
                assert subject.endswith(f":job_workflow_ref:{workflow_ref}"), subject


def test_no_application_repository_needs_a_gitops_key() -> None:
    delivery = _load(WORKFLOW_DIR / "build-push-deploy.yml")
    assert set(delivery["on"]["workflow_call"].get("secrets", {})) <= {"platform-read-token"}
    text = (WORKFLOW_DIR / "build-push-deploy.yml").read_text(encoding="utf-8")
    assert "create-github-app-token" not in text and "private-key" not in text
    # The GitOps write happens in this repository's promotion environment, after the scan gate.
    [promote] = [
        job for job in _load(WORKFLOW_DIR / "promote-image.yml")["jobs"].values() if job.get("environment")
    ]
    assert promote["environment"] == "promotion"
    names = [step["name"] for step in promote["steps"]]
    gate = next(i for i, n in enumerate(names) if n.startswith("Scan gate"))
    write = next(i for i, n in enumerate(names) if n.startswith("Write the tag"))
    assert gate < write
    assert (
        promote["steps"][write]["if"] == promote["steps"][gate]["if"] == "steps.image.outputs.found == 'true'"
    )


def test_the_lock_script_uses_the_dated_pip_tools() -> None:
    from kubeboard_infra.plan.support import load_windows

    [pinned] = re.findall(r"^PIP_TOOLS_VERSION=(\S+)$", (ROOT / "scripts" / "lock").read_text(), re.M)
    assert {(w.kind, w.name): w.version for w in load_windows()}[("python-package", "pip-tools")] == pinned


def _locked(lock: Path) -> dict[str, str]:
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(
            r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock.read_text(encoding="utf-8"), re.M
        )
    }


@pytest.mark.parametrize(
    ("lock", "source"),
    [
        ("deploy.txt", "pyproject.toml"),
        ("promote.txt", "promote.in"),
        ("scan-gate.txt", "scan-gate.in"),
        ("tools.txt", "tools.in"),
    ],
)
def test_each_lock_file_satisfies_the_bounds_it_was_made_from(lock: str, source: str) -> None:
    # A bound changed without ./scripts/lock leaves a lock file the bound refuses: fail here, not in a deploy.
    import tomllib

    from packaging.requirements import Requirement

    if source == "pyproject.toml":
        lines = tomllib.loads((ROOT / source).read_text(encoding="utf-8"))["project"]["dependencies"]
    else:
        text = (ROOT / "requirements" / source).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    locked = _locked(ROOT / "requirements" / lock)
    assert lines
    for line in lines:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in locked, f"{lock} lacks {name}"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock}: {name}=={locked[name]} vs {line}"
        )


def test_every_pulumi_cli_is_the_release_of_the_locked_sdk() -> None:
    from kubeboard_infra.plan.support import load_windows

    sdk = _locked(ROOT / "requirements" / "deploy.txt")["pulumi"]
    assert {(w.kind, w.name): w.version for w in load_windows()}[("tool", "pulumi-cli")] == sdk
    steps = [
        (name, step)
        for name, _, job in _jobs()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("pulumi/actions@")
    ]
    assert len(steps) >= 4
    for name, step in steps:
        # Without it the action installs whatever CLI is newest, in jobs that hold a deploy role.
        assert str(step.get("with", {}).get("pulumi-version")) == sdk, f"{name}: {step.get('name')}"
