"""The offline evaluator and the CLI's analyzer path judge every case identically."""

from __future__ import annotations

import pytest

from kubeboard_policy.config import PackConfig
from kubeboard_policy.context import evaluating_stack
from kubeboard_policy.offline import evaluate
from tests.policy.analyzer import violations
from tests.policy.cases import CASES, Case
from tests.policy.plans import doc, res


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_same_verdict_as_the_analyzer(case: Case) -> None:
    offline = {
        (r["policy"], r["urn"]) for r in evaluate(case.resources, case.stack, config=PackConfig())["results"]
    }
    with evaluating_stack(case.stack):
        online = violations(case.resources)
    assert offline == online


def test_exception_is_honoured_by_the_analyzer_too() -> None:
    policy = "aws-iam-policy-disallow-wildcard-resource-on-write"
    resources = [
        res(
            "aws:iam/rolePolicy:RolePolicy",
            "lb-controller",
            {"policy": doc({"Effect": "Allow", "Action": ["ec2:CreateSecurityGroup"], "Resource": "*"})},
        )
    ]
    assert (policy, resources[0]["urn"]) in violations(resources)
    config = {policy: {"exceptions": [{"resource": "lb-*", "reason": "upstream controller policy"}]}}
    assert violations(resources, config) == set()
