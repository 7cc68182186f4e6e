"""Account under Pulumi's mock runtime, and the account stack's settings and plan."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from kubeboard_infra import ArgsError
from kubeboard_infra.account import Account, AccountArgs
from kubeboard_infra.github_oidc import GITHUB_OIDC_URL
from kubeboard_infra.plan.mocks import ACCOUNT_ID, PlanMocks
from kubeboard_infra.plan.stack_files import read_stack_config
from kubeboard_infra.settings import (
    AccountSettings,
    Settings,
    SettingsError,
    load_account_settings,
    load_settings,
)

from .conftest import ACCOUNT_STACK, PROJECT_DIR, STACKS, plan_for, resources_of, stack_file
from .helpers.direct_call import RecordingMocks, install_mocks, run

REGION = "ap-northeast-2"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
ROLE = "aws:iam/role:Role"


WORKFLOW_REF = "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/heads/main"


@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks(ACCOUNT_STACK, components=True)


def _deploy(args: AccountArgs) -> dict[str, Any]:
    """Run a program holding one Account to completion; return its resolved outputs."""
    resolved: dict[str, Any] = {}

    def program() -> None:
        account = Account("kubeboard", args)
        names = sorted(account.outputs)
        pulumi.Output.all(*[account.outputs[name] for name in names]).apply(
            lambda values: resolved.update(zip(names, values, strict=True))
        )

    run(program)
    return resolved


def _args(**overrides: Any) -> AccountArgs:
    args: dict[str, Any] = {
        "name": "acme",
        "region": REGION,
        "registry": {
            "repositories": [
                {"name": "shop/api", "keep_tagged_images": 20, "untagged_expire_days": 7},
                {"name": "shop/web", "keep_tagged_images": 20, "untagged_expire_days": 7},
            ],
        },
        **overrides,
    }
    return args  # type: ignore[return-value]


def test_registry_alone_scans_on_push_and_leaves_github_out(mocks: RecordingMocks) -> None:
    outputs = _deploy(_args())

    assert sorted(outputs["repositoryUrls"]) == ["shop/api", "shop/web"]
    assert outputs["repositoryUrls"]["shop/api"] == f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/shop/api"
    assert outputs["accountId"] == ACCOUNT_ID
    [configuration] = mocks.of_type(SCANNING)
    assert configuration.inputs["scanType"] == "BASIC"
    assert configuration.inputs["rules"][0]["scanFrequency"] == "SCAN_ON_PUSH"
    assert mocks.of_type(OIDC) == []
    assert "githubOidcProviderArn" not in outputs
    assert "imageScanAlertTopicArn" not in outputs


def test_delivery_registers_githubs_provider_once_and_one_role_per_repository(mocks: RecordingMocks) -> None:
    outputs = _deploy(
        _args(
            registry={
                "repositories": [
                    {"name": "shop/api", "keep_tagged_images": 20, "untagged_expire_days": 7},
                    {"name": "billing/worker", "keep_tagged_images": 20, "untagged_expire_days": 7},
                ],
                "scan_type": "ENHANCED",
            },
            delivery={
                "workflow_ref": WORKFLOW_REF,
                "teams": [
                    {
                        "repositories": ["acme/shop"],
                        "ecr_repositories": ["shop/api"],
                        "environments": ["dev", "prod"],
                    },
                    {
                        "repositories": ["acme/billing"],
                        "ecr_repositories": ["billing/worker"],
                        "branches": ["main"],
                    },
                ],
            },
        )
    )

    [provider] = mocks.of_type(OIDC)
    assert provider.inputs["url"] == GITHUB_OIDC_URL
    assert (
        outputs["githubOidcProviderArn"]
        == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
    )
    roles = {
        role.inputs["name"]: role for role in mocks.of_type(ROLE) if "GitHubRepository" in role.inputs["tags"]
    }
    # One per account: no environment in the names.
    assert sorted(roles) == ["acme-gha-acme-billing", "acme-gha-acme-shop"]
    assert sorted(outputs["deliveryRoleArns"]) == ["acme/billing", "acme/shop"]
    pushes = {
        policy.name: json.loads(policy.inputs["policy"])
        for policy in mocks.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.name.endswith("-push")
    }
    [shop] = [p for name, p in pushes.items() if "acme-shop" in name]
    [scoped] = [s for s in shop["Statement"] if s["Sid"] == "PushToTeamRepositories"]
    assert scoped["Resource"] == [f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/shop/api"]
    # Enhanced scanning: ECR reads findings from Inspector with the caller's rights.
    assert any(s["Sid"] == "ReadEnhancedScanFindings" for s in shop["Statement"])
    [configuration] = mocks.of_type(SCANNING)
    assert configuration.inputs["scanType"] == "ENHANCED"


def test_an_existing_github_provider_is_reused_not_created(mocks: RecordingMocks) -> None:
    existing = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
    outputs = _deploy(
        _args(
            delivery={
                "workflow_ref": WORKFLOW_REF,
                "teams": [
                    {"repositories": ["acme/shop"], "ecr_repositories": ["shop/api"], "environments": ["dev"]}
                ],
                "existing_oidc_provider_arn": existing,
            }
        )
    )

    assert mocks.of_type(OIDC) == []
    assert outputs["githubOidcProviderArn"] == existing


def test_provider_is_pinned_to_the_account_and_tags_the_shared_environment(mocks: RecordingMocks) -> None:
    _deploy(_args(allowed_account_id="444455556666", tags={"CostCenter": "shared"}))

    [provider] = mocks.of_type("pulumi:providers:aws")
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["444455556666"]
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags["Environment"] == "shared"
    assert tags["CostCenter"] == "shared"


def test_scanning_watches_exactly_the_accounts_repositories(mocks: RecordingMocks) -> None:
    outputs = _deploy(_args(scanning={"alarm_emails": ["security@example.com"]}))

    [function] = mocks.of_type("aws:lambda/function:Function")
    assert function.inputs["name"] == "acme-scan-findings"
    managed = function.inputs["environment"]["variables"]["MANAGED_REPOSITORIES"]
    assert managed == "shop/api,shop/web"
    assert outputs["imageScanAlertTopicArn"].endswith(":acme-image-scan-alerts")


def test_a_team_pushing_to_an_undeclared_repository_fails_before_any_resource(mocks: RecordingMocks) -> None:
    args = _args(
        delivery={
            "workflow_ref": WORKFLOW_REF,
            "teams": [
                {"repositories": ["acme/shop"], "ecr_repositories": ["shop/db"], "environments": ["dev"]}
            ],
        }
    )

    with pytest.raises(ArgsError) as raised:
        Account("kubeboard", args)
    assert str(raised.value) == (
        "Account args: delivery.teams[0].ecr_repositories[0]: 'shop/db' is not declared under "
        "registry.repositories (declared: shop/api, shop/web)"
    )
    assert mocks.created == []


# --- settings ---------------------------------------------------------------------------------------


def _shared_config(**account: Any) -> dict[str, Any]:
    config = stack_file(ACCOUNT_STACK)["config"]
    section = {**config["kubeboard:account"], **account}
    return {"aws:region": config["aws:region"], "kubeboard:account": json.dumps(section)}


def test_account_stack_file_loads_into_the_components_args() -> None:
    settings = load_account_settings(_shared_config(), source="Pulumi.shared.yaml")

    assert isinstance(settings, AccountSettings)
    args = settings.to_args()
    assert args["name"] == "kubeboard"
    assert args["allowed_account_id"] == "111122223333"
    assert [r["name"] for r in args["registry"]["repositories"]] == [
        "kubeboard/api",
        "kubeboard/web",
        "kubeboard/log-exporter",
    ]
    assert args["delivery"] is not None and args["scanning"] is not None


def test_account_errors_name_the_file_and_the_key() -> None:
    with pytest.raises(SettingsError) as error:
        load_account_settings(_shared_config(registry={"repositories": []}), source="Pulumi.shared.yaml")

    assert "Pulumi.shared.yaml: kubeboard:account.registry.repositories" in str(error.value)


@pytest.mark.parametrize("stack", STACKS)
def test_environment_stacks_name_their_account_stack(stack: str) -> None:
    # As the engine hands it over: JSON text, secure values as placeholders.
    config = read_stack_config(PROJECT_DIR, stack).values
    settings = load_settings(config, source=f"Pulumi.{stack}.yaml")

    assert isinstance(settings, Settings)
    assert settings.platform.account_stack == ACCOUNT_STACK


# --- the plans ---------------------------------------------------------------------------------------


def test_account_plan_owns_the_singletons_and_exports_what_environments_read(
    shared_plan: dict[str, Any],
) -> None:
    [component] = [r for r in shared_plan["resources"] if r["type"] == "kubeboard:index:Account"]
    assert component["parent"].endswith("::pulumi:pulumi:Stack::kubeboard-shared")
    assert len(resources_of(shared_plan, OIDC)) == 1
    assert len(resources_of(shared_plan, SCANNING)) == 1
    assert {"repositoryUrls", "repositoryArns", "githubOidcProviderArn", "deliveryRoleArns"} <= set(
        shared_plan["outputs"]
    )
    # Shared by every environment: protected.
    assert all(r["protect"] for r in resources_of(shared_plan, "aws:ecr/repository:Repository"))


@pytest.mark.parametrize("stack", STACKS)
def test_environment_plan_reads_the_registry_through_a_stack_reference(stack: str) -> None:
    plan, shared = plan_for(stack), plan_for(ACCOUNT_STACK)
    [reference] = resources_of(plan, "pulumi:pulumi:StackReference")
    assert reference["inputs"]["name"] == ACCOUNT_STACK
    assert plan["placement"]["references"] == [ACCOUNT_STACK]
    exporter_image = f"{shared['outputs']['repositoryUrls']['kubeboard/log-exporter']}:"
    [cron_job] = resources_of(plan, "kubernetes:batch/v1:CronJob")
    assert exporter_image in json.dumps(cron_job["inputs"])


def test_a_reference_to_a_stack_not_planned_first_is_refused() -> None:
    mocks = PlanMocks(region=REGION, stack="dev", stack_outputs={})
    args = MockResourceArgs(
        "pulumi:pulumi:StackReference", "account", {"name": "acme/kubeboard/shared"}, "", ""
    )

    with pytest.raises(LookupError, match="'shared' was not planned before 'dev'"):
        mocks.new_resource(args)


@pytest.mark.parametrize("stack", STACKS)
def test_the_account_creates_the_roles_each_environment_grants_cluster_access(stack: str) -> None:
    """The deploy, cluster-creator and preview roles exist before the environment stacks, and the
    ARNs an environment's access entries name are exactly the ones the account stack made."""
    outputs = plan_for(ACCOUNT_STACK)["outputs"]
    access = stack_file(stack)["config"]["kubeboard:cluster"]["access"]
    assert access["deployRoleArns"] == [outputs["deployRoleArns"][stack]]
    assert access["clusterCreatorRoleArn"] == outputs["clusterCreatorRoleArns"][stack]
    assert access["previewRoleArn"] == outputs["previewRoleArn"]
    roles = {r["inputs"].get("name") for r in resources_of(plan_for(ACCOUNT_STACK), "aws:iam/role:Role")}
    assert {f"kubeboard-{stack}-deploy", f"kubeboard-{stack}-cluster-creator", "kubeboard-preview"} <= roles
