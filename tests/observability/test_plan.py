"""The observability stack as both stacks' offline plans show it."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, plan_for, resources_of

RELEASE = "kubernetes:helm.sh/v3:Release"
EXPECTED = {
    "kube-prometheus-stack": ("88.5.3", "https://prometheus-community.github.io/helm-charts"),
    "loki": ("18.11.0", "https://grafana-community.github.io/helm-charts"),
    "alloy": ("1.11.1", "https://grafana.github.io/helm-charts"),
}
# The webhook as Pulumi Cloud stores it: base64 of ciphertext (a URL in clear would be refused).
SLACK_CIPHERTEXT = base64.b64encode(os.urandom(48)).decode()


def _release(plan: dict[str, Any], name: str) -> dict[str, Any]:
    [release] = [r for r in resources_of(plan, RELEASE) if r["inputs"].get("name") == name]
    return release


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_releases_are_pinned_and_from_the_right_repositories(stack: str) -> None:
    plan = plan_for(stack)
    for name in ("kube-prometheus-stack", "loki", "alloy-logs", "alloy-events"):
        inputs = _release(plan, name)["inputs"]
        version, repo = EXPECTED[inputs["chart"]]
        assert (inputs["version"], inputs["repositoryOpts"]["repo"]) == (version, repo)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_loki_bucket_is_private_encrypted_tls_only_and_reached_through_irsa(stack: str) -> None:
    plan = plan_for(stack)
    [bucket] = [r for r in resources_of(plan, "aws:s3/bucket:Bucket") if r["name"].endswith("-loki")]
    children = [r for r in plan["resources"] if r["name"].startswith(f"{bucket['name']}-")]
    kinds = {r["type"].split(":")[-1] for r in children}
    assert {"BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketPolicy"} <= kinds
    [policy] = [r for r in children if r["type"].endswith("BucketPolicy")]
    statement = json.loads(policy["inputs"]["policy"])["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert bucket["protect"] is (stack == "prod")

    loki_values = _release(plan, "loki")["inputs"]["values"]
    # the bucket's generated name (an output) reaches the chart's values
    assert loki_values["loki"]["storage"]["bucketNames"]["chunks"].startswith(f"kubeboard-{stack}-loki")
    role_arn = loki_values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    [role] = [r for r in resources_of(plan, "aws:iam/role:Role") if r["name"].endswith("-loki-irsa")]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:monitoring:loki" in trust.values()
    assert role_arn.startswith("arn:aws:iam::")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_grafana_has_the_loki_datasource_and_a_masked_admin_secret(stack: str) -> None:
    plan = plan_for(stack)
    grafana = _release(plan, "kube-prometheus-stack")["inputs"]["values"]["grafana"]
    [loki] = [source for source in grafana["additionalDataSources"] if source["type"] == "loki"]
    assert loki["url"] == "http://loki.monitoring.svc.cluster.local:3100"
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    [secret] = [
        r for r in resources_of(plan, "kubernetes:core/v1:Secret") if r["name"].endswith("grafana-admin")
    ]
    assert secret["inputs"]["stringData"] == "[secret]"
    assert grafana["ingress"]["ingressClassName"] == "alb"


def test_slack_receiver_appears_when_configured_and_its_url_stays_masked(tmp_path: Path) -> None:
    from kubeboard_infra.plan.document import build_plan

    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    stack = yaml.safe_load((tmp_path / "Pulumi.dev.yaml").read_text())
    alerting = stack["config"]["kubeboard:observability"]["alerting"]
    alerting["slack"] = {"channel": "#kubeboard-alerts", "webhookUrl": {"secure": SLACK_CIPHERTEXT}}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))

    plan = build_plan(tmp_path, "dev")
    assert SLACK_CIPHERTEXT not in json.dumps(plan)
    config = _release(plan, "kube-prometheus-stack")["inputs"]["values"]["alertmanager"]["config"]
    assert "slack" in {receiver["name"] for receiver in config["receivers"]}
    [notifiers] = [
        r
        for r in resources_of(plan, "kubernetes:core/v1:Secret")
        if r["name"].endswith("alertmanager-notifiers")
    ]
    assert notifiers["inputs"]["stringData"] == "[secret]"

    without = _release(plan_for("dev"), "kube-prometheus-stack")["inputs"]["values"]["alertmanager"]["config"]
    assert "slack" not in {receiver["name"] for receiver in without["receivers"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_alert_topic_key_admits_cloudwatch_alarms_and_alertmanager_through_sns_only(stack: str) -> None:
    plan = plan_for(stack)
    [topic] = [
        r
        for r in resources_of(plan, "aws:sns/topic:Topic")
        if r["parent"].endswith("kubeboard:index:Observability::observability")
    ]
    [key] = [r for r in resources_of(plan, "aws:kms/key:Key") if r["name"] == f"{topic['name']}-key"]
    # an AWS-managed key (alias/aws/sns) would silently drop every CloudWatch alarm notification
    assert topic["inputs"]["kmsMasterKeyId"].startswith("arn:aws:kms:ap-northeast-2:111122223333:key/")
    assert key["inputs"]["enableKeyRotation"] is True
    statements = {s.get("Sid"): s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    alarms = statements["CloudWatchAlarmsPublishToEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(alarms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}

    [alertmanager_policy] = [
        r
        for r in resources_of(plan, "aws:iam/policy:Policy")
        if r["name"].endswith("-kube-prometheus-stack-irsa-sns")
    ]
    document = json.loads(alertmanager_policy["inputs"]["policy"])
    [kms] = [s for s in document["Statement"] if s["Sid"] == "EncryptForTheTopic"]
    assert kms["Resource"] == [topic["inputs"]["kmsMasterKeyId"]]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "sns.ap-northeast-2.amazonaws.com"}}
