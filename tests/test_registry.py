"""Registry (ECR) in the account stack's plan, and in no environment stack (K9, K10, H7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import STACKS, account_section, plan_for, resources_of

REPOSITORY = "aws:ecr/repository:Repository"


def test_repositories_scan_on_push_with_immutable_tags_and_kms(shared_plan: dict[str, Any]) -> None:
    plan = shared_plan
    wanted = [r["name"] for r in account_section()["registry"]["repositories"]]
    repositories = {r["inputs"]["name"]: r for r in resources_of(plan, REPOSITORY)}

    assert sorted(repositories) == sorted(wanted)
    for repository in repositories.values():
        inputs = repository["inputs"]
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert inputs["imageTagMutability"] == "IMMUTABLE"
        [encryption] = inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS"
        assert encryption["kmsKey"].startswith("arn:aws:kms:")
    assert set(plan["outputs"]["repositoryUrls"]) == set(wanted)


def test_lifecycle_expires_untagged_and_keeps_the_last_n_tagged(shared_plan: dict[str, Any]) -> None:
    plan = shared_plan
    settings = {r["name"]: r for r in account_section()["registry"]["repositories"]}
    assert len(resources_of(plan, "aws:ecr/lifecyclePolicy:LifecyclePolicy")) == len(settings)
    for policy in resources_of(plan, "aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        rules = json.loads(policy["inputs"]["policy"])["rules"]
        untagged, tagged = sorted(rules, key=lambda rule: rule["rulePriority"])
        assert untagged["selection"]["tagStatus"] == "untagged"
        assert tagged["selection"]["tagStatus"] == "tagged"
        assert tagged["selection"]["countType"] == "imageCountMoreThan"
        assert (
            tagged["selection"]["countNumber"] == settings[policy["inputs"]["repository"]]["keepTaggedImages"]
        )


def test_repository_policy_refuses_other_accounts(shared_plan: dict[str, Any]) -> None:
    plan = shared_plan
    policies = resources_of(plan, "aws:ecr/repositoryPolicy:RepositoryPolicy")
    assert len(policies) == len(resources_of(plan, REPOSITORY))
    for resource in policies:
        statements = json.loads(resource["inputs"]["policy"])["Statement"]
        [allow] = [s for s in statements if s["Effect"] == "Allow"]
        [deny] = [s for s in statements if s["Effect"] == "Deny"]
        account = allow["Principal"]["AWS"].split(":")[4]
        assert allow["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"
        assert deny["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": account}


def test_registry_scanning_follows_the_account_stack(shared_plan: dict[str, Any]) -> None:
    [configuration] = resources_of(
        shared_plan, "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
    )
    assert account_section()["registry"]["scanType"] == "ENHANCED"
    assert configuration["inputs"]["scanType"] == "ENHANCED"
    [rule] = configuration["inputs"]["rules"]
    assert rule["scanFrequency"] == "CONTINUOUS_SCAN"
    assert rule["repositoryFilters"] == [{"filter": "*", "filterType": "WILDCARD"}]


@pytest.mark.parametrize("stack", STACKS)
def test_environment_stacks_create_no_registry(stack: str) -> None:
    types = {resource["type"] for resource in plan_for(stack)["resources"]}
    assert not {t for t in types if t.startswith("aws:ecr/")}


def test_shared_repositories_are_protected_and_never_force_deleted(shared_plan: dict[str, Any]) -> None:
    assert resources_of(shared_plan, REPOSITORY)
    for repository in resources_of(shared_plan, REPOSITORY):
        assert repository["protect"] is True
        assert repository["inputs"]["forceDelete"] is False
