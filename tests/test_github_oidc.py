"""GitHubDelivery under Pulumi's mock runtime: keyless, per-repository delivery roles."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from kubeboard_infra.github_oidc import (
    GITHUB_OIDC_HOST,
    GitHubDelivery,
    GitHubDeliveryArgs,
    permissions_policy,
    promotion_policy,
    role_name,
    trust_policy,
)
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .helpers.direct_call import RecordingMocks, install, run

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string, enhance_finding

REGION = "ap-northeast-2"
SHOP_API = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/shop/api"
SHOP_WEB = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/shop/web"
BILLING = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/billing/worker"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
WORKFLOW = "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/heads/main"
PINNED = f":job_workflow_ref:{WORKFLOW}"


class ProviderMocks(RecordingMocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            state["arn"] = PROVIDER_ARN
        return resource_id, state


@pytest.fixture
def mocks() -> ProviderMocks:
    return install(ProviderMocks(components=True))


def _deploy(args: GitHubDeliveryArgs) -> tuple[str, dict[str, str]]:
    """Run a program holding one GitHubDelivery to completion; return its resolved outputs."""
    resolved: dict[str, Any] = {}

    def program() -> None:
        delivery = GitHubDelivery("delivery", args)
        pulumi.Output.all(delivery.oidc_provider_arn, delivery.role_arns).apply(
            lambda values: resolved.update(provider=values[0], roles=values[1])
        )

    # Waits for every registration and apply, so the mock has seen every resource when we look.
    run(program)
    return resolved["provider"], resolved["roles"]


def _args(**overrides: Any) -> GitHubDeliveryArgs:
    args: dict[str, Any] = {
        "name": "kubeboard-dev",
        "repositories": [
            {
                "repository": "acme/shop-api",
                "ecr_repository_arns": [SHOP_API, SHOP_WEB],
                "branches": ["main"],
                "environments": ["dev", "prod"],
            },
            {
                "repository": "acme/billing-worker",
                "ecr_repository_arns": [BILLING],
                "environments": ["dev"],
            },
        ],
        "workflow_ref": WORKFLOW,
        "tags": {"Team": "platform"},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def _role_documents(mocks: ProviderMocks) -> dict[str, tuple[dict, dict]]:
    """(trust policy, permissions policy) by the role's GitHubRepository tag."""
    roles = {r.name: r for r in mocks.of_type("aws:iam/role:Role")}
    policies = {r.name.removesuffix("-push"): r for r in mocks.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert roles.keys() == policies.keys()
    return {
        role.inputs["tags"]["GitHubRepository"]: (
            json.loads(role.inputs["assumeRolePolicy"]),
            json.loads(policies[name].inputs["policy"]),
        )
        for name, role in roles.items()
    }


def test_one_role_per_repository_trusting_exactly_that_repository(mocks: ProviderMocks) -> None:
    provider_arn, role_arns = _deploy(_args())
    [provider] = mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider_arn == PROVIDER_ARN

    documents = _role_documents(mocks)
    assert set(documents) == {"acme/shop-api", "acme/billing-worker"}
    assert set(role_arns) == {"acme/shop-api", "acme/billing-worker"}
    assert role_arns["acme/shop-api"] == f"arn:aws:iam::{ACCOUNT_ID}:role/kubeboard-dev-gha-acme-shop-api"

    trust, _ = documents["acme/shop-api"]
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                f"repo:acme/shop-api:ref:refs/heads/main{PINNED}",
                f"repo:acme/shop-api:environment:dev{PINNED}",
                f"repo:acme/shop-api:environment:prod{PINNED}",
            ],
        }
    }
    billing_trust, _ = documents["acme/billing-worker"]
    assert (
        billing_trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        == f"repo:acme/billing-worker:environment:dev{PINNED}"
    )


def test_permissions_name_only_the_teams_repositories(mocks: ProviderMocks) -> None:
    _deploy(_args())
    documents = _role_documents(mocks)
    _, shop = documents["acme/shop-api"]
    _, billing = documents["acme/billing-worker"]
    wildcard = [s for s in shop["Statement"] if s["Resource"] == "*"]
    assert wildcard == [
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    ]
    [push] = [s for s in shop["Statement"] if s["Resource"] != "*"]
    assert push["Resource"] == [SHOP_API, SHOP_WEB]
    assert "ecr:PutImage" in push["Action"] and "ecr:DescribeImageScanFindings" in push["Action"]
    assert not any(a.startswith("ecr:Delete") or a == "ecr:*" for a in push["Action"])
    assert [s["Resource"] for s in billing["Statement"] if s["Resource"] != "*"] == [[BILLING]]


def test_existing_provider_is_reused_not_created(mocks: ProviderMocks) -> None:
    existing = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
    provider_arn, _ = _deploy(_args(existing_oidc_provider_arn=existing))
    assert mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert provider_arn == existing
    assert _role_documents(mocks)
    for trust, _policy in _role_documents(mocks).values():
        assert {s["Principal"]["Federated"] for s in trust["Statement"]} == {existing}


