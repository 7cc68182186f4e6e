"""Per-stack pack configuration: levels, settings and exceptions that must carry a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from pulumi_policy import EnforcementLevel

from kubeboard_policy import policy_by_name
from kubeboard_policy.config import CONFIG_DIR, PackConfig, PolicyConfigError, load_stack_config, parse_config
from kubeboard_policy.offline import evaluate
from tests.policy.plans import bucket_with, doc, res

WRITE_ON_STAR = "aws-iam-policy-disallow-wildcard-resource-on-write"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_repository_stack_files_are_valid(stack: str) -> None:
    config = load_stack_config(stack)
    assert config.source == f"policy/config/{stack}.json"
    for entry in config.properties.get(WRITE_ON_STAR, {}).get("exceptions", []):
        assert len(entry["reason"]) > 40, "reasons explain, they do not just exist"


def test_stack_without_a_file_gets_the_pack_defaults(tmp_path: Path) -> None:
    config = load_stack_config("staging", tmp_path)
    assert config == PackConfig()
    policy = policy_by_name("aws-efs-filesystem-configure-customer-managed-key")
    assert config.level_for(policy) == EnforcementLevel.ADVISORY


def test_prod_is_stricter_than_dev() -> None:
    dev, prod = load_stack_config("dev"), load_stack_config("prod")
    metrics = policy_by_name("aws-wafv2-webacl-enable-metrics")
    assert dev.level_for(metrics) == EnforcementLevel.ADVISORY
    assert prod.level_for(metrics) == EnforcementLevel.MANDATORY
    retention = policy_by_name("aws-cloudwatch-loggroup-configure-retention")
    assert (
        prod.config_for(retention)["minimumRetentionDays"] > dev.config_for(retention)["minimumRetentionDays"]
    )


BAD_CONFIGS: list[tuple[str, Any, str]] = [
    (
        "exception without reason",
        {WRITE_ON_STAR: {"exceptions": [{"resource": "x"}]}},
        "exceptions[0].reason",
    ),
    ("blank reason", {WRITE_ON_STAR: {"exceptions": [{"resource": "x", "reason": "  "}]}}, "must say why"),
    ("exception without resource", {WRITE_ON_STAR: {"exceptions": [{"reason": "because"}]}}, "resource"),
    (
        "unknown exception key",
        {WRITE_ON_STAR: {"exceptions": [{"resource": "x", "reason": "r", "until": 1}]}},
        "until",
    ),
    ("exceptions not a list", {WRITE_ON_STAR: {"exceptions": {"resource": "x"}}}, "must be a list"),
    ("unknown policy", {"aws-s3-bucket-be-nice": "mandatory"}, "no such policy"),
    ("bad level", {WRITE_ON_STAR: "blocking"}, "enforcement level"),
    ("bad nested level", {WRITE_ON_STAR: {"enforcementLevel": "hard"}}, "enforcementLevel"),
    ("bad all", {"all": "strict"}, "all"),
    ("unknown setting", {WRITE_ON_STAR: {"maxDays": 3}}, "unknown setting"),
    (
        "wrong type",
        {"aws-cloudwatch-loggroup-configure-retention": {"minimumRetentionDays": "30"}},
        "integer",
    ),
    ("below minimum", {"aws-cloudwatch-loggroup-configure-retention": {"minimumRetentionDays": 0}}, ">= 1"),
    ("not an object", ["mandatory"], "top level"),
]


@pytest.mark.parametrize(("label", "data", "expected"), BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_bad_config_is_rejected_with_file_and_key(label: str, data: Any, expected: str) -> None:
    with pytest.raises(PolicyConfigError) as error:
        parse_config(data, "policy/config/test.json")
    assert str(error.value).startswith("policy/config/test.json"), label
    assert expected in str(error.value)


def test_invalid_json_names_line(tmp_path: Path) -> None:
    (tmp_path / "qa.json").write_text('{\n  "all": mandatory\n}\n')
    with pytest.raises(PolicyConfigError, match=r"qa.json:2:\d+: invalid JSON"):
        load_stack_config("qa", tmp_path)


def test_config_files_are_pulumi_policy_config() -> None:
    """Every key is `all` or a policy; every object key is enforcementLevel or in the policy's schema."""
    assert list(CONFIG_DIR.glob("*.json"))
    for path in sorted(CONFIG_DIR.glob("*.json")):
        for name, value in json.loads(path.read_text()).items():
            if name == "all" or isinstance(value, str):
                continue
            schema = policy_by_name(name).config_schema
            assert schema is not None
            assert set(value) - {"enforcementLevel"} <= set(schema.properties), path


