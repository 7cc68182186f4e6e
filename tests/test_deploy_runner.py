"""DeployRunner on its own under Pulumi's mock runtime: bad arguments stop it before any resource."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from kubeboard_infra.deploy_runner import DeployRunner, DeployRunnerArgs
from kubeboard_infra.plan.mocks import PlanMocks

CONNECTION = (
    "arn:aws:codeconnections:ap-northeast-2:111122223333:connection/8a3c9f0e-5b1d-4e7a-9c2f-1d6b0e4a7f31"
)


class RecordingMocks(PlanMocks):
    def __init__(self) -> None:
        super().__init__(region="ap-northeast-2", stack="dev")
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return super().new_resource(args)


@pytest.fixture
def mocks() -> RecordingMocks:
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="kubeboard", stack="dev", preview=False)
    ROOT.set(None)
    return recording


def _args(**overrides: Any) -> DeployRunnerArgs:
    args: dict[str, Any] = {
        "name": "payments",
        "repository": "acme/payments-infra",
        "connection_arn": CONNECTION,
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0a", "subnet-0b"],
        "cluster_security_group_id": "sg-0cluster",
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def _deploy(args: DeployRunnerArgs) -> None:
    _sync_await(run_in_stack(lambda: DeployRunner("runner", args)))


def test_defaults_give_a_medium_ubuntu_runner_named_after_the_prefix(mocks: RecordingMocks) -> None:
    _deploy(_args())
    [project] = [r for r in mocks.created if r.typ == "aws:codebuild/project:Project"]
    assert project.inputs["name"] == "payments-deploy"
    assert project.inputs["environment"]["computeType"] == "BUILD_GENERAL1_MEDIUM"
    assert project.inputs["environment"]["image"] == "aws/codebuild/standard:7.0"
    assert project.inputs["buildTimeout"] == 120
    [key] = [r for r in mocks.created if r.typ == "aws:kms/key:Key"]
    assert key.inputs["enableKeyRotation"] is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repository": "acme/*"}, "wildcard"),
        ({"repository": "payments-infra"}, "owner/name"),
        ({"image": "aws/codebuild/amazonlinux-x86_64-standard:5.0"}, "Ubuntu"),
    ],
)
def test_bad_arguments_stop_it_before_any_resource(
    mocks: RecordingMocks, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _deploy(_args(**overrides))
    assert [r for r in mocks.created if r.typ.startswith("aws:")] == []
