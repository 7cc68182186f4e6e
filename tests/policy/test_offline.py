"""The offline evaluator: the plan.json `policies` contract, unknowns, secrets and broken policies."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import Severity
from pulumi_policy.policy import _NotApplicableError

from kubeboard_policy import all_policies
from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.config import PackConfig
from kubeboard_policy.offline import evaluate
from tests.policy.plans import bucket_with, res

REPO = "aws:ecr/repository:Repository"


def test_section_follows_the_plan_contract() -> None:
    section = evaluate([res(REPO, "app", {"imageTagMutability": "MUTABLE"})], "dev", config=PackConfig())
    assert section["evaluated"] == [p.name for p in all_policies()]
    assert section["results"]
    for result in section["results"]:
        assert {"policy", "level", "urn", "message"} <= set(result)
        assert result["level"] in ("mandatory", "advisory")
    assert section["mandatoryViolations"] == sum(r["level"] == "mandatory" for r in section["results"])


def test_compliant_fragment_has_no_violation() -> None:
    assert evaluate(bucket_with(protect=True), "prod")["results"] == []


def test_unknown_value_is_advisory_like_a_preview() -> None:
    section = evaluate([res(REPO, "app", {"imageTagMutability": "[unknown]"})], "dev", config=PackConfig())
    unknown = [r for r in section["results"] if r["policy"] == "aws-ecr-repository-disallow-mutable-image"]
    assert [r["level"] for r in unknown] == ["advisory"]
    assert "can't run during an offline plan" in unknown[0]["message"]


def test_masked_policy_document_is_not_misread() -> None:
    resources = [res("aws:iam/rolePolicy:RolePolicy", "p", {"policy": "[secret]"})]
    assert evaluate(resources, "dev", config=PackConfig())["results"] == []


def test_a_broken_policy_fails_the_plan_instead_of_crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(_args: Any, _report: Any) -> None:
        raise KeyError("boom")

    broken = TypedResourcePolicy(
        name="broken", description="d", resource_types=[REPO], check=explode, severity=Severity.LOW
    )
    monkeypatch.setattr("kubeboard_policy.offline.all_policies", lambda: [broken])
    section = evaluate([res(REPO, "app")], "dev", config=PackConfig())
    assert section["mandatoryViolations"] == 1
    assert section["results"][0]["message"].startswith("policy failed: KeyError")


def test_stack_policies_see_dependencies_and_ids() -> None:
    """A public access block that names its bucket only through a dependency still counts."""
    resources = bucket_with()
    resources[1]["inputs"]["bucket"] = "[unknown]"
    section = evaluate(resources, "dev", config=PackConfig())
    assert not [r for r in section["results"] if r["policy"] == "aws-s3-bucket-enable-public-access-block"]


def test_prod_only_policies_follow_the_stack_argument() -> None:
    cluster = [res("eks:index:Cluster", "c", {"authenticationMode": "API"})]
    name = "aws-eks-cluster-disallow-api-endpoint-public-access"
    assert [r for r in evaluate(cluster, "prod")["results"] if r["policy"] == name]
    assert not [r for r in evaluate(cluster, "dev")["results"] if r["policy"] == name]


def test_a_violation_without_message_reads_the_policy_description_and_carries_its_severity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terse = TypedResourcePolicy(
        name="terse",
        description="repositories must be immutable",
        resource_types=[REPO],
        check=lambda _args, report: report("", None),
        severity=Severity.HIGH,
    )
    monkeypatch.setattr("kubeboard_policy.offline.all_policies", lambda: [terse])
    [result] = evaluate([res(REPO, "app")], "dev", config=PackConfig())["results"]
    assert (result["message"], result["severity"]) == ("repositories must be immutable", "high")


def test_stack_policies_see_each_resource_s_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    def parents(args: Any, report: Any) -> None:
        for resource in args.resources:
            report(f"{resource.name} in {resource.parent.name if resource.parent else None}", resource.urn)

    seen = GraphStackPolicy(
        name="parents", description="d", resource_types=[REPO], check=parents, severity=Severity.LOW
    )
    monkeypatch.setattr("kubeboard_policy.offline.all_policies", lambda: [seen])
    component = res("kubeboard:index:Registry", "registry")
    resources = [component, res(REPO, "app", parent=component)]
    messages = {r["message"] for r in evaluate(resources, "dev", config=PackConfig())["results"]}
    assert messages == {"registry in None", "app in registry"}


def test_a_stack_policy_that_does_not_apply_is_skipped_and_the_next_one_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_applicable(_args: Any, _report: Any) -> None:
        raise _NotApplicableError()

    def flags_every_repository(args: Any, report: Any) -> None:
        for resource in args.resources:
            report("flagged", resource.urn)

    policies = [
        GraphStackPolicy(
            name=name, description="d", resource_types=[REPO], check=check, severity=Severity.LOW
        )
        for name, check in (("skipped", not_applicable), ("flags", flags_every_repository))
    ]
    monkeypatch.setattr("kubeboard_policy.offline.all_policies", lambda: policies)
    section = evaluate([res(REPO, "app")], "dev", config=PackConfig())
    assert [(r["policy"], r["message"]) for r in section["results"]] == [("flags", "flagged")]
