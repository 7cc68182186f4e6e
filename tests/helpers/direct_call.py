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

REGION = "ap-northeast-2"


class RecordingMocks(PlanMocks):
    """The plan's mocks, keeping each resource a provider would create (components too, with
    ``components``)."""

    def __init__(self, stack: str = "dev", *, components: bool = False) -> None:
        super().__init__(region=REGION, stack=stack)
        self.components = components
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.custom or self.components:
            self.created.append(args)
        return super().new_resource(args)

    def of_type(self, token: str) -> list[MockResourceArgs]:
        return [r for r in self.created if r.typ == token]


def install[Mocks: RecordingMocks](recording: Mocks) -> Mocks:
    """Make ``recording`` the mock runtime of the next program."""
    pulumi.runtime.set_mocks(recording, project="kubeboard", stack=recording.stack, preview=False)
    ROOT.set(None)  # each program gets a fresh stack, as under the CLI
    return recording


def install_mocks(stack: str = "dev", *, components: bool = False) -> RecordingMocks:
    return install(RecordingMocks(stack, components=components))


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


def assert_refused(program: Callable[[], object], message: str, recording: RecordingMocks) -> None:
    """``program`` raises one `ArgsError` saying ``message``, and nothing of it reached ``recording``."""
    said = str(refusal(program))
    assert said == message, f"{said!r} != {message!r}"
    assert recording.created == [], recording.created
