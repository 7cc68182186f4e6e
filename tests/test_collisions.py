"""Physical names and singletons two stacks would both create: `kubeboard plan shared dev prod`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import EXIT_CONFIG, EXIT_OK, main
from kubeboard_infra.plan.collisions import Placement, find_collisions, physical_names

from .conftest import PROJECT_DIR, stack_file

SEOUL = Placement(account="111122223333", region="ap-northeast-2")
TOKYO = Placement(account="111122223333", region="ap-northeast-1")
OTHER_ACCOUNT = Placement(account="444455556666", region="ap-northeast-2")


def _plan(*resources: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"resources": [{"type": token, "inputs": inputs} for token, inputs in resources]}


REPOSITORY = ("aws:ecr/repository:Repository", {"name": "shop/api"})
ROLE = ("aws:iam/role:Role", {"name": "deployer"})
BUCKET = ("aws:s3/bucket:Bucket", {"bucket": "acme-reports"})
SCANNING = ("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", {"scanType": "BASIC"})


def _collide(first: Placement, second: Placement, resource: tuple[str, dict[str, Any]]) -> list[str]:
    plans = {"a": _plan(resource), "b": _plan(resource)}
    return [c.message() for c in find_collisions(plans, {"a": first, "b": second})]


def test_a_regional_name_collides_in_one_account_and_region_only() -> None:
    [message] = _collide(SEOUL, SEOUL, REPOSITORY)
    assert "ECR repository 'shop/api' would be created by stacks a and b" in message
    assert "account 111122223333, region ap-northeast-2" in message
    assert _collide(SEOUL, TOKYO, REPOSITORY) == []
    assert _collide(SEOUL, OTHER_ACCOUNT, REPOSITORY) == []


def test_iam_names_collide_across_regions_of_one_account() -> None:
    [message] = _collide(SEOUL, TOKYO, ROLE)
    assert "IAM role 'deployer'" in message and "every region" in message
    assert _collide(SEOUL, OTHER_ACCOUNT, ROLE) == []


def test_bucket_names_collide_even_across_accounts() -> None:
    [message] = _collide(SEOUL, OTHER_ACCOUNT, BUCKET)
    assert "S3 bucket (names are global) 'acme-reports'" in message


def test_a_singleton_collides_whatever_its_settings() -> None:
    other = (SCANNING[0], {"scanType": "ENHANCED"})
    plans = {"dev": _plan(SCANNING), "prod": _plan(other)}
    [collision] = find_collisions(plans, {"dev": SEOUL, "prod": SEOUL})
    assert collision.stacks == ("dev", "prod")
    assert "one per account and region" in collision.kind


def test_generated_and_shared_names_are_not_claimed() -> None:
    claimed = physical_names(
        [
            {"type": "aws:iam/role:Role", "inputs": {"description": "auto-named"}},
            {"type": "aws:s3/bucket:Bucket", "inputs": {"bucketPrefix": "acme-logs-"}},
            {
                "type": "aws:route53/record:Record",
                "inputs": {"zoneId": "Z1", "name": "_x.example.com", "type": "CNAME", "allowOverwrite": True},
            },
            {"type": "kubernetes:core/v1:Namespace", "inputs": {"metadata": {"name": "dev"}}},
        ]
    )
    assert claimed == []


def test_one_stack_never_collides_with_itself() -> None:
    plans = {"dev": _plan(REPOSITORY, REPOSITORY)}
    assert find_collisions(plans, {"dev": SEOUL}) == []


# --- end to end, on the project and on copies of it ---------------------------------------------------


def _copy(tmp_path: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    for stack, config in stacks.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return tmp_path


def _account_stack(name: str, account_id: str) -> dict[str, Any]:
    """A second account stack like shared; this repository's deploy roles live in shared's account only."""
    config = stack_file("shared")["config"]
    account = {key: value for key, value in config["kubeboard:account"].items() if key != "deploy"}
    return {**config, "kubeboard:account": {**account, "name": name, "accountId": account_id}}


@pytest.mark.slow
def test_shared_dev_and_prod_plan_together_without_collision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["plan", "shared", "dev", "prod", "--cwd", str(PROJECT_DIR), "--out", str(tmp_path), "--quiet"]
    )

    out = capsys.readouterr().out
    assert code == EXIT_OK, out
    assert "no physical name or singleton is created by two of: shared, dev, prod" in out
    for stack in ("shared", "dev", "prod"):
        plan = json.loads((tmp_path / stack / "plan.json").read_text())
        assert plan["placement"]["account"] == "111122223333"
        assert plan["placement"]["region"] == "ap-northeast-2"


@pytest.mark.slow
def test_a_dev_stack_with_its_own_registry_and_oidc_provider_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # dev turned into a second account stack of the same account: its own GitHub provider and
    # the ECR repositories shared already creates.
    project = _copy(tmp_path, {"dev": _account_stack("kubeboard-dev", "111122223333")})

    code = main(["plan", "shared", "dev", "prod", "--cwd", str(project), "--quiet"])

    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert (
        "IAM OIDC provider (one per URL and account) 'https://token.actions.githubusercontent.com' "
        "would be created by stacks shared and dev" in err
    )
    assert "ECR repository 'kubeboard/api' would be created by stacks shared and dev" in err
    assert "ECR registry scanning configuration (one per account and region)" in err
    assert "prod" not in err  # prod reads the registry; it creates none of it


@pytest.mark.slow
def test_dev_named_like_prod_collides_on_the_cluster_and_every_named_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stack_file("dev")["config"]
    dev = {**config, "kubeboard:platform": {**config["kubeboard:platform"], "name": "kubeboard-prod"}}
    project = _copy(tmp_path, {"dev": dev})

    code = main(["plan", "dev", "prod", "--cwd", str(project), "--quiet"])

    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "EKS cluster 'kubeboard-prod' would be created by stacks dev and prod" in err
    assert "KMS alias 'alias/kubeboard-prod-eks-secrets'" in err


@pytest.mark.slow
def test_account_stacks_in_separate_accounts_are_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _copy(tmp_path, {"tools": _account_stack("kubeboard", "444455556666")})

    code = main(["plan", "shared", "tools", "--cwd", str(project), "--quiet"])

    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "no physical name or singleton is created by two of: shared, tools" in captured.out


@pytest.mark.slow
def test_the_same_account_stack_twice_in_one_account_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _copy(tmp_path, {"tools": _account_stack("kubeboard", "111122223333")})

    code = main(["plan", "shared", "tools", "--cwd", str(project), "--quiet"])

    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert (
        "IAM role 'kubeboard-gha-kubeboard-log-exporter' would be created by stacks shared and tools" in err
    )


def test_a_base_plan_compares_one_stack_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "plan.json"
    base.write_text(json.dumps({"resources": []}))

    code = main(["plan", "dev", "prod", "--cwd", str(PROJECT_DIR), "--against", str(base)])

    assert code == EXIT_CONFIG
    assert "--against compares one stack with its base plan; give one stack" in capsys.readouterr().err
