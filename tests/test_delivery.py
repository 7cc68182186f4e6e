"""Delivery for application teams: the settings and what the account stack's plan holds."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from kubeboard_infra.account import delivery_problems
from kubeboard_infra.settings.delivery import DeliverySettings

from .conftest import STACKS, account_section, plan_for, resources_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string, enhance_finding

GITHUB = "token.actions.githubusercontent.com"
WORKFLOW_REF = "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/heads/main"


def _delivery_section() -> dict[str, Any]:
    section: dict[str, Any] = account_section()["delivery"]
    return section


def _team(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "repositories": ["acme/shop-api"],
        "ecrRepositories": ["shop/api"],
        "environments": ["dev"],
        **overrides,
    }


def test_delivery_is_off_unless_a_stack_turns_it_on() -> None:
    assert DeliverySettings().enabled is False
    assert DeliverySettings().teams == []


def test_valid_teams_are_accepted() -> None:
    settings = DeliverySettings.model_validate(
        {
            "enabled": True,
            "workflowRef": WORKFLOW_REF,
            "teams": [
                _team(branches=["main", "release/*"], environments=["dev", "prod"]),
                _team(name="billing", repositories=["acme/billing"], ecrRepositories=["billing/worker"]),
            ],
        }
    )
    assert [team.name for team in settings.teams] == ["shop", "billing"]
    assert settings.teams[0].branches == ["main", "release/*"]


@pytest.mark.parametrize(
    ("team", "message"),
    [
        (_team(repositories=["*"]), "'*' has a wildcard; name exactly one repository as owner/name"),
        (_team(repositories=["shop-api"]), "'shop-api' is not a GitHub repository; use owner/name"),
        (_team(branches=["**"], environments=[]), "'**' would trust every branch"),
        (_team(environments=["prod", "prod"]), "environments[1]: 'prod' is listed twice"),
        (_team(ecrRepositories=[]), "delivery.teams[0].ecr_repositories: list at least one"),
    ],
)
def test_malformed_team_is_refused_with_a_clear_message(team: dict[str, Any], message: str) -> None:
    settings = DeliverySettings.model_validate(
        {"enabled": True, "workflowRef": WORKFLOW_REF, "teams": [team]}
    )
    [problem] = delivery_problems(settings.to_args(), ["shop/api"])
    assert message in problem


def test_registry_check_names_the_undeclared_repository() -> None:
    settings = DeliverySettings.model_validate(
        {"enabled": True, "workflowRef": WORKFLOW_REF, "teams": [_team()]}
    )
    assert delivery_problems(settings.to_args(), ["shop/api"]) == []
    assert delivery_problems(settings.to_args(), ["billing/worker"]) == [
        "delivery.teams[0].ecr_repositories[0]: 'shop/api' is not declared under registry.repositories "
        "(declared: billing/worker)"
    ]


def test_account_stack_gives_no_branch_trust() -> None:
    # The images every environment runs are delivered only from GitHub environments, whose
    # protection rules gate the roll-out; a push to a branch alone cannot deliver.
    assert all(not team.get("branches") for team in _delivery_section()["teams"])
    assert all(team["environments"] == ["dev", "prod"] for team in _delivery_section()["teams"])


@pytest.mark.parametrize("stack", STACKS)
def test_environment_stacks_create_no_oidc_provider_or_delivery_role(stack: str) -> None:
    plan = plan_for(stack)
    assert not resources_of(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert not [r for r in plan["resources"] if "kubeboard:index:GitHubDelivery" in r["urn"]]


def _delivery_roles(plan: dict[str, Any]) -> dict[str, tuple[dict, dict]]:
    roles = {
        r["urn"]: r
        for r in resources_of(plan, "aws:iam/role:Role")
        if "kubeboard:index:GitHubDelivery" in r["urn"]
    }
    policies = {
        r["parent"]: r for r in resources_of(plan, "aws:iam/rolePolicy:RolePolicy") if r["parent"] in roles
    }
    assert policies.keys() == roles.keys(), "every delivery role has exactly its own inline policy"
    return {
        role["inputs"]["tags"]["GitHubRepository"]: (
            json.loads(role["inputs"]["assumeRolePolicy"]),
            json.loads(policies[urn]["inputs"]["policy"]),
        )
        for urn, role in roles.items()
    }


@pytest.mark.slow
def test_plan_holds_one_scoped_role_per_configured_repository(shared_plan: dict[str, Any]) -> None:
    plan = shared_plan
    section = _delivery_section()
    registry_arns = {
        r["inputs"]["name"]: f"arn:aws:ecr:ap-northeast-2:111122223333:repository/{r['inputs']['name']}"
        for r in resources_of(plan, "aws:ecr/repository:Repository")
    }

    [provider] = resources_of(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["inputs"]["url"] == f"https://{GITHUB}"
    assert provider["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]

    roles = _delivery_roles(plan)
    expected = {repo: team for team in section["teams"] for repo in team["repositories"]}
    assert roles.keys() == expected.keys()
    assert plan["outputs"]["deliveryRoleArns"].keys() == expected.keys()

    for repository, (trust, permissions) in roles.items():
        team = expected[repository]
        subjects: list[str] = []
        assert trust["Statement"]
        for statement in trust["Statement"]:
            condition = statement["Condition"]
            assert condition["StringEquals"][f"{GITHUB}:aud"] == "sts.amazonaws.com"
            sub = (condition.get("StringEquals", {}) | condition.get("StringLike", {}))[f"{GITHUB}:sub"]
            subjects += [sub] if isinstance(sub, str) else sub
        # Each subject carries the reusable workflow on main (the customized subject template).
        pinned = f":job_workflow_ref:{section['workflowRef']}"
        assert sorted(subjects) == sorted(
            [f"repo:{repository}:ref:refs/heads/{b}{pinned}" for b in team.get("branches", [])]
            + [f"repo:{repository}:environment:{e}{pinned}" for e in team["environments"]]
        )
        # Trust names exactly this repository; the only wildcards are the listed branch patterns.
        assert all(s.startswith(f"repo:{repository}:") for s in subjects)

        scoped = [s for s in permissions["Statement"] if s["Resource"] != "*"]
        assert [s["Resource"] for s in scoped] == [
            sorted(registry_arns[name] for name in team["ecrRepositories"])
        ]
        unscoped = {a for s in permissions["Statement"] if s["Resource"] == "*" for a in _list(s["Action"])}
        assert unscoped <= {"ecr:GetAuthorizationToken", "inspector2:ListFindings", "inspector2:ListCoverage"}

        assert _parliament(permissions) == set(), repository
        # Web-identity trust policies carry no Resource and a federated principal parliament does
        # not know (explained in tests/test_github_oidc.py); anything else would be a real finding.
        assert _parliament(trust) <= {
            ("UNKNOWN_FEDERATION_SOURCE", plan["outputs"]["githubOidcProviderArn"]),
            ("MALFORMED", "Statement contains neither Resource nor NotResource"),
        }, repository


def _parliament(document: dict[str, Any]) -> set[tuple[str, str]]:
    analysed = analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    for finding in analysed.findings:
        enhance_finding(finding)
    return {(finding.issue, str(finding.detail)) for finding in analysed.findings}


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
