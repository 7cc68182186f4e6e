"""LogReports as both stacks' offline plans show it (K4, O3): buckets, notification, function, DLQ,
alarms, the exporter's IRSA role and CronJob; the roles pass parliament."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from kubeboard_infra.log_reports import (
    HANDLER,
    LogReportsArgs,
    exporter_policy,
    function_policy,
    problems,
)

from .conftest import plan_for, resources_of, stack_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string, enhance_finding

PREFIX = "log-reports"
STACKS = ["dev", "prod"]


def _mine(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in resources_of(plan, token) if r["name"].startswith(PREFIX)]


def _one(plan: dict[str, Any], token: str, name: str) -> dict[str, Any]:
    [resource] = [r for r in _mine(plan, token) if r["name"] == name]
    return resource


def _bucket_name(plan: dict[str, Any], kind: str) -> str:
    """The bucket's name (from a resource that takes it as input: the mock id is not the name)."""
    block = _one(
        plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{PREFIX}-{kind}-public-access"
    )
    return str(block["inputs"]["bucket"])


def _settings(stack: str) -> dict[str, Any]:
    return stack_file(stack)["config"]["kubeboard:logReports"]


def _parliament_findings(document: str) -> list[str]:
    findings = analyze_policy_string(document).findings
    return [f"{f.issue}: {f.detail}" for f in (enhance_finding(f) for f in findings)]


