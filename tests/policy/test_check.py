"""`kubeboard check <plan.json>`: a plan made elsewhere is judged by the same pack, with the same exit codes.

Each class of access mistake is planted into a copy of the real prod plan; the check must exit 1 and
name the policy. The documented exit codes are written out as numbers on purpose.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.cli import main
from tests.conftest import plan_for
from tests.policy.plans import doc, res

Plan = dict[str, Any]


def _check(tmp_path: Path, plan: Plan, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _add(*resources: dict[str, Any]) -> Callable[[Plan], None]:
    def plant(plan: Plan) -> None:
        for resource in resources:
            plan["resources"].append({**resource, "urn": resource["urn"].replace(":dev::", ":prod::")})

    return plant


def _only(plan: Plan, token: str, name_part: str = "") -> dict[str, Any]:
    found = [r for r in plan["resources"] if r["type"] == token and name_part in r["name"]]
    assert found, f"the prod plan has no {token} {name_part}"
    return found[0]


def _public_endpoint_of_halves(plan: Plan) -> None:
    cluster = _only(plan, "eks:index:Cluster")
    cluster["inputs"].update(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/1", "128.0.0.0/1"])


def _argocd_local_admin(plan: Plan) -> None:
    release = [
        r
        for r in plan["resources"]
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"].get("chart") == "argo-cd"
    ]
    assert release, "the prod plan has no Argo CD release"
    release[0]["inputs"]["values"]["configs"]["cm"]["admin.enabled"] = True


def _root_application_on_main(plan: Plan) -> None:
    root = _only(plan, "kubernetes:argoproj.io/v1alpha1:Application")
    root["inputs"]["spec"]["source"]["targetRevision"] = "main"


GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
PLANTED: dict[str, tuple[str, Callable[[Plan], None]]] = {
    "admin attachment": (
        "aws-iam-disallow-admin-policy-attachment",
        _add(
            res(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "ops-admin",
                {"role": "ops", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            )
        ),
    ),
    "assume any role": (
        "aws-iam-disallow-assume-or-pass-any-role",
        _add(
            res(
                "aws:iam/rolePolicy:RolePolicy",
                "hop",
                {
                    "role": "r",
                    "policy": doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
                },
            )
        ),
    ),
    "GitHub sub wildcard": (
        "aws-iam-role-trust-scoped",
        _add(
            res(
                "aws:iam/role:Role",
                "ci-any-repo",
                {
                    "assumeRolePolicy": doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": GITHUB},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {
                                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
                                },
                                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:kubeboard/*"},
                            },
                        }
                    )
                },
            )
        ),
    ),
    "another account without condition": (
        "aws-iam-role-trust-scoped",
        _add(
            res(
                "aws:iam/role:Role",
                "partner",
                {
                    "assumeRolePolicy": doc(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                            "Action": "sts:AssumeRole",
                        }
                    )
                },
            )
        ),
    ),
    "endpoint open to both halves of IPv4": (
        "aws-eks-cluster-disallow-api-endpoint-public-access",
        _public_endpoint_of_halves,
    ),
    "SNS topic policy open to anyone": (
        "aws-resource-policy-not-public",
        _add(
            res(
                "aws:sns/topicPolicy:TopicPolicy",
                "alerts-open",
                {"arn": "a", "policy": doc({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"})},
            )
        ),
    ),
    "Lambda permission to anyone": (
        "aws-resource-policy-not-public",
        _add(
            res(
                "aws:lambda/permission:Permission",
                "invoke-any",
                {"function": "f", "action": "lambda:InvokeFunction", "principal": "*"},
            )
        ),
    ),
    "Argo CD local admin in prod": ("argocd-disallow-local-admin-in-prod", _argocd_local_admin),
    "prod root Application on a branch": (
        "argocd-prod-application-tracks-promoted-revision",
        _root_application_on_main,
    ),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_real_plans_pass(stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _check(tmp_path, plan_for(stack), capsys)
    assert code == 0, output
    assert "0 mandatory violation(s)" in output


@pytest.mark.parametrize("label", PLANTED)
def test_each_class_fails_the_check_by_name(
    label: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, plant = PLANTED[label]
    plan = copy.deepcopy(plan_for("prod"))
    plant(plan)
    code, output = _check(tmp_path, plan, capsys)
    assert code == 1, output
    assert f"[mandatory] {policy}:" in output


def test_the_plans_own_verdict_is_not_trusted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = copy.deepcopy(plan_for("prod"))
    _public_endpoint_of_halves(plan)
    plan["policies"] = {"evaluated": [], "results": [], "mandatoryViolations": 0}
    code, _ = _check(tmp_path, plan, capsys)
    assert code == 1


def test_a_file_that_is_not_a_plan_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"stack": "prod"}', encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "not a plan.json" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.json")]) == 2


BARE_BUCKET = res("aws:s3/bucket:Bucket", "logs", {"bucket": "logs"})


def test_exit_code_follows_the_fresh_verdict_on_a_small_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean: Plan = {"stack": "dev", "resources": [], "outputs": {"token": "[secret]"}}
    failing: Plan = {"stack": "dev", "resources": [BARE_BUCKET]}
    assert _check(tmp_path, clean, capsys)[0] == 0
    code, output = _check(tmp_path, failing, capsys)
    assert code == 1
    assert "[mandatory] aws-s3-bucket-enable-server-side-encryption:" in output


def test_exit_code_1_for_a_secret_leaked_through_a_stack_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kubeboard_infra.settings.secrets import PLAN_PLACEHOLDER_PREFIX

    plan: Plan = {"stack": "dev", "resources": [], "outputs": {"token": f"{PLAN_PLACEHOLDER_PREFIX}x"}}
    code, output = _check(tmp_path, plan, capsys)
    assert code == 1
    assert "stack output 'token' exposes a secret from the stack file in clear" in output


def test_exit_code_judges_as_the_stack_given_else_the_plans_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kubeboard_infra.plan.check import PlanFileError, judge

    plan: Plan = {"stack": "dev", "resources": []}
    assert judge(plan)["stack"] == "dev"
    assert judge(plan, "prod")["stack"] == "prod"
    with pytest.raises(PlanFileError, match="pass --stack"):
        judge({"resources": []})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"resources": []}), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert main(["check", str(path), "--stack", "dev"]) == 0
    capsys.readouterr()


def test_exit_code_2_for_an_invalid_policy_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeboard_policy import offline
    from kubeboard_policy.config import PolicyConfigError

    def invalid(stack: str) -> Any:
        raise PolicyConfigError(f"policy/config/{stack}.json: enforcement level must be one of [...]")

    monkeypatch.setattr(offline, "load_stack_config", invalid)
    code, output = _check(tmp_path, {"stack": "dev", "resources": []}, capsys)
    assert code == 2
    assert "error: policy/config/dev.json: enforcement level must be one of" in output
