"""AWS name and size limits over both plans, the longest names the settings accept, and seeded violations."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import EXIT_CONFIG, main
from kubeboard_infra.plan.aws_limits import check_plan, limits, statement_capacity
from kubeboard_infra.settings.cluster import LABEL_KEY_MAX_LENGTH
from kubeboard_infra.settings.platform import NAME_MAX_LENGTH
from tests.conftest import PROJECT_DIR, STACKS, plan_for, resources_of, stack_file

LONGEST_PLATFORM_NAME = "kubeboard-platform-p01"[:NAME_MAX_LENGTH]
LONGEST_NODE_GROUP_NAME = "n" + "o" * 30 + "1"  # settings.types.Name: at most 32 characters
LONGEST_LABEL_KEY = "kubeboard.io/" + "k" * (LABEL_KEY_MAX_LENGTH - len("kubeboard.io/"))
LONGEST_GITHUB_REPOSITORY = f"{'o' * 39}/{'r' * 100}"  # GitHub: owners 39, repositories 100 characters


def _messages(resources: list[dict[str, Any]]) -> list[str]:
    return [f"{f['path']}: {f['message']}" for f in check_plan(resources)["findings"]]


def _longest_plan(stack: str, root: Path) -> dict[str, Any]:
    """The stack with the longest names its settings accept: platform, node groups (and their label
    and taint keys and values), a GitHub repository."""
    from kubeboard_infra.plan.document import build_plan

    project = root / stack
    project.mkdir()
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, project / path.name)
    shutil.copy(PROJECT_DIR / "__main__.py", project / "__main__.py")
    config = stack_file(stack)["config"]
    config["kubeboard:platform"]["name"] = LONGEST_PLATFORM_NAME
    for index, group in enumerate(config["kubeboard:cluster"]["nodeGroups"]):
        group["name"] = f"{LONGEST_NODE_GROUP_NAME[:-1]}{index}"
        # The cluster autoscaler's node-template tags carry label and taint keys and values.
        group.setdefault("labels", {})[LONGEST_LABEL_KEY] = "v" * 63
        group.setdefault("taints", []).append(
            {"key": LONGEST_LABEL_KEY, "value": "v" * 63, "effect": "NO_SCHEDULE"}
        )
    # The account stack it reads holds the GitHub delivery roles and the deploy roles.
    shared = stack_file("shared")["config"]
    account = shared["kubeboard:account"]
    account["name"] = LONGEST_PLATFORM_NAME
    account["delivery"]["teams"][0]["repositories"][0] = LONGEST_GITHUB_REPOSITORY
    account["deploy"]["repository"] = LONGEST_GITHUB_REPOSITORY
    account["deploy"]["environments"] = [{"stack": stack, "clusterName": LONGEST_PLATFORM_NAME}]
    (project / "Pulumi.shared.yaml").write_text(yaml.safe_dump({"config": shared}, sort_keys=False))
    # Every WAF rule kind: allow and deny lists add IP sets and their statements.
    config["kubeboard:edge"]["waf"] |= {"allowCidrs": ["198.51.100.0/24"], "denyCidrs": ["203.0.113.0/24"]}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return build_plan(project, stack)


def test_both_plans_fit_every_limit(stack_plan: dict[str, Any]) -> None:
    section = stack_plan["awsLimits"]

    assert section["findings"] == []
    assert section["checked"] > 250
    # The report shows the headroom of each size quota, measured on the plan.
    assert set(section["largest"]) >= {
        "bucketPolicy",
        "keyPolicy",
        "lambdaEnvironment",
        "inlinePoliciesPerRole",
        "managedPolicy",
        "managedPoliciesPerRole",
        "securityGroupInbound",
        "securityGroupOutbound",
        "trustPolicy",
        "webAclCapacity",
    }
    assert section["largest"]["webAclCapacity"]["size"] == 1184
    assert all(seen["size"] <= seen["limit"] for seen in section["largest"].values())


@pytest.mark.parametrize("stack", STACKS)
def test_the_longest_accepted_names_fit_every_limit(
    stack: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("longest")
    plan = _longest_plan(stack, root)
    [cluster] = resources_of(plan, "eks:index:Cluster")
    from kubeboard_infra.plan.document import build_plan

    account_plan = build_plan(root / stack, "shared")
    assert account_plan["awsLimits"]["findings"] == []
    assert account_plan["conformance"]["findings"] == []

    assert len(LONGEST_PLATFORM_NAME) == NAME_MAX_LENGTH
    assert cluster["inputs"]["name"] == LONGEST_PLATFORM_NAME
    assert plan["awsLimits"]["findings"] == []
    assert plan["conformance"]["findings"] == []


def test_one_character_more_would_overflow_a_bucket_name() -> None:
    """The bound is the tightest one: the log-report bucket prefix at NAME_MAX_LENGTH + 1 is too long."""
    [raw] = [
        b for b in resources_of(plan_for("dev"), "aws:s3/bucket:Bucket") if "error-logs-raw" in json.dumps(b)
    ]
    seeded = copy.deepcopy(raw)
    seeded["inputs"]["bucketPrefix"] = f"{'k' * (NAME_MAX_LENGTH + 1)}-error-logs-raw-"

    assert _messages([seeded]) == [
        f"bucketPrefix: S3 bucket name '{'k' * (NAME_MAX_LENGTH + 1)}-error-logs-raw-' (plus the generated "
        "suffix) is 64 characters: 64 > 63"
    ]


def test_an_auto_named_role_is_judged_by_its_logical_name() -> None:
    auto_named = [r for r in resources_of(plan_for("prod"), "aws:iam/role:Role") if "name" not in r["inputs"]]
    role = copy.deepcopy(auto_named[0])
    role["name"] = "r" * 57

    assert _messages([role]) == [
        f"name: IAM role name '{'r' * 57}' (auto-named from the logical name) is 65 characters: 65 > 64"
    ]


def test_an_explicit_name_outside_its_pattern_is_caught() -> None:
    repository = copy.deepcopy(resources_of(plan_for("shared"), "aws:ecr/repository:Repository")[0])
    repository["inputs"]["name"] = "Kubeboard/API"

    [message] = _messages([repository])
    assert message.startswith("name: ECR repository name 'Kubeboard/API' does not match")


def _statement(size: int) -> str:
    """A compact policy document of ``size`` characters more than the smallest one."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * size}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def test_iam_policy_sizes_are_counted_without_whitespace() -> None:
    policy = copy.deepcopy(resources_of(plan_for("prod"), "aws:iam/policy:Policy")[0])
    compact = _statement(6144 - len(_statement(0)))
    policy["inputs"]["policy"] = json.dumps(json.loads(compact), indent=4)  # formatting is free
    assert _messages([policy]) == []

    policy["inputs"]["policy"] = _statement(6145 - len(_statement(0)))
    assert _messages([policy]) == ["policy: managed policy characters: 6145 > 6144"]


