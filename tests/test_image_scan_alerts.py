"""ImageScanAlerts as the account stack's offline plan shows it (K10, D8): function, DLQ, rules, alarms, topic,
bucket, and a role that passes parliament."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from kubeboard_infra.image_scan_alerts import (
    HANDLER,
    ImageScanAlertsArgs,
    basic_scan_pattern,
    enhanced_scan_pattern,
    function_policy,
    problems,
)
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .conftest import ACCOUNT_STACK, PROJECT_DIR, account_section, plan_for, resources_of, stack_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string, enhance_finding

PREFIX = "image-scan-alerts"


def _mine(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in resources_of(plan, token) if r["name"].startswith(PREFIX)]


def _one(plan: dict[str, Any], token: str, suffix: str = "") -> dict[str, Any]:
    [resource] = [r for r in _mine(plan, token) if r["name"].endswith(suffix)]
    return resource


def _scanning() -> dict[str, Any]:
    scanning: dict[str, Any] = account_section()["scanning"]
    return scanning


def _region(plan: dict[str, Any]) -> str:
    return str(stack_file(plan["stack"])["config"]["aws:region"])


def _repositories(plan: dict[str, Any]) -> dict[str, str]:
    """Repository name -> ARN, for every repository the registry created."""
    return {
        r["inputs"]["name"]: f"arn:aws:ecr:{_region(plan)}:{ACCOUNT_ID}:repository/{r['inputs']['name']}"
        for r in resources_of(plan, "aws:ecr/repository:Repository")
    }


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_function_runs_the_packaged_handler_on_arm64_with_its_settings(stack: str) -> None:
    plan, scanning = plan_for(stack), _scanning()
    function = _one(plan, "aws:lambda/function:Function")["inputs"]
    queue = _one(plan, "aws:sqs/queue:Queue")

    assert (function["runtime"], function["architectures"], function["handler"]) == (
        "python3.12",
        ["arm64"],
        HANDLER,
    )
    assert function["reservedConcurrentExecutions"] == scanning.get("reservedConcurrency", 5)
    assert function["deadLetterConfig"]["targetArn"].endswith(f":{queue['inputs']['name']}")
    variables = function["environment"]["variables"]
    assert variables["MANAGED_REPOSITORIES"].split(",") == sorted(_repositories(plan))
    assert variables["CRITICAL_THRESHOLD"] == str(scanning["criticalThreshold"])
    assert variables["HIGH_THRESHOLD"] == str(scanning["highThreshold"])
    # The archive carries the package and its pinned dependencies, not byte-code.
    files = function["code"]["archive"]
    assert {
        "scan_findings/handler.py",
        "scan_findings/events.py",
        "aws_lambda_powertools/__init__.py",
    } <= set(files)
    assert files == sorted(files)
    assert not any(name.endswith(".pyc") or name.startswith("bin/") for name in files)


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_async_invocations_retry_a_bounded_number_of_times_into_an_encrypted_dlq(stack: str) -> None:
    plan = plan_for(stack)
    invoke_config = _one(plan, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")["inputs"]
    queue = _one(plan, "aws:sqs/queue:Queue")["inputs"]

    assert invoke_config["maximumRetryAttempts"] == _scanning().get("maxRetryAttempts", 2)
    assert invoke_config["maximumEventAgeInSeconds"] == _scanning().get("maxEventAgeSeconds", 3600)
    assert queue["sqsManagedSseEnabled"] is True
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600
    log_group = _one(plan, "aws:cloudwatch/logGroup:LogGroup")["inputs"]
    assert log_group["retentionInDays"] == _scanning()["logRetentionDays"]
    assert log_group["name"] == f"/aws/lambda/{_one(plan, 'aws:lambda/function:Function')['inputs']['name']}"


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_rules_match_both_scan_events_of_the_managed_repositories_only(stack: str) -> None:
    plan = plan_for(stack)
    repositories = _repositories(plan)
    patterns = {
        rule["name"]: json.loads(rule["inputs"]["eventPattern"])
        for rule in _mine(plan, "aws:cloudwatch/eventRule:EventRule")
    }

    assert patterns == {
        f"{PREFIX}-basic-scan": {
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Scan"],
            "detail": {"repository-name": sorted(repositories)},
        },
        f"{PREFIX}-enhanced-scan": {
            "source": ["aws.inspector2"],
            "detail-type": ["Inspector2 Scan"],
            "detail": {"repository-name": sorted(repositories.values())},
        },
    }
    function = _one(plan, "aws:lambda/function:Function")
    function_arn = f"arn:aws:lambda:{_region(plan)}:{ACCOUNT_ID}:function:{function['inputs']['name']}"
    for kind in ("basic", "enhanced"):
        rule = _one(plan, "aws:cloudwatch/eventRule:EventRule", f"-{kind}-scan")
        permission = _one(plan, "aws:lambda/permission:Permission", f"-{kind}-scan")["inputs"]
        target = _one(plan, "aws:cloudwatch/eventTarget:EventTarget", f"-{kind}-scan")["inputs"]
        assert permission["principal"] == "events.amazonaws.com"
        assert permission["sourceArn"].endswith(f":rule/{rule['inputs']['name']}")
        assert permission["function"] == function["inputs"]["name"]
        assert target["rule"] == rule["inputs"]["name"]
        assert target["arn"] == function_arn
        assert target["deadLetterConfig"]["arn"].endswith("-scan-findings-dlq")


def test_documented_sample_events_match_the_rule_patterns() -> None:
    # EventBridge matching in miniature: every pattern field lists the event's value.
    basic = basic_scan_pattern(["my-repository-name"])
    enhanced = enhanced_scan_pattern(
        ["arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample"]
    )
    for pattern, sample in ((basic, "ecr_image_scan.json"), (enhanced, "inspector2_scan.json")):
        event = json.loads((PROJECT_DIR / "tests" / "data" / "scan_findings" / sample).read_text())
        assert event["source"] in pattern["source"]
        assert event["detail-type"] in pattern["detail-type"]
        assert event["detail"]["repository-name"] in pattern["detail"]["repository-name"]


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_critical_and_high_alarms_notify_the_topic_the_emails_subscribe_to(stack: str) -> None:
    plan, scanning = plan_for(stack), _scanning()
    topic = _one(plan, "aws:sns/topic:Topic")["inputs"]
    topic_arn = _one(plan, "aws:lambda/function:Function")["inputs"]["environment"]["variables"][
        "ALERT_TOPIC_ARN"
    ]
    alarms = {
        a["inputs"]["dimensions"].get("Severity"): a["inputs"]
        for a in _mine(plan, "aws:cloudwatch/metricAlarm:MetricAlarm")
    }

    for severity, threshold in (
        ("CRITICAL", scanning["criticalThreshold"]),
        ("HIGH", scanning["highThreshold"]),
    ):
        alarm = alarms[severity]
        assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
            "Kubeboard/ImageScan",
            "ImageFindings",
            "Maximum",
        )
        assert alarm["dimensions"] == {"Severity": severity}
        assert alarm["threshold"] == threshold
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["alarmActions"] == [topic_arn]
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:")
    subscriptions = _mine(plan, "aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s["inputs"]["endpoint"] for s in subscriptions) == sorted(scanning["alarmEmails"])
    assert {s["inputs"]["protocol"] for s in subscriptions} == {"email"}


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_findings_bucket_is_private_encrypted_versioned_tls_only_and_expires_reports(stack: str) -> None:
    plan = plan_for(stack)
    bucket = _one(plan, "aws:s3/bucket:Bucket")
    block = _one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    encryption = _one(
        plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )["inputs"]
    versioning = _one(plan, "aws:s3/bucketVersioning:BucketVersioning")["inputs"]
    lifecycle = _one(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"]
    policy = json.loads(_one(plan, "aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])

    assert all(
        block[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    [rule] = encryption["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    [expiry] = lifecycle["rules"]
    assert expiry["expiration"]["days"] == _scanning()["reportRetentionDays"]
    assert expiry["filter"]["prefix"] == "scan-findings/"
    [deny] = policy["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    # Every environment's findings live here: protected like prod's state.
    assert bucket["protect"] is True
    assert bucket["inputs"]["forceDestroy"] is False


@pytest.mark.parametrize("stack", [ACCOUNT_STACK])
def test_function_role_is_least_privilege_and_passes_parliament(stack: str) -> None:
    plan = plan_for(stack)
    document = json.loads(_one(plan, "aws:iam/rolePolicy:RolePolicy")["inputs"]["policy"])
    statements = {s["Sid"]: s for s in document["Statement"]}
    variables = _one(plan, "aws:lambda/function:Function")["inputs"]["environment"]["variables"]

    assert statements["ReadScanFindingsOfManagedRepositories"]["Resource"] == sorted(
        _repositories(plan).values()
    )
    assert statements["ReadWriteReportsUnderOwnPrefix"]["Resource"].endswith("/scan-findings/*")
    assert statements["ReadWriteReportsUnderOwnPrefix"]["Resource"] == (
        f"arn:aws:s3:::{variables['FINDINGS_BUCKET']}/scan-findings/*"
    )
    assert statements["PublishAlerts"]["Resource"] == variables["ALERT_TOPIC_ARN"]
    actions = [
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [action for action in actions if "*" in action]
    analysed = analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    for finding in analysed.findings:
        enhance_finding(finding)
    assert [(f.issue, f.detail) for f in analysed.findings] == []


def test_parliament_would_flag_a_widened_function_policy() -> None:
    widened = function_policy(
        repository_arns=["*"],
        bucket_arn="arn:aws:s3:::findings",
        topic_arn="arn:aws:sns:ap-northeast-2:111122223333:alerts",
        key_arn="arn:aws:kms:ap-northeast-2:111122223333:key/abc",
        queue_arn="arn:aws:sqs:ap-northeast-2:111122223333:dlq",
        log_group_arn="arn:aws:logs:ap-northeast-2:111122223333:log-group:/aws/lambda/x",
    )
    widened["Statement"].append({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
    assert analyze_policy_string(json.dumps(widened), ignore_private_auditors=True).findings


def test_bad_arguments_fail_before_any_resource() -> None:
    args: ImageScanAlertsArgs = {
        "name": "kubeboard-dev",
        "repository_arns": {},
        "alarm_emails": ["not-an-address"],
        "max_retry_attempts": 3,
    }
    assert problems(args) == [
        "alarm_emails[0]: 'not-an-address' is not an e-mail address",
        "max_retry_attempts: must be 0..2, got 3",
    ]