@pytest.mark.parametrize("stack", STACKS)
def test_both_buckets_are_private_encrypted_tls_only_and_expire_per_settings(stack: str) -> None:
    plan, settings = plan_for(stack), _settings(stack)
    key_arns: set[str] = set()
    expected = {
        "raw": ("errors/", settings["rawRetentionDays"]),
        "processed": ("reports/", settings["reportRetentionDays"]),
    }
    for kind, (prefix, days) in expected.items():
        name = f"{PREFIX}-{kind}"
        bucket = _one(plan, "aws:s3/bucket:Bucket", name)
        assert bucket["inputs"]["forceDestroy"] is (stack != "prod")
        assert bucket["protect"] is (stack == "prod")
        block = _one(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-public-access")[
            "inputs"
        ]
        assert all(
            block[k]
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        [rule] = _one(
            plan,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-encryption",
        )["inputs"]["rules"]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        key_arns.add(rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"])
        [lifecycle] = _one(
            plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-lifecycle"
        )["inputs"]["rules"]
        assert (lifecycle["filter"]["prefix"], lifecycle["expiration"]["days"]) == (prefix, days)
        policy = json.loads(
            _one(plan, "aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy")["inputs"]["policy"]
        )
        [deny] = policy["Statement"]
        assert (deny["Effect"], deny["Action"], deny["Condition"]) == (
            "Deny",
            "s3:*",
            {"Bool": {"aws:SecureTransport": "false"}},
        )
    # One customer-managed key for both; the function's role may use exactly that key.
    role_policy = json.loads(
        _one(plan, "aws:iam/rolePolicy:RolePolicy", f"{PREFIX}-function")["inputs"]["policy"]
    )
    [kms] = [st for st in role_policy["Statement"] if st["Sid"] == "UseTheBucketKeyThroughS3"]
    assert key_arns == {kms["Resource"]}
    assert kms["Resource"].startswith("arn:aws:kms:")


@pytest.mark.parametrize("stack", STACKS)
def test_new_exports_and_only_those_invoke_the_function(stack: str) -> None:
    plan = plan_for(stack)
    raw = _bucket_name(plan, "raw")
    function = _one(plan, "aws:lambda/function:Function", f"{PREFIX}-function")["inputs"]
    notification = _one(plan, "aws:s3/bucketNotification:BucketNotification", f"{PREFIX}-raw")["inputs"]
    [target] = notification["lambdaFunctions"]
    assert notification["bucket"] == raw
    assert target["lambdaFunctionArn"].endswith(f":function:{function['name']}")
    assert (target["events"], target["filterPrefix"], target["filterSuffix"]) == (
        ["s3:ObjectCreated:*"],
        "errors/",
        ".jsonl.gz",
    )
    permission = _one(plan, "aws:lambda/permission:Permission", f"{PREFIX}-s3-invoke")["inputs"]
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:s3:::{raw}"
    assert permission["sourceAccount"]


@pytest.mark.parametrize("stack", STACKS)
def test_function_is_packaged_with_dlq_retention_and_reserved_concurrency(stack: str) -> None:
    plan, settings = plan_for(stack), _settings(stack)
    function = _one(plan, "aws:lambda/function:Function", f"{PREFIX}-function")["inputs"]
    queue = _one(plan, "aws:sqs/queue:Queue", f"{PREFIX}-dlq")["inputs"]
    logs = _one(plan, "aws:cloudwatch/logGroup:LogGroup", f"{PREFIX}-logs")["inputs"]

    assert (function["runtime"], function["architectures"], function["handler"]) == (
        "python3.12",
        ["arm64"],
        HANDLER,
    )
    assert function["reservedConcurrentExecutions"] == settings["reservedConcurrency"]
    assert function["memorySize"] == settings["memoryMb"]
    assert function["deadLetterConfig"]["targetArn"].endswith(f":{queue['name']}")
    assert queue["sqsManagedSseEnabled"] is True
    assert function["loggingConfig"]["logGroup"] == logs["name"] == f"/aws/lambda/{function['name']}"
    assert logs["retentionInDays"] == settings["logRetentionDays"]
    processed = _bucket_name(plan, "processed")
    assert function["environment"]["variables"]["PROCESSED_BUCKET"] == processed
    files = function["code"]["archive"]
    assert {"log_report/handler.py", "log_report/signature.py", "aws_lambda_powertools/__init__.py"} <= set(
        files
    )
    assert "log_report/requirements.txt" not in files


@pytest.mark.parametrize("stack", STACKS)
def test_one_error_alarm_per_namespace_notifies_the_alert_topic(stack: str) -> None:
    plan, settings = plan_for(stack), _settings(stack)
    prefix = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    alarms = {r["name"]: r["inputs"] for r in _mine(plan, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert settings["namespaces"]
    for namespace in settings["namespaces"]:
        alarm = alarms[f"{PREFIX}-errors-{namespace}"]
        assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == (
            "Kubeboard/LogReports",
            "ErrorLines",
            {"namespace": namespace},
        )
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == (
            "Sum",
            600,
            settings["errorThreshold"],
        )
    assert set(alarms) == {
        *(f"{PREFIX}-errors-{ns}" for ns in settings["namespaces"]),
        f"{PREFIX}-function-errors",
        f"{PREFIX}-dead-letters",
        f"{PREFIX}-heartbeat",
        f"{PREFIX}-corrupt-exports",
    }
    corrupt = alarms[f"{PREFIX}-corrupt-exports"]
    assert (corrupt["metricName"], corrupt["threshold"], corrupt.get("dimensions")) == (
        "CorruptExports",
        1,
        None,
    )
    for alarm in alarms.values():
        [action] = alarm["alarmActions"]
        assert f":{prefix}-alerts-" in action  # the observability alert topic the e-mails subscribe to
    assert alarms[f"{PREFIX}-heartbeat"]["treatMissingData"] == "breaching"


@pytest.mark.parametrize("stack", STACKS)
def test_exporter_role_is_irsa_scoped_and_limited_to_its_prefix(stack: str) -> None:
    plan = plan_for(stack)
    exporter = _settings(stack)["exporter"]
    subject = f"system:serviceaccount:{exporter.get('namespace', 'log-export')}:log-exporter"
    role = _one(plan, "aws:iam/role:Role", f"{PREFIX}-exporter")["inputs"]
    [trust] = json.loads(role["assumeRolePolicy"])["Statement"]
    conditions = trust["Condition"]["StringEquals"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"].startswith("arn:aws:iam::")
    assert sorted(conditions.values()) == sorted([subject, "sts.amazonaws.com"])

    raw = _bucket_name(plan, "raw")
    document = _one(plan, "aws:iam/policy:Policy", f"{PREFIX}-exporter-export")["inputs"]["policy"]
    statements = {s["Sid"]: s for s in json.loads(document)["Statement"]}
    assert statements["WriteExportsUnderOwnPrefix"]["Action"] == "s3:PutObject"
    assert statements["WriteExportsUnderOwnPrefix"]["Resource"] == f"arn:aws:s3:::{raw}/errors/*"
    assert statements["ListOwnPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["errors/*"]}}
    assert _parliament_findings(document) == []


@pytest.mark.parametrize("stack", STACKS)
def test_function_role_is_least_privilege_and_passes_parliament(stack: str) -> None:
    plan = plan_for(stack)
    document = _one(plan, "aws:iam/rolePolicy:RolePolicy", f"{PREFIX}-function")["inputs"]["policy"]
    statements = {s["Sid"]: s for s in json.loads(document)["Statement"]}
    raw = _bucket_name(plan, "raw")
    processed = _bucket_name(plan, "processed")
    assert statements["ReadExports"] | {"Sid": ""} == {
        "Sid": "",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{raw}/errors/*",
    }
    assert statements["WriteReports"]["Action"] == "s3:PutObject"
    assert statements["WriteReports"]["Resource"] == f"arn:aws:s3:::{processed}/reports/*"
    actions = {
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(a.endswith("*") for a in actions)
    assert _parliament_findings(document) == []


@pytest.mark.parametrize("stack", STACKS)
def test_exporter_cron_job_is_forbid_hardened_pinned_and_configured(stack: str) -> None:
    plan, settings = plan_for(stack), _settings(stack)
    cron = _one(plan, "kubernetes:batch/v1:CronJob", f"{PREFIX}-exporter")["inputs"]
    spec = cron["spec"]
    assert (spec["schedule"], spec["concurrencyPolicy"]) == ("*/10 * * * *", "Forbid")
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] < 600  # done before the next run is due
    pod = job["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"].endswith(
        f".amazonaws.com/{settings['exporter']['repository']}:{settings['exporter']['imageTag']}"
    )
    assert container["command"] == ["python", "-m", "lambdas.log_exporter"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    resources = settings["exporter"].get("resources", {})
    assert container["resources"]["limits"]["memory"] == resources.get("memoryLimit", "256Mi")
    assert container["resources"]["requests"]["cpu"] == resources.get("cpuRequest", "50m")
    env = {item["name"]: item["value"] for item in container["env"]}
    raw = _bucket_name(plan, "raw")
    assert env["EXPORT_BUCKET"] == raw
    assert env["EXPORT_NAMESPACES"] == ",".join(settings["namespaces"])
    assert env["BACKFILL_WINDOWS"] == str(settings["exporter"]["backfillWindows"])
    assert env["LOKI_URL"].startswith("http://loki.")

    account = _one(plan, "kubernetes:core/v1:ServiceAccount", f"{PREFIX}-exporter")["inputs"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.split("/")[-1].startswith(f"{PREFIX}-exporter")
    namespace = _one(plan, "kubernetes:core/v1:Namespace", f"{PREFIX}-namespace")["inputs"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("stack", STACKS)
def test_stack_exports_both_buckets_and_no_policy_fails_on_the_component(stack: str) -> None:
    plan = plan_for(stack)
    assert plan["outputs"]["errorLogExportBucket"] == _bucket_name(plan, "raw")
    assert plan["outputs"]["errorReportBucket"] == _bucket_name(plan, "processed")
    mine = {r["urn"] for r in plan["resources"] if r["name"].startswith(PREFIX)}
    failures = [r for r in plan["policies"]["results"] if r["urn"] in mine and r["level"] == "mandatory"]
    assert failures == []


def test_policy_documents_name_only_the_given_resources() -> None:
    exporter = exporter_policy(bucket_arn="arn:aws:s3:::raw", key_arn="arn:aws:kms:r:1:key/k", region="r")
    function = function_policy(
        raw_bucket_arn="arn:aws:s3:::raw",
        processed_bucket_arn="arn:aws:s3:::out",
        key_arn="arn:aws:kms:r:1:key/k",
        queue_arn="arn:aws:sqs:r:1:q",
        log_group_arn="arn:aws:logs:r:1:log-group:/aws/lambda/f",
        region="r",
    )
    for document in (exporter, function):
        assert document["Statement"]
        for statement in document["Statement"]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            assert "*" not in resources


def _args(**overrides: Any) -> LogReportsArgs:
    args: dict[str, Any] = {
        "name": "kb",
        "namespaces": ["prod"],
        "alert_topic_arn": "arn:aws:sns:r:1:t",
        "cluster": {
            "cluster_name": "kb",
            "provider": None,
            "oidc_provider_arn": "arn",
            "oidc_issuer": "issuer",
            "node_security_group_id": "sg-1",
        },
        "exporter": {
            "image": "img:1",
            "namespace": "log-export",
            "service_account": "log-exporter",
            "loki_url": "http://loki:3100",
            "loki_namespace": "monitoring",
        },
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"namespaces": []}, "namespaces: list at least one namespace"),
        ({"namespaces": ["a", "a"]}, "namespaces[1]: 'a' is listed twice"),
        ({"max_retry_attempts": 3}, "max_retry_attempts: must be 0..2, got 3"),
        ({"memory_mb": 64}, "memory_mb: must be 128..10240, got 64"),
        ({"error_threshold": 0}, "error_threshold: must be 1..10000000, got 0"),
    ],
)
def test_bad_arguments_fail_at_program_start_with_a_clear_message(
    overrides: dict[str, Any], message: str
) -> None:
    assert problems(_args(**overrides)) == [message]
    assert problems(_args()) == []
