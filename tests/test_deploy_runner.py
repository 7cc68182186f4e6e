"""DeployRunner on its own under Pulumi's mock runtime: bad arguments stop it before any resource."""

from __future__ import annotations

from typing import Any

import pytest

from kubeboard_infra.deploy_runner import DeployRunner, DeployRunnerArgs

from .helpers.direct_call import RecordingMocks, install_mocks, run

CONNECTION = (
    "arn:aws:codeconnections:ap-northeast-2:111122223333:connection/8a3c9f0e-5b1d-4e7a-9c2f-1d6b0e4a7f31"
)


@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks("dev", components=True)


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
    run(lambda: DeployRunner("runner", args))


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
