"""parliament (IAM linter) over every IAM policy document in both stacks' plans (D4).

Every document the plan carries is linted: identity policies, role trust policies and resource
policies (KMS keys, ECR repositories, EFS, S3, ...). Nothing above LOW may remain unless it is
listed in EXPLAINED with the reason it is not a defect.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string, enhance_finding

from .conftest import plan_for

DOCUMENT_KEYS = ("policy", "assumeRolePolicy", "policyDocument")
SEVERITY_ORDER = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]

# (issue, where it may appear, why it is not a defect)
EXPLAINED: list[tuple[str, str, str]] = [
    (
        "MALFORMED",
        "assumeRolePolicy",
        "Trust policies have no Resource element: the role itself is the resource. parliament lints "
        "identity policies and reports the missing element.",
    ),
    (
        "UNKNOWN_FEDERATION_SOURCE",
        "assumeRolePolicy",
        "parliament knows only Cognito, Amazon, Facebook and Google as web identity sources; the "
        "federated principals here are the cluster's and GitHub's IAM OIDC providers.",
    ),
    (
        "MALFORMED",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "ECR repository policies have no Resource element: the repository is implied.",
    ),
    (
        "UNKNOWN_CONDITION_FOR_ACTION",
        "aws-load-balancer-controller",
        "The upstream v3.5.0 controller policy conditions elasticloadbalancing:AddTags on "
        "elasticloadbalancing:CreateAction, a key AWS added after parliament's bundled IAM definitions.",
    ),
]


def _documents(plan: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
    for resource in plan["resources"]:
        for key in DOCUMENT_KEYS:
            value = resource["inputs"].get(key)
            if not isinstance(value, str) or '"Statement"' not in value:
                continue
            yield resource, key, json.loads(value)


def _explained(issue: str, resource: dict[str, Any], key: str) -> bool:
    return any(
        where in (key, resource["type"]) or where in resource["name"]
        for known, where, _ in EXPLAINED
        if issue == known
    )


@pytest.mark.parametrize("stack", ["shared", "dev", "prod"])
def test_no_iam_finding_above_low_that_is_not_explained(stack: str) -> None:
    plan = plan_for(stack)
    documents = list(_documents(plan))
    unexplained = []
    for resource, key, document in documents:
        policy = analyze_policy_string(json.dumps(document))
        for finding in map(enhance_finding, policy.findings):
            if SEVERITY_ORDER.index(finding.severity) <= 0:
                continue
            if not _explained(finding.issue, resource, key):
                unexplained.append(
                    f"{resource['name']} ({resource['type']}.{key}): {finding.issue} {finding.detail}"
                )
    # the documents this issue owns are all there: IRSA policies, trust policies, key and repo policies
    names = {resource["name"] for resource, _, _ in documents}
    if stack == "shared":
        assert {"registry-ecr", "image-scan-alerts-function"} <= names
    else:
        assert {"cluster-secrets", "shared-storage-efs"} <= names
        assert any(name.endswith("aws-load-balancer-controller-irsa-controller") for name in names)
    assert unexplained == []


def test_parliament_still_finds_a_real_problem() -> None:
    # A guard on the test above: an over-broad policy must produce a finding above LOW.
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}],
    }
    findings = [enhance_finding(f) for f in analyze_policy_string(json.dumps(bad)).findings]
    assert any(f.issue == "RESOURCE_MISMATCH" and f.severity == "MEDIUM" for f in findings)
