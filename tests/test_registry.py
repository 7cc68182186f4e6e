"""Registry (ECR) in both stacks' plans (K9, K10, H7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import plan_for, resources_of, stack_file

STACKS = ["dev", "prod"]
REPOSITORY = "aws:ecr/repository:Repository"


@pytest.mark.parametrize("stack", STACKS)
def test_repositories_scan_on_push_with_immutable_tags_and_kms(stack: str) -> None:
    plan = plan_for(stack)
    wanted = [r["name"] for r in stack_file(stack)["config"]["kubeboard:registry"]["repositories"]]
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


@pytest.mark.parametrize("stack", STACKS)
def test_lifecycle_expires_untagged_and_keeps_the_last_n_tagged(stack: str) -> None:
    plan = plan_for(stack)
    settings = {r["name"]: r for r in stack_file(stack)["config"]["kubeboard:registry"]["repositories"]}
    assert resources_of(plan, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
    for policy in resources_of(plan, "aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        rules = json.loads(policy["inputs"]["policy"])["rules"]
        untagged, tagged = sorted(rules, key=lambda rule: rule["rulePriority"])
        assert untagged["selection"]["tagStatus"] == "untagged"
        assert tagged["selection"]["tagStatus"] == "tagged"
        assert tagged["selection"]["countType"] == "imageCountMoreThan"
        assert (
            tagged["selection"]["countNumber"] == settings[policy["inputs"]["repository"]]["keepTaggedImages"]
        )


@pytest.mark.parametrize("stack", STACKS)
def test_repository_policy_refuses_other_accounts(stack: str) -> None:
    plan = plan_for(stack)
    policies = resources_of(plan, "aws:ecr/repositoryPolicy:RepositoryPolicy")
    assert len(policies) == len(resources_of(plan, REPOSITORY))
    for resource in policies:
        statements = json.loads(resource["inputs"]["policy"])["Statement"]
        [allow] = [s for s in statements if s["Effect"] == "Allow"]
        [deny] = [s for s in statements if s["Effect"] == "Deny"]
        account = allow["Principal"]["AWS"].split(":")[4]
        assert allow["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"
        assert deny["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": account}


@pytest.mark.parametrize(
    ("stack", "scan_type", "frequency"),
    [("dev", "BASIC", "SCAN_ON_PUSH"), ("prod", "ENHANCED", "CONTINUOUS_SCAN")],
)
def test_registry_scanning_follows_the_stack(stack: str, scan_type: str, frequency: str) -> None:
    [configuration] = resources_of(
        plan_for(stack), "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
    )
    assert configuration["inputs"]["scanType"] == scan_type
    [rule] = configuration["inputs"]["rules"]
    assert rule["scanFrequency"] == frequency
    assert rule["repositoryFilters"] == [{"filter": "*", "filterType": "WILDCARD"}]


def test_prod_repositories_are_protected_and_never_force_deleted(prod_plan: dict[str, Any]) -> None:
    assert resources_of(prod_plan, REPOSITORY)
    for repository in resources_of(prod_plan, REPOSITORY):
        assert repository["protect"] is True
        assert repository["inputs"]["forceDelete"] is False
