"""Issue 18's operations items in both stacks' plans: O3 error-log metric filters and their alarms,
D8 GuardDuty in the account stack (present when on, absent when off), F3/H6 the people's roles the
stack creates, each trusting the identity provider and mapped to its access entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra import ArgsError
from kubeboard_infra.human_roles import HumanRoles, oidc_trust
from kubeboard_infra.log_alarms import CONTROL_PLANE_ERROR_PATTERN, FUNCTION_ERROR_PATTERN
from kubeboard_infra.plan.document import build_plan
from kubeboard_infra.plan.stack_files import read_stack_config
from kubeboard_infra.settings import SettingsError, load_settings

from .conftest import ACCOUNT_STACK, PROJECT_DIR, STACKS, plan_for, resources_of, stack_file

FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"
GUARDDUTY = ("aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature")


def _alarms_on_filters(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each metric filter's log group -> the alarm on its metric."""
    alarms = {
        (a["inputs"]["namespace"], a["inputs"]["metricName"]): a
        for a in resources_of(plan, ALARM)
        if a["inputs"].get("namespace") == "Kubeboard/LogErrors"
    }
    found = {}
    for metric_filter in resources_of(plan, FILTER):
        transformation = metric_filter["inputs"]["metricTransformation"]
        found[metric_filter["inputs"]["logGroupName"]] = alarms[
            (transformation["namespace"], transformation["name"])
        ]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_error_lines_of_the_platforms_log_groups_alarm_on_the_alert_topic(stack: str) -> None:
    plan = plan_for(stack)
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    by_group = _alarms_on_filters(plan)
    assert set(by_group) == {f"/aws/lambda/{name}-log-report", f"/aws/eks/{name}/cluster"}
    for alarm in by_group.values():
        # The observability alert topic (auto-named <name>-alerts-<suffix>).
        [topic] = alarm["inputs"]["alarmActions"]
        assert topic.startswith(f"arn:aws:sns:ap-northeast-2:111122223333:{name}-alerts-")
        assert alarm["inputs"]["okActions"] == [topic]
        assert alarm["inputs"]["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["inputs"]["treatMissingData"] == "notBreaching"
    patterns = {f["inputs"]["logGroupName"]: f["inputs"]["pattern"] for f in resources_of(plan, FILTER)}
    assert patterns[f"/aws/lambda/{name}-log-report"] == FUNCTION_ERROR_PATTERN
    assert patterns[f"/aws/eks/{name}/cluster"] == CONTROL_PLANE_ERROR_PATTERN


def test_the_scan_functions_errors_alarm_on_the_accounts_topic() -> None:
    plan = plan_for(ACCOUNT_STACK)
    by_group = _alarms_on_filters(plan)
    assert set(by_group) == {"/aws/lambda/kubeboard-scan-findings"}
    [alarm] = by_group.values()
    assert alarm["inputs"]["alarmActions"] == [plan["outputs"]["imageScanAlertTopicArn"]]


def test_guardduty_is_on_in_the_account_stack_with_eks_features_and_routed_findings() -> None:
    plan = plan_for(ACCOUNT_STACK)
    [detector] = resources_of(plan, GUARDDUTY[0])
    assert detector["inputs"]["enable"] is True
    features = {f["inputs"]["name"]: f["inputs"] for f in resources_of(plan, GUARDDUTY[1])}
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING"}
    assert all(f["status"] == "ENABLED" and f["detectorId"] == detector["id"] for f in features.values())
    assert features["RUNTIME_MONITORING"]["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}
    ]
    [rule] = [r for r in resources_of(plan, "aws:cloudwatch/eventRule:EventRule") if "guardduty" in r["name"]]
    pattern = json.loads(rule["inputs"]["eventPattern"])
    assert pattern["source"] == ["aws.guardduty"] and pattern["detail"]["severity"] == [
        {"numeric": [">=", 4]}
    ]
    [target] = [
        t for t in resources_of(plan, "aws:cloudwatch/eventTarget:EventTarget") if "guardduty" in t["name"]
    ]
    assert target["inputs"]["arn"] == plan["outputs"]["guardDutyFindingsTopicArn"]
    [policy] = [p for p in resources_of(plan, "aws:sns/topicPolicy:TopicPolicy") if "guardduty" in p["name"]]
    statement = json.loads(policy["inputs"]["policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":rule/kubeboard-guardduty-findings")
    # Environment stacks never own the account's detector.
    for stack in STACKS:
        assert not [r for r in plan_for(stack)["resources"] if r["type"] in GUARDDUTY]


def test_guardduty_switched_off_leaves_nothing_of_it(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    config = stack_file(ACCOUNT_STACK)["config"]
    config["kubeboard:account"]["guardduty"]["enabled"] = False
    (tmp_path / "Pulumi.shared.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    plan = build_plan(tmp_path, ACCOUNT_STACK)
    assert [r for r in plan["resources"] if "guardduty" in r["type"] or "guardduty" in r["name"]] == []
    assert "guardDutyDetectorId" not in plan["outputs"]
    assert plan["policies"]["mandatoryViolations"] == 0


@pytest.mark.parametrize("stack", STACKS)
def test_created_roles_are_mapped_to_their_access_entries(stack: str) -> None:
    plan = plan_for(stack)
    name = stack_file(stack)["config"]["kubeboard:platform"]["name"]
    roles = {r["inputs"]["name"]: r for r in resources_of(plan, ROLE) if r["name"].startswith("human-roles-")}
    assert set(roles) == {f"{name}-admin", f"{name}-developer", f"{name}-viewer"}
    [cluster] = resources_of(plan, "eks:index:Cluster")
    entries = cluster["inputs"]["accessEntries"]
    groups = {"admin": "kubeboard:admins", "developer": "kubeboard:developers", "viewer": "kubeboard:viewers"}
    for role, group in groups.items():
        created = roles[f"{name}-{role}"]
        assert entries[role]["principalArn"].endswith(f":role/{name}-{role}")
        assert entries[role]["kubernetesGroups"] == [group]
        assert created["inputs"]["tags"]["kubeboard.io/role-class"] == "human"
        assert created["urn"] in cluster["dependencies"]
        trust = json.loads(created["inputs"]["assumeRolePolicy"])["Statement"]
        assert len(trust) == 1 and trust[0]["Effect"] == "Allow"
    # The roles' only AWS permission: finding their own cluster.
    policies = [
        p for p in resources_of(plan, "aws:iam/rolePolicy:RolePolicy") if p["name"].startswith("human-roles-")
    ]
    assert len(policies) == 3
    for policy in policies:
        [statement] = json.loads(policy["inputs"]["policy"])["Statement"]
        assert statement["Action"] == "eks:DescribeCluster"
        assert statement["Resource"].endswith(f":cluster/{name}")


def test_dev_roles_trust_identity_center_and_prod_roles_the_saml_provider() -> None:
    dev = {r["inputs"].get("name"): r for r in resources_of(plan_for("dev"), ROLE)}
    statement = json.loads(dev["kubeboard-dev-admin"]["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith(
        "role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_KubeboardDevAdmin_*"
    )
    prod = {r["inputs"].get("name"): r for r in resources_of(plan_for("prod"), ROLE)}
    statement = json.loads(prod["kubeboard-prod-viewer"]["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert statement["Principal"] == {"Federated": "arn:aws:iam::111122223333:saml-provider/kubeboard-idp"}
    assert statement["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}


def test_oidc_trust_pins_audience_and_subjects() -> None:
    trust = oidc_trust(
        "arn:aws:iam::111122223333:oidc-provider/idp.example.com/oauth2", "kubeboard", ["b@x", "a@x"]
    )
    condition = trust["Statement"][0]["Condition"]
    assert condition == {
        "StringEquals": {"idp.example.com/oauth2:aud": "kubeboard"},
        "StringLike": {"idp.example.com/oauth2:sub": ["a@x", "b@x"]},
    }


def test_human_roles_refuse_no_or_two_providers() -> None:
    saml = {"provider_arn": "arn:aws:iam::111122223333:saml-provider/corp"}
    center = {"permission_sets": {"admin": "Admin", "developer": "Dev", "viewer": "View"}}
    for given, got in (({}, "none"), ({"saml": saml, "identity_center": center}, "saml, identity center")):
        with pytest.raises(ArgsError) as raised:
            HumanRoles("h", {"name": "x", "cluster_name": "x", **given})  # type: ignore[typeddict-item]
        assert str(raised.value) == (
            "HumanRoles args: saml: give exactly one identity provider the roles trust "
            f"(saml, oidc or identity center); got {got}"
        )


def _with_access(stack: str, access: dict[str, Any]) -> dict[str, Any]:
    # As the engine hands it over (JSON text), with the plan's stand-ins for the secrets.
    config = dict(read_stack_config(PROJECT_DIR, stack).values)
    cluster = json.loads(config["kubeboard:cluster"])
    cluster["access"] = {**cluster["access"], **access}
    config["kubeboard:cluster"] = json.dumps(cluster)
    return config


def test_roles_are_either_created_or_given() -> None:
    given = {
        "createRoles": None,
        "adminRoleArn": "arn:aws:iam::111122223333:role/a",
        "developerRoleArn": "arn:aws:iam::111122223333:role/d",
        "viewerRoleArn": "arn:aws:iam::111122223333:role/v",
    }
    config = _with_access("dev", given)
    access = json.loads(config["kubeboard:cluster"])["access"]
    access.pop("createRoles")
    config["kubeboard:cluster"] = json.dumps({**json.loads(config["kubeboard:cluster"]), "access": access})
    settings = load_settings(config, source="Pulumi.dev.yaml")
    assert settings.cluster.access.create_roles is None
    assert settings.cluster.access.admin_role_arn == "arn:aws:iam::111122223333:role/a"
    with pytest.raises(SettingsError, match=r"adminRoleArn: the stack creates this role"):
        load_settings(_with_access("dev", {"adminRoleArn": "arn:aws:iam::111122223333:role/a"}), source="x")
    with pytest.raises(SettingsError, match=r"previewRoleArn: .* is the viewer role this stack creates"):
        load_settings(
            _with_access("dev", {"previewRoleArn": "arn:aws:iam::111122223333:role/kubeboard-dev-viewer"}),
            source="x",
        )
