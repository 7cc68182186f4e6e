"""Every policy has a plan that violates it and a plan that passes it, judged by the offline evaluator."""

from __future__ import annotations

import pytest

from kubeboard_policy import all_policies
from kubeboard_policy.config import PackConfig
from kubeboard_policy.offline import evaluate
from tests.policy.cases import CASES, Case

NAMES = {p.name for p in all_policies()}


def test_every_policy_has_a_failing_and_a_passing_case() -> None:
    failing = {c.policy for c in CASES if c.violates}
    passing = {c.policy for c in CASES if not c.violates}
    assert NAMES - failing == set(), "policies without a violating case"
    assert NAMES - passing == set(), "policies without a passing case"
    assert {c.policy for c in CASES} <= NAMES, "cases for unknown policies"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    section = evaluate(case.resources, case.stack, config=PackConfig())
    mine = [r for r in section["results"] if r["policy"] == case.policy]
    crashed = [r for r in section["results"] if r["message"].startswith("policy failed")]
    assert crashed == []
    if case.violates:
        assert mine, f"{case.policy} did not report {case.label}"
        assert all(r["urn"] for r in mine), "every violation names a resource"
        if case.says is not None:
            assert any(case.says in r["message"] for r in mine), [r["message"] for r in mine]
    else:
        assert mine == [], f"{case.policy} reported a compliant plan: {mine}"


def test_pack_metadata_is_complete() -> None:
    policies = all_policies()
    assert len(policies) >= 30
    for policy in policies:
        assert policy.description and policy.severity is not None and policy.enforcement_level is not None
        assert policy.resource_types, f"{policy.name} reads no resource type"
        assert policy.config_schema is not None and "exceptions" in policy.config_schema.properties
