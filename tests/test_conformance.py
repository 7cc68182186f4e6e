"""Provider input conformance: both plans' inputs against the provider SDKs' own input types."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.cli import EXIT_CONFIG, main
from kubeboard_infra.plan.conformance import check_resource
from tests.conftest import plan_for, resources_of


def _copy_of(token: str, stack: str = "prod") -> dict[str, Any]:
    return copy.deepcopy(resources_of(plan_for(stack), token)[0])


def _messages(resource: dict[str, Any]) -> list[str]:
    return [f"{finding.path}: {finding.message}" for finding in check_resource(resource)]


def test_every_input_of_both_plans_conforms(stack_plan: dict[str, Any]) -> None:
    section = stack_plan["conformance"]
    provider_resources = [
        r for r in stack_plan["resources"] if r["custom"] and not r["type"].startswith("pulumi:pulumi:")
    ]

    assert section["findings"] == []
    # Every resource a provider sees is judged, the pulumi-eks component included.
    assert section["checked"] == len(provider_resources) + len(resources_of(stack_plan, "eks:index:Cluster"))


def test_a_misspelt_nested_key_is_caught() -> None:
    acl = _copy_of("aws:wafv2/webAcl:WebAcl")
    visibility = acl["inputs"]["rules"][0]["visibilityConfig"]
    visibility["metricNmae"] = visibility.pop("metricName")

    assert _messages(acl) == [
        "rules[0].visibilityConfig.metricNmae: WebAclRuleVisibilityConfigArgs has no property 'metricNmae' "
        "(did you mean 'metricName'?)",
        "rules[0].visibilityConfig.metricName: missing required property of WebAclRuleVisibilityConfigArgs",
    ]


def test_a_string_where_a_number_belongs_is_caught() -> None:
    acl = _copy_of("aws:wafv2/webAcl:WebAcl")
    acl["inputs"]["rules"][0]["priority"] = "10"

    assert _messages(acl) == ['rules[0].priority: expected integer, got string "10"']


def test_a_missing_required_input_is_caught() -> None:
    function = _copy_of("aws:lambda/function:Function")
    del function["inputs"]["role"]

    assert _messages(function) == ["role: missing required property of FunctionArgs"]


def test_a_value_outside_a_closed_enum_is_caught() -> None:
    cluster = _copy_of("eks:index:Cluster")
    cluster["inputs"]["kubeProxyAddonOptions"]["resolveConflictsOnCreate"] = "REPLACE"

    assert _messages(cluster) == [
        "kubeProxyAddonOptions.resolveConflictsOnCreate: \"REPLACE\" is not one of 'NONE', 'OVERWRITE'"
    ]


def test_kubernetes_objects_and_custom_resources_are_judged_by_their_metadata() -> None:
    namespace = _copy_of("kubernetes:core/v1:Namespace")
    namespace["inputs"]["metadata"]["label"] = {"team": "platform"}
    application = _copy_of("kubernetes:argoproj.io/v1alpha1:Application")
    application["inputs"]["metadata"]["nmae"] = "root"

    assert _messages(namespace) == [
        "metadata.label: ObjectMetaArgs has no property 'label' (did you mean 'labels'?)"
    ]
    assert _messages(application) == [
        "metadata.nmae: ObjectMetaArgs has no property 'nmae' (did you mean 'name'?)"
    ]


def test_provider_configuration_is_judged_after_json_decoding() -> None:
    provider = _copy_of("pulumi:providers:aws")
    provider["inputs"]["skipRegionValidation"] = "yes"
    provider["inputs"]["defaultTags"] = json.dumps({"tag": {"Project": "kubeboard"}})

    assert sorted(_messages(provider)) == [
        "defaultTags.tag: ProviderDefaultTagsArgs has no property 'tag' (did you mean 'tags'?)",
        'skipRegionValidation: expected boolean (JSON-encoded), got string "yes"',
    ]


@pytest.mark.parametrize("masked", ["[secret]", "[unknown]"])
def test_secret_and_unknown_values_are_never_findings(masked: str) -> None:
    acl = _copy_of("aws:wafv2/webAcl:WebAcl")
    acl["inputs"]["rules"][0]["priority"] = masked
    acl["inputs"]["rules"][1] = masked

    assert _messages(acl) == []


def test_a_type_no_installed_sdk_declares_is_a_finding() -> None:
    bucket = _copy_of("aws:s3/bucket:Bucket")
    bucket["type"] = "aws:s3/bukket:Bukket"

    assert _messages(bucket) == [": no installed provider SDK declares this type"]


PROGRAM = """
import pulumi_aws as aws
import pulumi_kubernetes as k8s

aws.ec2.Vpc("vpc", cidr_block=10)
k8s.core.v1.Namespace("apps", metadata={"nmae": "apps"})
"""


def test_a_plan_a_provider_would_reject_exits_2_and_lists_the_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: conformance\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM))

    code = main(["plan", "test", "--cwd", str(tmp_path), "--quiet"])

    printed = capsys.readouterr().out
    plan = json.loads((tmp_path / "out" / "test" / "plan.json").read_text())
    report = (tmp_path / "out" / "test" / "report.md").read_text()
    assert code == EXIT_CONFIG
    assert [(f["type"], f["path"]) for f in plan["conformance"]["findings"]] == [
        ("aws:ec2/vpc:Vpc", "cidrBlock"),
        ("kubernetes:core/v1:Namespace", "metadata.nmae"),
    ]
    assert "aws:ec2/vpc:Vpc vpc: cidrBlock: expected string, got number 10" in printed
    assert "| `kubernetes:core/v1:Namespace apps` | `metadata.nmae` |" in report


def test_the_engines_own_resources_are_not_judged() -> None:
    reference = {
        "urn": "urn:pulumi:prod::kubeboard::pulumi:pulumi:StackReference::shared",
        "type": "pulumi:pulumi:StackReference",
        "custom": True,
        "inputs": {"name": "organization/kubeboard/shared"},
    }

    assert check_resource(reference) == []
