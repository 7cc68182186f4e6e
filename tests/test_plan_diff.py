"""The plan diff: added / removed / changed resources, property paths, and replacements flagged."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kubeboard_infra.plan.diff import diff_plans, render_markdown
from tests.policy.plans import res

VPC = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "tags": {"Name": "kb"}})
SUBNET = res(
    "aws:ec2/subnet:Subnet", "private-a", {"cidrBlock": "10.0.32.0/19", "availabilityZone": "ap-northeast-2a"}
)
FS = res("aws:efs/fileSystem:FileSystem", "shared", {"encrypted": True, "kmsKeyId": "arn:k1"}, protect=True)
ACL = res(
    "aws:wafv2/webAcl:WebAcl",
    "acl",
    {"name": "kb", "rules": [{"name": "rate", "statement": {"rateBasedStatement": {"limit": 2000}}}]},
)
POLICY = res(
    "aws:iam/policy:Policy",
    "exporter",
    {
        "policy": json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:a"}]}
        )
    },
)


def plan(*resources: dict[str, Any], stack: str = "prod") -> dict[str, Any]:
    return {"project": "kubeboard", "stack": stack, "resources": [copy.deepcopy(r) for r in resources]}


def changed(diff: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in diff["changed"] if c["name"] == name)


def test_identical_plans_have_no_changes() -> None:
    diff = diff_plans(plan(VPC, SUBNET), plan(VPC, SUBNET))
    assert diff["summary"] == {"added": 0, "removed": 0, "changed": 0, "replaced": 0, "aliased": 0}
    assert "No resource changes" in render_markdown(diff)


def test_added_and_removed_resources() -> None:
    diff = diff_plans(plan(VPC, SUBNET), plan(VPC, ACL))
    assert [r["name"] for r in diff["added"]] == ["acl"]
    assert [r["name"] for r in diff["removed"]] == ["private-a"]
    assert diff["changed"] == []


def test_in_place_change_lists_the_property_path() -> None:
    head = plan(VPC, ACL)
    head["resources"][1]["inputs"]["rules"][0]["statement"]["rateBasedStatement"]["limit"] = 500
    head["resources"][0]["inputs"]["tags"]["Name"] = "kb-prod"
    diff = diff_plans(plan(VPC, ACL), head)
    acl = changed(diff, "acl")
    assert acl["properties"] == [
        {
            "path": "rules[0].statement.rateBasedStatement.limit",
            "before": 2000,
            "after": 500,
            "replaces": False,
        }
    ]
    assert not acl["replace"]
    assert changed(diff, "vpc")["properties"][0]["path"] == "tags.Name"
    assert diff["summary"]["replaced"] == 0


@pytest.mark.parametrize(
    ("resource", "path", "value"),
    [
        (VPC, "cidrBlock", "10.1.0.0/16"),
        (SUBNET, "availabilityZone", "ap-northeast-2b"),
        (SUBNET, "cidrBlock", "10.0.64.0/19"),
        (FS, "encrypted", False),
        (FS, "kmsKeyId", "arn:k2"),
        (res("eks:index:Cluster", "cluster", {"name": "kb"}), "name", "kb2"),
        (
            res("aws:kms/key:Key", "key", {"customerMasterKeySpec": "SYMMETRIC_DEFAULT"}),
            "customerMasterKeySpec",
            "RSA_2048",
        ),
        (res("aws:s3/bucket:Bucket", "data", {"bucket": "kb-data"}), "bucket", "kb-data-2"),
        (res("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "loki"}}), "metadata.name", "logs"),
    ],
)
def test_immutable_property_change_is_a_replacement(resource: dict[str, Any], path: str, value: Any) -> None:
    head = plan(resource)
    target = head["resources"][0]["inputs"]
    *parents, leaf = path.split(".")
    for step in parents:
        target = target[step]
    target[leaf] = value
    diff = diff_plans(plan(resource), head)
    change = changed(diff, resource["name"])
    assert change["replace"] is True
    assert [p["path"] for p in change["properties"] if p["replaces"]] == [path]
    assert diff["summary"]["replaced"] == 1
    assert "Replacements" in render_markdown(diff)


def test_json_documents_are_compared_as_documents() -> None:
    head = plan(POLICY)
    document = json.loads(head["resources"][0]["inputs"]["policy"])
    document["Statement"][0]["Resource"] = "arn:b"
    head["resources"][0]["inputs"]["policy"] = json.dumps(document, indent=2)  # formatting alone is no change
    diff = diff_plans(plan(POLICY), head)
    assert [p["path"] for p in changed(diff, "exporter")["properties"]] == ["policy.Statement[0].Resource"]


def test_masked_secrets_stay_masked_and_equal() -> None:
    base = plan(res("aws:secretsmanager/secretVersion:SecretVersion", "s", {"secretString": "[secret]"}))
    assert diff_plans(base, copy.deepcopy(base))["changed"] == []


def test_protect_change_and_protected_removal_are_called_out() -> None:
    unprotected = copy.deepcopy(FS)
    unprotected["protect"] = False
    diff = diff_plans(plan(FS), plan(unprotected))
    assert changed(diff, "shared")["properties"] == [
        {"path": "options.protect", "before": True, "after": False, "replaces": False}
    ]
    removal = render_markdown(diff_plans(plan(FS, VPC), plan(VPC)))
    assert "Protected resources removed" in removal and "`shared`" in removal


def test_markdown_escapes_table_breakers_and_truncates() -> None:
    head = plan(VPC)
    head["resources"][0]["inputs"]["tags"]["Name"] = "a|b`c" + "x" * 200
    text = render_markdown(diff_plans(plan(VPC), head))
    row = next(line for line in text.splitlines() if "tags.Name" in line)
    assert "a\\|b'c" in row and "…" in row
    assert row.count(" | ") == 4


def test_diff_is_json_serialisable() -> None:
    diff = diff_plans(plan(VPC, SUBNET, FS), plan(VPC, ACL))
    assert json.loads(json.dumps(diff)) == diff


def _row(text: str, fragment: str) -> str:
    return next(line for line in text.splitlines() if fragment in line)


def test_change_rows_flag_replacements_only_where_aws_replaces() -> None:
    head = plan(VPC)
    head["resources"][0]["inputs"]["cidrBlock"] = "10.1.0.0/16"
    head["resources"][0]["inputs"]["tags"]["Name"] = "kb-prod"
    text = render_markdown(diff_plans(plan(VPC), head))
    assert "⚠️ **replace**" in _row(text, "| `cidrBlock`")
    assert "replace" not in _row(text, "| `tags.Name`")
    assert "| `vpc` (Vpc) |" in _row(text, "| `tags.Name`")


def test_an_index_inside_a_path_still_reaches_the_replacing_property() -> None:
    cluster = res(
        "aws:eks/cluster:Cluster",
        "eks",
        {"encryptionConfig": [{"provider": {"keyArn": "arn:k1"}, "resources": ["secrets"]}]},
    )
    head = plan(cluster)
    head["resources"][0]["inputs"]["encryptionConfig"][0]["provider"]["keyArn"] = "arn:k2"
    diff = diff_plans(plan(cluster), head)
    assert changed(diff, "eks")["properties"] == [
        {
            "path": "encryptionConfig[0].provider.keyArn",
            "before": "arn:k1",
            "after": "arn:k2",
            "replaces": True,
        }
    ]


def test_a_string_that_only_looks_like_json_is_compared_as_text() -> None:
    base = res("aws:ssm/parameter:Parameter", "p", {"value": "{not json"})
    head = plan(base)
    head["resources"][0]["inputs"]["value"] = "{not json either"
    [prop] = changed(diff_plans(plan(base), head), "p")["properties"]
    assert (prop["before"], prop["after"]) == ("{not json", "{not json either")


def _buckets(count: int) -> list[dict[str, Any]]:
    return [res("aws:s3/bucket:Bucket", f"b{i:03}", {"bucket": f"b{i:03}"}) for i in range(count)]


@pytest.mark.parametrize(("count", "more"), [(150, None), (151, "| … and 1 more | | |")])
def test_added_list_stops_at_150_rows(count: int, more: str | None) -> None:
    text = render_markdown(diff_plans(plan(), plan(*_buckets(count))))
    rows = [line for line in text.splitlines() if line.startswith("| `b")]
    assert len(rows) == 150
    assert rows[0] == "| `b000` | Bucket |  |"
    assert (more in text) if more else ("more |" not in text)


@pytest.mark.parametrize(("count", "more"), [(150, None), (151, "| … and 1 more property changes |")])
def test_change_list_stops_at_150_rows(count: int, more: str | None) -> None:
    base = _buckets(count)
    head = copy.deepcopy(base)
    for bucket in head:
        bucket["inputs"]["tags"] = {"Owner": "platform"}
    text = render_markdown(diff_plans(plan(*base), plan(*head)))
    rows = [line for line in text.splitlines() if "`tags`" in line]
    assert len(rows) == 150
    assert (more in text) if more else ("more property changes" not in text)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("x" * 60, "`" + "x" * 60 + "`"), ("x" * 61, "`" + "x" * 59 + "…`")],
)
def test_values_of_60_characters_are_shown_whole(value: str, cell: str) -> None:
    head = plan(VPC)
    head["resources"][0]["inputs"]["tags"]["Name"] = value
    row = _row(render_markdown(diff_plans(plan(VPC), head)), "tags.Name")
    assert f"| {cell} |" in row


def test_changes_past_the_limit_are_all_counted() -> None:
    base = _buckets(151)
    head = copy.deepcopy(base)
    for bucket in head[:150]:
        bucket["inputs"]["tags"] = {"Owner": "platform"}
    head[150]["inputs"].update(tags={"Owner": "platform"}, acl="private", forceDestroy=False)
    text = render_markdown(diff_plans(plan(*base), plan(*head)))
    assert "| … and 3 more property changes |" in text
