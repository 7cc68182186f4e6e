"""Build one component on its own under Pulumi's mock runtime, recording every resource it registers."""

from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockResourceArgs
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from kubeboard_infra.args import ArgsError
from kubeboard_infra.plan.mocks import PlanMocks


class RecordingMocks(PlanMocks):
    """The plan's mocks, keeping each resource a provider would create (components left out)."""

    def __init__(self, stack: str = "dev") -> None:
        super().__init__(region="ap-northeast-2", stack=stack)
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.custom:
            self.created.append(args)
        return super().new_resource(args)


def install_mocks(stack: str = "dev") -> RecordingMocks:
    recording = RecordingMocks(stack)
    pulumi.runtime.set_mocks(recording, project="kubeboard", stack=stack, preview=False)
    ROOT.set(None)  # each program gets a fresh stack, as under the CLI
    return recording


def run(program: Callable[[], object]) -> None:
    """Run ``program`` as a stack's program to completion."""
    _sync_await(run_in_stack(lambda: program() and None))


def refusal(program: Callable[[], object]) -> ArgsError:
    """The `ArgsError` ``program`` raises (fails the test when it raises none)."""
    try:
        run(program)
    except ArgsError as error:
        return error
    raise AssertionError("the component built from args it should refuse")
