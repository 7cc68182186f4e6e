"""Deploys reach the cluster: the in-VPC runner and the CI access entries, as both offline plans show them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubeboard_infra.deploy_runner import connection_actions, runs_on_label, service_policy

from .conftest import plan_for, resources_of, stack_file

STACKS = ["dev", "prod"]
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
PROJECT = "aws:codebuild/project:Project"


def _one(plan: dict[str, Any], token: str) -> dict[str, Any]:
    [resource] = resources_of(plan, token)
    return resource


def _private_subnet_ids(plan: dict[str, Any]) -> list[str]:
    return [
        s["id"]
        for s in resources_of(plan, "aws:ec2/subnet:Subnet")
        if s["inputs"]["tags"]["kubeboard.io/tier"] == "private"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_runner_runs_in_the_private_subnets_with_egress_only(stack: str) -> None:
    plan = plan_for(stack)
    project = _one(plan, PROJECT)["inputs"]
    [group] = [
        g
        for g in resources_of(plan, "aws:ec2/securityGroup:SecurityGroup")
        if g["name"] == "deploy-runner-sg"
    ]

    assert project["name"] == f"{stack_file(stack)['config']['kubeboard:platform']['name']}-deploy"
    assert sorted(project["vpcConfig"]["subnets"]) == sorted(_private_subnet_ids(plan))
    assert project["vpcConfig"]["securityGroupIds"] == [group["id"]]
    assert project["environment"]["privilegedMode"] is False
    assert project["environment"]["image"].startswith("aws/codebuild/standard:")
    assert project["encryptionKey"].startswith("arn:aws:kms:")
    assert project["source"]["auth"]["type"] == "CODECONNECTIONS"
    assert (
        project["source"]["auth"]["resource"]
        == stack_file(stack)["config"]["kubeboard:deployRunner"]["connectionArn"]
    )
    assert "ingress" not in group["inputs"] or group["inputs"]["ingress"] == []
    assert [(e["protocol"], e["fromPort"], e["toPort"]) for e in group["inputs"]["egress"]] == [
        ("tcp", 443, 443)
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_the_runner_takes_queued_workflow_jobs_of_the_repository(stack: str) -> None:
    plan = plan_for(stack)
    project = _one(plan, PROJECT)
    webhook = _one(plan, "aws:codebuild/webhook:Webhook")["inputs"]
    assert webhook["projectName"] == project["inputs"]["name"]
    assert webhook["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]
    repository = stack_file(stack)["config"]["kubeboard:deployRunner"]["repository"]
    assert project["inputs"]["source"]["location"] == f"https://github.com/{repository}.git"


@pytest.mark.parametrize("stack", STACKS)
def test_the_cluster_api_admits_https_from_the_runner(stack: str) -> None:
    plan = plan_for(stack)
    [rule] = [
        r
        for r in resources_of(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["name"] == "deploy-runner-to-cluster-api"
    ]
    [group] = [
        g
        for g in resources_of(plan, "aws:ec2/securityGroup:SecurityGroup")
        if g["name"] == "deploy-runner-sg"
    ]
    assert rule["inputs"]["referencedSecurityGroupId"] == group["id"]
    assert rule["inputs"]["securityGroupId"] == plan["outputs"]["clusterSecurityGroupId"]
    assert (rule["inputs"]["ipProtocol"], rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (
        "tcp",
        443,
        443,
    )


@pytest.mark.parametrize("stack", STACKS)
def test_runner_service_role_is_scoped_to_its_logs_subnets_key_and_connection(stack: str) -> None:
    plan = plan_for(stack)
    [role] = [r for r in resources_of(plan, "aws:iam/role:Role") if r["name"] == "deploy-runner-role"]
    [policy] = [
        p for p in resources_of(plan, "aws:iam/rolePolicy:RolePolicy") if p["name"] == "deploy-runner-role"
    ]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    document = json.loads(policy["inputs"]["policy"])
    project = _one(plan, PROJECT)["inputs"]

    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":project/{project['name']}")
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["UseTheGitHubConnection"]["Resource"] == project["source"]["auth"]["resource"]
    subnet_arns = {
        f"arn:aws:ec2:ap-northeast-2:111122223333:subnet/{subnet}" for subnet in _private_subnet_ids(plan)
    }
    created_in = {arn for arn in by_sid["InterfacesInThePrivateSubnets"]["Resource"] if ":subnet/" in arn}
    assert created_in == subnet_arns
    assert set(by_sid["OnlyInThePrivateSubnets"]["Condition"]["ArnEquals"]["ec2:Subnet"]) == subnet_arns
    # Nothing in it deploys: the job assumes its environment's deploy role through OIDC.
    actions = {
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(a.startswith(("iam:", "eks:", "sts:", "s3:")) for a in actions)
    writes_on_anything = [
        s
        for s in document["Statement"]
        if s["Resource"] == "*" and any(not a.split(":")[1].startswith("Describe") for a in s["Action"])
    ]
    assert writes_on_anything == []


@pytest.mark.parametrize("stack", STACKS)
def test_build_logs_are_kept_encrypted_for_the_stacks_retention(stack: str) -> None:
    plan = plan_for(stack)
    project = _one(plan, PROJECT)["inputs"]
    [group] = [
        g for g in resources_of(plan, "aws:cloudwatch/logGroup:LogGroup") if g["name"] == "deploy-runner-logs"
    ]
    assert project["logsConfig"]["cloudwatchLogs"] == {
        "status": "ENABLED",
        "groupName": group["inputs"]["name"],
    }
    assert (
        group["inputs"]["retentionInDays"]
        == stack_file(stack)["config"]["kubeboard:deployRunner"]["logRetentionDays"]
    )
    assert group["inputs"]["kmsKeyId"] == project["encryptionKey"]


@pytest.mark.parametrize("stack", STACKS)
def test_each_deploy_role_is_cluster_admin_and_the_preview_role_views(stack: str) -> None:
    plan = plan_for(stack)
    entries = _one(plan, "eks:index:Cluster")["inputs"]["accessEntries"]
    access = stack_file(stack)["config"]["kubeboard:cluster"]["access"]
    by_principal = {entry["principalArn"]: entry for entry in entries.values()}

    for deploy_role in access["deployRoleArns"]:
        policies = by_principal[deploy_role]["accessPolicies"].values()
        assert [(p["policyArn"], p["accessScope"]) for p in policies] == [
            (POLICY + "AmazonEKSClusterAdminPolicy", {"type": "cluster"})
        ]
    preview = by_principal[access["previewRoleArn"]]["accessPolicies"].values()
    assert [p["policyArn"] for p in preview] == [POLICY + "AmazonEKSViewPolicy"]
    # One entry per principal: EKS refuses a second one for the same role.
    assert len(by_principal) == len(entries)


@pytest.mark.parametrize("stack", STACKS)
def test_the_cluster_alone_is_created_by_the_creator_role_which_has_no_entry(stack: str) -> None:
    plan = plan_for(stack)
    access = stack_file(stack)["config"]["kubeboard:cluster"]["access"]
    eks = _one(plan, "eks:index:Cluster")
    [creator] = [r for r in resources_of(plan, "pulumi:providers:aws") if r["name"] == "cluster-creator"]
    [platform] = [r for r in resources_of(plan, "pulumi:providers:aws") if r["name"] == "aws"]

    assert eks["providers"] == {"aws": creator["urn"]}
    assert creator["inputs"]["profile"] == "kubeboard-cluster-creator"
    assert creator["inputs"]["region"] == platform["inputs"]["region"]
    assert creator["inputs"]["defaultTags"] == platform["inputs"]["defaultTags"]
    assert eks["inputs"]["clusterTags"] == {"kubeboard.io/cluster-creator": access["clusterCreatorRoleArn"]}
    assert plan["outputs"]["clusterCreatorRoleArn"] == access["clusterCreatorRoleArn"]
    principals = {entry["principalArn"] for entry in eks["inputs"]["accessEntries"].values()}
    assert access["clusterCreatorRoleArn"] not in principals
    # Nothing else is created through the creator.
    assert [r["urn"] for r in plan["resources"] if r["provider"] == creator["urn"]] == []


def test_runs_on_label_is_the_one_codebuild_matches() -> None:
    assert runs_on_label("kubeboard-prod") == (
        "codebuild-kubeboard-prod-deploy-${{ github.run_id }}-${{ github.run_attempt }}"
    )


@pytest.mark.parametrize(
    ("arn", "service"),
    [
        (
            "arn:aws:codeconnections:ap-northeast-2:111122223333:connection/8a3c9f0e-5b1d-4e7a-9c2f-1d6b0e4a7f31",
            "codeconnections",
        ),
        (
            "arn:aws:codestar-connections:ap-northeast-2:111122223333:connection/8a3c9f0e-5b1d-4e7a-9c2f-1d6b0e4a7f31",
            "codestar-connections",
        ),
    ],
)
def test_connection_token_actions_follow_the_connections_service(arn: str, service: str) -> None:
    assert connection_actions(arn) == [f"{service}:GetConnectionToken", f"{service}:GetConnection"]
    document = service_policy(
        account_id="111122223333",
        partition="aws",
        region="ap-northeast-2",
        log_group_arn="arn:aws:logs:ap-northeast-2:111122223333:log-group:/aws/codebuild/x",
        key_arn="arn:aws:kms:ap-northeast-2:111122223333:key/k",
        connection_arn=arn,
        vpc_id="vpc-1",
        subnet_ids=["subnet-1"],
        security_group_id="sg-1",
    )
    [statement] = [s for s in document["Statement"] if s["Sid"] == "UseTheGitHubConnection"]
    assert statement["Resource"] == arn
