"""DeployRoles under Pulumi's mock runtime: who may deploy, create the cluster and preview, from where."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pulumi
import pytest

from kubeboard_infra.deploy_roles import (
    ADMINISTRATOR_ACCESS,
    READ_ONLY_ACCESS,
    DeployRoles,
    DeployRolesArgs,
    creator_policy,
)
from kubeboard_infra.github_oidc import GITHUB_OIDC_HOST
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .conftest import stack_file
from .helpers.direct_call import RecordingMocks, install, run

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"


class RoleMocks(RecordingMocks):
    def roles(self) -> dict[str, dict[str, Any]]:
        return {r.inputs["name"]: r.inputs for r in self.created if r.typ == ROLE}

    def managed_policies(self, role_name: str) -> list[str]:
        return [
            r.inputs["policyArn"]
            for r in self.created
            if r.typ == ATTACHMENT and r.inputs["role"] == role_name
        ]

    def inline_policies(self, resource_prefix: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.inputs["policy"])
            for r in self.created
            if r.typ == INLINE and r.name.startswith(resource_prefix)
        ]


@pytest.fixture
def mocks() -> RoleMocks:
    return install(RoleMocks("shared", components=True))


def _args(**overrides: Any) -> DeployRolesArgs:
    args: dict[str, Any] = {
        "name": "kubeboard",
        "repository": "kubeboard/kubeboard-infra",
        "oidc_provider_arn": PROVIDER_ARN,
        "environments": [
            {"stack": "dev", "cluster_name": "kubeboard-dev"},
            {"stack": "prod", "cluster_name": "kubeboard-prod"},
        ],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def _deploy(args: DeployRolesArgs) -> dict[str, Any]:
    resolved: dict[str, Any] = {}

    def program() -> None:
        roles = DeployRoles("deploy-roles", args)
        pulumi.Output.all(
            roles.deploy_role_arns, roles.cluster_creator_role_arns, roles.preview_role_arn
        ).apply(lambda values: resolved.update(deploy=values[0], creator=values[1], preview=values[2]))

    run(program)
    return resolved


def _subjects(trust: dict[str, Any]) -> list[str]:
    return [s["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] for s in trust["Statement"]]


def test_each_deploy_role_trusts_only_its_github_environment_of_the_repository(mocks: RoleMocks) -> None:
    _deploy(_args())
    roles = mocks.roles()
    for stack in ("dev", "prod"):
        trust = json.loads(roles[f"kubeboard-{stack}-deploy"]["assumeRolePolicy"])
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Federated": PROVIDER_ARN}
        assert statement["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:aud"] == "sts.amazonaws.com"
        assert _subjects(trust) == [f"repo:kubeboard/kubeboard-infra:environment:{stack}"]
        assert mocks.managed_policies(f"kubeboard-{stack}-deploy") == [ADMINISTRATOR_ACCESS]


def test_the_cluster_creator_is_assumable_only_by_its_environments_deploy_role(mocks: RoleMocks) -> None:
    outputs = _deploy(_args())
    roles = mocks.roles()
    for stack in ("dev", "prod"):
        trust = json.loads(roles[f"kubeboard-{stack}-cluster-creator"]["assumeRolePolicy"])
        assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": outputs["deploy"][stack]}]
        assert mocks.managed_policies(f"kubeboard-{stack}-cluster-creator") == []
    [prod_policy] = mocks.inline_policies("deploy-roles-prod-cluster-creator")
    scoped = [s for s in prod_policy["Statement"] if s["Sid"] in {"ThisCluster", "ItsAccessEntriesAndAddOns"}]
    arns = [
        arn
        for statement in scoped
        for arn in (
            [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        )
    ]
    assert len(arns) == 3
    assert all("kubeboard-prod" in arn and "kubeboard-dev" not in arn for arn in arns)
    [create] = [s for s in prod_policy["Statement"] if s["Sid"] == "CreateOnlyACreatorTaggedCluster"]
    assert create["Action"] == "eks:CreateCluster"
    assert create["Condition"] == {
        "StringLike": {
            "aws:RequestTag/kubeboard.io/cluster-creator": "arn:aws:iam::111122223333:role/*-cluster-creator"
        }
    }


@pytest.mark.usefixtures("mocks")
def test_role_names_match_what_the_stack_files_name() -> None:
    outputs = _deploy(_args())
    for stack in ("dev", "prod"):
        access = stack_file(stack)["config"]["kubeboard:cluster"]["access"]
        assert access["deployRoleArns"] == [outputs["deploy"][stack]]
        assert access["clusterCreatorRoleArn"] == outputs["creator"][stack]
        assert access["previewRoleArn"] == outputs["preview"]


def test_preview_role_is_read_only_for_the_preview_environment_of_the_repository(
    mocks: RoleMocks,
) -> None:
    _deploy(_args())
    preview = mocks.roles()["kubeboard-preview"]
    # The environment that holds the read-only Pulumi token, as the preview job runs there.
    assert _subjects(json.loads(preview["assumeRolePolicy"])) == [
        "repo:kubeboard/kubeboard-infra:environment:preview"
    ]
    assert mocks.managed_policies("kubeboard-preview") == [READ_ONLY_ACCESS]
    [deny] = mocks.inline_policies("deploy-roles-preview-no-data-reads")
    denied = {action for s in deny["Statement"] if s["Effect"] == "Deny" for action in s["Action"]}
    assert {"s3:GetObject*", "secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt"} <= denied


def test_promotion_role_reads_the_registry_from_the_promotion_environment_only(mocks: RoleMocks) -> None:
    arns = [f"arn:aws:ecr:ap-northeast-2:{ACCOUNT_ID}:repository/kubeboard/api"]
    _deploy(_args(promotion_ecr_repository_arns=arns, enhanced_scanning=True))
    promotion = mocks.roles()["kubeboard-promotion"]
    assert _subjects(json.loads(promotion["assumeRolePolicy"])) == [
        "repo:kubeboard/kubeboard-infra:environment:promotion"
    ]
    assert mocks.managed_policies("kubeboard-promotion") == []
    [policy] = mocks.inline_policies("deploy-roles-promotion-read-images")
    [ecr] = [s for s in policy["Statement"] if s["Sid"] == "ReadImagesAndScans"]
    assert ecr["Resource"] == arns
    assert not any(a.startswith("ecr:Put") for s in policy["Statement"] for a in s["Action"])


def test_no_promotion_role_without_repositories_to_read(mocks: RoleMocks) -> None:
    _deploy(_args())
    assert "kubeboard-promotion" not in mocks.roles()


def test_preview_role_can_be_left_out(mocks: RoleMocks) -> None:
    outputs = _deploy(_args(preview=False))
    assert outputs["preview"] is None
    assert "kubeboard-preview" not in mocks.roles()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repository": "kubeboard/*"}, "wildcard"),
        ({"environments": []}, "environments: list at least one environment stack"),
        (
            {"environments": [{"stack": "dev", "cluster_name": "a"}, {"stack": "dev", "cluster_name": "b"}]},
            r"environments\[1\]\.stack: 'dev' is listed twice",
        ),
        ({"name": "k" * 48}, "exceeds IAM's 64 characters"),
        (
            {"environments": [{"stack": "preview", "cluster_name": "a"}]},
            "'preview' is the GitHub environment of the preview jobs; no stack may be named so",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_role(
    mocks: RoleMocks, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _deploy(_args(**overrides))
    assert mocks.roles() == {}


def test_creator_policy_passes_iam_linting() -> None:
    findings = analyze_policy_string(json.dumps(creator_policy(ACCOUNT_ID, "aws", "kubeboard-prod"))).findings
    assert [f.issue for f in findings if f.severity in ("HIGH", "MEDIUM")] == []