def _wildcard_write_plan() -> list[dict[str, Any]]:
    statement = {"Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": "*"}
    return [
        res("aws:iam/policy:Policy", "aws-load-balancer-controller-policy", {"policy": doc(statement)}),
        res("aws:iam/policy:Policy", "exporter-policy", {"policy": doc(statement)}),
    ]


def test_exception_waives_only_the_named_resource_and_is_reported() -> None:
    section = evaluate(_wildcard_write_plan(), "dev")
    flagged = [r["urn"].rsplit("::", 1)[-1] for r in section["results"] if r["policy"] == WRITE_ON_STAR]
    assert flagged == ["exporter-policy"]
    assert [w["urn"].rsplit("::", 1)[-1] for w in section["waivers"]] == [
        "aws-load-balancer-controller-policy"
    ]
    assert "iam_policy.json" in section["waivers"][0]["reason"]


def test_disabled_policy_is_not_evaluated() -> None:
    config = parse_config({WRITE_ON_STAR: "disabled"}, "t.json")
    section = evaluate(_wildcard_write_plan(), "dev", config=config)
    assert WRITE_ON_STAR not in section["evaluated"]
    assert not [r for r in section["results"] if r["policy"] == WRITE_ON_STAR]


def test_advisory_override_keeps_the_result_but_not_the_failure() -> None:
    config = parse_config({WRITE_ON_STAR: "advisory"}, "t.json")
    section = evaluate(_wildcard_write_plan(), "dev", config=config)
    levels = {r["level"] for r in section["results"] if r["policy"] == WRITE_ON_STAR}
    assert levels == {"advisory"}
    assert section["mandatoryViolations"] == 0
    assert section["advisoryViolations"] == 2


def test_remediate_is_reported_as_mandatory() -> None:
    config = parse_config({"all": "remediate"}, "t.json")
    section = evaluate(_wildcard_write_plan(), "dev", config=config)
    assert section["mandatoryViolations"] == 2


def test_exception_on_a_compliant_resource_records_no_waiver() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::kb/*"}
    resources = [
        res("aws:iam/policy:Policy", "aws-load-balancer-controller-extra", {"policy": doc(statement)})
    ]
    section = evaluate(resources, "dev")
    assert section["results"] == [] and section["waivers"] == []


@pytest.mark.parametrize(
    "resource", ["exporter-policy", "exporter-*", "urn:pulumi:dev::*::aws:iam/policy:Policy::exporter-policy"]
)
def test_an_exception_names_a_resource_by_name_or_by_urn(resource: str) -> None:
    reason = "the exporter creates groups it cannot name in advance"
    config = parse_config(
        {WRITE_ON_STAR: {"exceptions": [{"resource": resource, "reason": reason}]}}, "t.json"
    )
    section = evaluate(_wildcard_write_plan(), "dev", config=config)
    waived = [w["urn"].rsplit("::", 1)[-1] for w in section["waivers"] if w["policy"] == WRITE_ON_STAR]
    assert waived == ["exporter-policy"]


@pytest.mark.parametrize(
    ("entry", "valid"),
    [
        ({"resource": "x", "reason": "y"}, True),
        ({"resource": "", "reason": "y"}, False),
        ({"resource": "x", "reason": ""}, False),
        ({"resource": "x"}, False),
        ({"resource": "x", "reason": "y", "until": "2027-01-01"}, False),
    ],
)
def test_the_pulumi_cli_sees_the_same_exception_rules(entry: dict[str, Any], valid: bool) -> None:
    # `pulumi preview --policy-pack-config` validates each policy's config against its JSON schema.
    schema = policy_by_name(WRITE_ON_STAR).config_schema
    assert schema is not None
    errors = list(Draft7Validator(schema.properties["exceptions"]).iter_errors([entry]))
    assert (errors == []) is valid, errors


def test_an_exception_by_name_waives_a_stack_policy_violation_on_that_resource_only() -> None:
    versioning = "aws-s3-bucket-enable-versioning"
    reason = "scratch data, rebuilt from the source every night"
    config = parse_config({versioning: {"exceptions": [{"resource": "scratch", "reason": reason}]}}, "t.json")
    resources = bucket_with("scratch", versioning=None) + bucket_with("data", versioning=None)
    section = evaluate(resources, "dev", config=config)
    flagged = [r["urn"].rsplit("::", 1)[-1] for r in section["results"] if r["policy"] == versioning]
    assert flagged == ["data"]
    assert [(w["urn"].rsplit("::", 1)[-1], w["reason"]) for w in section["waivers"]] == [("scratch", reason)]


def test_a_setting_at_its_minimum_is_accepted() -> None:
    retention = "aws-cloudwatch-loggroup-configure-retention"
    config = parse_config({retention: {"minimumRetentionDays": 1}}, "t.json")
    assert config.config_for(policy_by_name(retention))["minimumRetentionDays"] == 1