def test_roles_are_short_lived_and_tagged(mocks: ProviderMocks) -> None:
    _deploy(_args(max_session_hours=2))
    assert mocks.of_type("aws:iam/role:Role")
    for role in mocks.of_type("aws:iam/role:Role"):
        assert role.inputs["maxSessionDuration"] == 7200
        assert role.inputs["tags"]["Team"] == "platform"
    role_ids = {r.name for r in mocks.of_type("aws:iam/role:Role")}
    policies = mocks.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == 2
    for policy in policies:
        assert policy.inputs["role"].startswith(policy.name.removesuffix("-push"))
        assert policy.name.removesuffix("-push") in role_ids


def test_branch_patterns_use_string_like_and_exact_refs_string_equals() -> None:
    trust = trust_policy(PROVIDER_ARN, "acme/shop-api", ["main", "release/*"], ["prod"])

    exact, patterns = trust["Statement"]
    assert exact["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] == [
        "repo:acme/shop-api:ref:refs/heads/main",
        "repo:acme/shop-api:environment:prod",
    ]
    assert patterns["Condition"] == {
        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{GITHUB_OIDC_HOST}:sub": "repo:acme/shop-api:ref:refs/heads/release/*"},
    }


def test_enhanced_scanning_adds_read_only_inspector_access() -> None:
    basic = permissions_policy([SHOP_API], enhanced_scanning=False)
    enhanced = permissions_policy([SHOP_API], enhanced_scanning=True)

    assert not any("inspector2" in json.dumps(s) for s in basic["Statement"])
    [inspector] = [s for s in enhanced["Statement"] if s["Sid"] == "ReadEnhancedScanFindings"]
    assert inspector["Action"] == ["inspector2:ListFindings", "inspector2:ListCoverage"]


@pytest.mark.parametrize(
    ("repository", "branches", "environments", "message"),
    [
        ("*", ["main"], [], "has a wildcard"),
        ("acme/*", ["main"], [], "has a wildcard"),
        ("acme/shop-*", ["main"], [], "has a wildcard"),
        ("shop-api", ["main"], [], "use owner/name"),
        ("https://github.com/acme/shop-api", ["main"], [], "use owner/name"),
        ("acme/shop-api", ["*"], [], "would trust every branch"),
        ("acme/shop-api", ["refs/heads/*"], [], "would trust every branch"),
        ("acme/shop-api", ["refs/heads/main"], [], "without refs/heads/"),
        ("acme/shop-api", [], ["prod env"], "not a GitHub environment name"),
        ("acme/shop-api", [], [], "at least one branch or environment"),
    ],
)
def test_trust_that_would_be_too_wide_is_refused(
    repository: str, branches: list[str], environments: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        trust_policy(PROVIDER_ARN, repository, branches, environments)


@pytest.mark.usefixtures("mocks")
def test_component_refuses_bad_repositories_at_program_start() -> None:
    duplicate = _args(
        repositories=[
            {"repository": "acme/shop-api", "ecr_repository_arns": [SHOP_API], "environments": ["dev"]},
            {"repository": "ACME/Shop-API", "ecr_repository_arns": [SHOP_WEB], "environments": ["dev"]},
        ]
    )
    with pytest.raises(ValueError, match="listed twice"):
        GitHubDelivery("delivery", duplicate)
    no_registry = _args(
        repositories=[{"repository": "acme/shop-api", "ecr_repository_arns": [], "environments": ["dev"]}]
    )
    with pytest.raises(ValueError, match="at least one ECR repository"):
        GitHubDelivery("delivery", no_registry)
    for unpinned in (None, WORKFLOW.replace("refs/heads/main", "refs/heads/dev")):
        with pytest.raises(
            ValueError, match=r"GitHubDelivery args: workflow_ref: .* is not a workflow on main"
        ):
            GitHubDelivery("delivery", _args(workflow_ref=unpinned))


def test_role_names_fit_iam_and_stay_distinct() -> None:
    long_a = "acme-corporation-platform/" + "a" * 90
    long_b = "acme-corporation-platform/" + "a" * 89 + "b"

    assert role_name("kubeboard-prod", "acme/shop-api") == "kubeboard-prod-gha-acme-shop-api"
    assert len(role_name("kubeboard-prod", long_a)) == 64
    assert role_name("kubeboard-prod", long_a) != role_name("kubeboard-prod", long_b)
    assert role_name("kubeboard-prod", long_a) == role_name("kubeboard-prod", long_a)


# parliament is written for identity policies. On a trust policy it reports two things that are
# how every web-identity trust policy must look, and nothing else may appear:
EXPECTED_ON_TRUST_POLICIES = {
    # It knows SAML providers and a few public IdPs, not account OIDC providers such as GitHub's.
    ("UNKNOWN_FEDERATION_SOURCE", PROVIDER_ARN),
    # A trust policy is attached to its role; IAM forbids a Resource element in it.
    ("MALFORMED", "Statement contains neither Resource nor NotResource"),
}


def _parliament(document: dict) -> set[tuple[str, str, str]]:
    analysed = analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    for finding in analysed.findings:
        enhance_finding(finding)
    return {(f.issue, str(f.detail), f.severity) for f in analysed.findings}


@pytest.mark.parametrize("enhanced", [False, True])
def test_permission_policies_pass_parliament(enhanced: bool) -> None:
    assert _parliament(permissions_policy([SHOP_API, SHOP_WEB], enhanced_scanning=enhanced)) == set()
    assert _parliament(promotion_policy([SHOP_API, SHOP_WEB], enhanced_scanning=enhanced)) == set()


def test_the_promotion_policy_reads_images_and_scans_and_writes_nothing() -> None:
    policy = promotion_policy([SHOP_API, SHOP_WEB], enhanced_scanning=True)
    actions = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert actions == {
        "ecr:DescribeRepositories",
        "ecr:DescribeImages",
        "ecr:DescribeImageScanFindings",
        "inspector2:ListFindings",
        "inspector2:ListCoverage",
    }
    [ecr] = [s for s in policy["Statement"] if s["Sid"] == "ReadImagesAndScans"]
    assert ecr["Resource"] == sorted([SHOP_API, SHOP_WEB])
    with pytest.raises(ValueError, match="at least one ECR repository"):
        promotion_policy([], enhanced_scanning=False)


def test_trust_policies_pass_parliament_but_for_the_explained_findings() -> None:
    trust = trust_policy(PROVIDER_ARN, "acme/shop-api", ["main", "release/*"], ["dev", "prod"])

    assert {(issue, detail) for issue, detail, _ in _parliament(trust)} <= EXPECTED_ON_TRUST_POLICIES


def test_parliament_would_catch_a_widened_policy() -> None:
    # The check above can fail: a policy that lets a role push anywhere is flagged.
    widened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ecr:PutImage", "s3:GetObject"], "Resource": SHOP_API}],
    }
    assert analyze_policy_string(json.dumps(widened)).findings


# --- The trust is pinned to the reusable workflow: an application's own job gets no role ------------


def _matches(trust: dict, sub: str) -> bool:
    """Whether IAM would let a token with this `sub` (and aud sts.amazonaws.com) assume the role."""
    import fnmatch

    for statement in trust["Statement"]:
        condition = statement["Condition"]
        if condition["StringEquals"][f"{GITHUB_OIDC_HOST}:aud"] != "sts.amazonaws.com":
            continue
        exact = condition["StringEquals"].get(f"{GITHUB_OIDC_HOST}:sub", [])
        like = condition.get("StringLike", {}).get(f"{GITHUB_OIDC_HOST}:sub", [])
        exact, like = ([v] if isinstance(v, str) else v for v in (exact, like))
        if sub in exact or any(fnmatch.fnmatchcase(sub, pattern) for pattern in like):
            return True
    return False


@pytest.mark.parametrize(
    ("sub", "allowed"),
    [
        # The reusable workflow on main, called from the application's prod environment.
        (f"repo:acme/shop-api:environment:prod{PINNED}", True),
        (f"repo:acme/shop-api:ref:refs/heads/release/7{PINNED}", True),
        # The application's own job in prod: default subject, or its own workflow in the claim.
        ("repo:acme/shop-api:environment:prod", False),
        (
            "repo:acme/shop-api:environment:prod:job_workflow_ref:acme/shop-api/.github/workflows/x.yml@refs/heads/main",
            False,
        ),
        # The reusable workflow from another ref of the platform repository.
        (f"repo:acme/shop-api:environment:prod{PINNED.replace('refs/heads/main', 'refs/heads/evil')}", False),
        # Another repository calling the same workflow.
        (f"repo:acme/other:environment:prod{PINNED}", False),
    ],
)
def test_only_the_reusable_workflow_on_main_assumes_a_delivery_role(sub: str, allowed: bool) -> None:
    trust = trust_policy(PROVIDER_ARN, "acme/shop-api", ["release/*"], ["prod"], WORKFLOW)
    assert _matches(trust, sub) is allowed


@pytest.mark.parametrize(
    "workflow_ref",
    [
        "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/tags/v1",
        "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@main",
        "acme/kubeboard-infra/.github/workflows/*.yml@refs/heads/main",
        "acme/*/.github/workflows/build-push-deploy.yml@refs/heads/main",
        "acme/kubeboard-infra/scripts/build.yml@refs/heads/main",
        "",
    ],
)
def test_a_workflow_ref_other_than_one_file_on_main_is_refused(workflow_ref: str) -> None:
    with pytest.raises(ValueError, match=r"not a workflow on main|wildcard"):
        trust_policy(PROVIDER_ARN, "acme/shop-api", [], ["prod"], workflow_ref)