def test_trust_policy_and_aggregate_inline_policies_of_a_role_are_bounded() -> None:
    plan = plan_for("shared")  # the scan pipeline lives in the account stack
    [role] = [r for r in resources_of(plan, "aws:iam/role:Role") if r["name"] == "image-scan-alerts-function"]
    [inline] = [
        r for r in resources_of(plan, "aws:iam/rolePolicy:RolePolicy") if r["inputs"]["role"] == role["id"]
    ]
    role, first, second = copy.deepcopy(role), copy.deepcopy(inline), copy.deepcopy(inline)
    role["inputs"]["assumeRolePolicy"] = _statement(2100)
    first["inputs"]["policy"] = _statement(5000)
    second["inputs"]["policy"] = _statement(5200)

    assert _messages([role, first, second]) == [
        f"assumeRolePolicy: trust policy characters: {2100 + len(_statement(0))} > 2048",
        f"policy: inline policy characters of role {role['id']}: {10200 + 2 * len(_statement(0))} > 10240",
    ]


def test_managed_policies_attached_to_one_role_are_bounded() -> None:
    attachments = resources_of(plan_for("prod"), "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    node_role = attachments[0]["inputs"]["role"]
    seeded = [copy.deepcopy(attachments[0]) for _ in range(11)]

    assert len([a for a in attachments if a["inputs"]["role"] == node_role]) == 3
    assert _messages(seeded) == [f"policyArn: managed policies attached to role {node_role}: 11 > 10"]


def test_web_acl_capacity_is_the_sum_of_documented_wcus(stack_plan: dict[str, Any]) -> None:
    [acl] = resources_of(stack_plan, "aws:wafv2/webAcl:WebAcl")
    table = limits()["waf"]["managedRuleGroups"]

    capacity = sum(statement_capacity(rule["statement"]) for rule in acl["inputs"]["rules"])

    # dex's back channel: its regex 3 and a label match 1 in each of anonymous IPs, geo and rate.
    # IP reputation 25, anonymous IPs 50, NOT(geo) 1, rate-based 2, CRS 700, known bad inputs 200, SQLi 200.
    assert capacity == 3 + 3 * 1 + 25 + 50 + 1 + 2 + 700 + 200 + 200 == 1184
    assert table["AWS/AWSManagedRulesCommonRuleSet"] == 700


def test_a_web_acl_over_1500_wcus_or_with_an_unknown_statement_is_caught() -> None:
    acl = copy.deepcopy(resources_of(plan_for("prod"), "aws:wafv2/webAcl:WebAcl")[0])
    linux = copy.deepcopy(acl["inputs"]["rules"][-1])
    linux["statement"]["managedRuleGroupStatement"]["name"] = "AWSManagedRulesLinuxRuleSet"
    bot = copy.deepcopy(linux)
    bot["statement"] = {"sqliMatchStatement": {"fieldToMatch": {"body": {}}, "textTransformations": []}}
    acl["inputs"]["rules"] += [linux, linux, bot]

    assert _messages([acl]) == [
        "rules[10].statement: no documented WCU figure for 'sqliMatchStatement': add it to aws_limits.json "
        "with its source",
        "rules: web ACL capacity (WCUs): 1584 > 1500",
    ]


def test_security_group_rules_are_counted_per_cidr_and_per_rule_resource() -> None:
    plan = plan_for("prod")
    [efs_group] = [g for g in resources_of(plan, "aws:ec2/securityGroup:SecurityGroup") if "efs" in g["name"]]
    [nfs_rule] = [
        r
        for r in resources_of(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"].get("fromPort") == 2049
    ]
    group = copy.deepcopy(efs_group)
    group["inputs"]["ingress"] = [{"protocol": "tcp", "fromPort": 443, "toPort": 443,
                                   "cidrBlocks": [f"10.0.{i}.0/24" for i in range(60)]}]  # fmt: skip

    assert _messages([group]) == []
    assert _messages([group, nfs_rule]) == ["ingress: inbound rules of the security group: 61 > 60"]


def test_policy_documents_and_lambda_environments_are_sized_as_aws_sizes_them() -> None:
    plan = plan_for("prod")
    bucket_policy = copy.deepcopy(resources_of(plan, "aws:s3/bucketPolicy:BucketPolicy")[0])
    bucket_policy["inputs"]["policy"] = _statement(20481 - len(_statement(0)))
    function = copy.deepcopy(resources_of(plan, "aws:lambda/function:Function")[0])
    function["inputs"]["environment"]["variables"] = {"PAYLOAD": "é" * 2048}  # two bytes each

    assert _messages([bucket_policy, function]) == [
        "policy: bucket policy bytes: 20481 > 20480",
        "environment.variables: environment variable bytes: 4110 > 4096",
    ]


def test_security_group_descriptions_keep_to_the_characters_ec2_accepts() -> None:
    plan = plan_for("prod")
    [group] = [
        g for g in resources_of(plan, "aws:ec2/securityGroup:SecurityGroup") if g["inputs"].get("ingress")
    ]
    group = copy.deepcopy(group)
    group["inputs"]["ingress"][0]["description"] = "HTTPS from the VPC's subnets"
    group["inputs"]["description"] = "x" * 256

    assert _messages([group]) == [
        "description: security group description length: 256 > 255",
        'ingress[0].description: security group rule description "HTTPS from the VPC\'s subnets" has '
        'characters AWS refuses: ["\'"]',
    ]


def test_tags_are_bounded() -> None:
    bucket = copy.deepcopy(resources_of(plan_for("prod"), "aws:s3/bucket:Bucket")[0])
    bucket["inputs"]["tags"] = {"Owner": "x" * 257}

    assert _messages([bucket]) == ["tags.Owner: tag value length: 257 > 256"]


def test_the_provider_default_tags_count_towards_a_resources_50() -> None:
    plan = plan_for("prod")
    [provider] = [p for p in resources_of(plan, "pulumi:providers:aws") if p["name"] == "aws"]
    bucket = copy.deepcopy(resources_of(plan, "aws:s3/bucket:Bucket")[0])
    defaults = json.loads(provider["inputs"]["defaultTags"])["tags"]
    bucket["inputs"]["tags"] = {f"Team{i}": "platform" for i in range(51 - len(defaults))}

    assert bucket["provider"] == provider["urn"]
    assert _messages([provider, bucket]) == ["tags: tags on one resource, defaults included: 51 > 50"]


def test_auto_scaling_group_tag_keys_are_bounded() -> None:
    tag = copy.deepcopy(resources_of(plan_for("prod"), "aws:autoscaling/tag:Tag")[0])
    tag["inputs"]["tag"]["key"] = "k8s.io/cluster-autoscaler/" + "c" * 103

    assert _messages([tag]) == [f"tags.{tag['inputs']['tag']['key']}: tag key length: 129 > 128"]


def test_a_name_over_its_limit_fails_the_plan_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: limits\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")
    (tmp_path / "__main__.py").write_text(
        f'import pulumi_aws as aws\naws.sqs.Queue("queue", name="{"q" * 81}")\n'
    )

    code = main(["plan", "test", "--cwd", str(tmp_path), "--quiet"])

    printed = capsys.readouterr().out
    report = (tmp_path / "out" / "test" / "report.md").read_text()
    assert code == EXIT_CONFIG
    assert "AWS name and size limits: 1 checked, 1 finding(s)" in printed
    assert f"SQS queue name '{'q' * 81}' is 81 characters: 81 > 80" in report
