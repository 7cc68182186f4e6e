"""Aliases in the plan: the old URNs the engine would find a renamed or moved resource under.

A program is recorded twice, before and after a refactoring; the diff of the two plans must show
the moved resources as kept (no delete, no create), exactly when the aliases are right.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from kubeboard_infra.plan.aliases import AliasSpec, alias_urns, collapse, inherited_child_alias, match_old
from kubeboard_infra.plan.diff import diff_plans, render_markdown
from kubeboard_infra.plan.mocks import PlanMocks
from kubeboard_infra.plan.recorder import RecordingMonitor

STACK = "prod"
PROJECT = "kubeboard"
BUCKET = "aws:s3/bucket:Bucket"
ROOT_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def urn(qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified_type}::{name}"


class Storage(pulumi.ComponentResource):
    """A component with one bucket child named after it, as ours name theirs."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None, *, child: str = "logs") -> None:
        super().__init__("kubeboard:index:Storage", name, None, opts)
        aws.s3.Bucket(f"{name}-{child}", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def record(program: Callable[[], None]) -> dict[str, Any]:
    """The plan.json resources of one program run under the recording monitor."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = PlanMocks(region="ap-northeast-2", stack=STACK)
    monitor = RecordingMonitor(mocks)
    set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    ROOT.set(None)
    _sync_await(run_in_stack(program))
    return {"stack": STACK, "resources": [r.to_json() for r in monitor.recording.resources]}


def test_a_renamed_component_keeps_its_children_through_inherited_aliases() -> None:
    base = record(lambda: Storage("storage"))

    def renamed() -> None:
        Storage("shared-storage", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="storage")]))

    head = record(renamed)
    diff = diff_plans(base, head)
    assert diff["summary"] == {"added": 0, "removed": 0, "changed": 0, "replaced": 0, "aliased": 2}
    bucket = next(r for r in head["resources"] if r["type"] == BUCKET)
    # "<parent>-logs" follows its parent's old name, as the engine derives it.
    assert urn(f"kubeboard:index:Storage${BUCKET}", "storage-logs") in bucket["aliases"]
    assert "2 kept under a new name through their aliases" in render_markdown(diff)


def test_without_the_alias_the_same_rename_deletes_and_creates() -> None:
    base = record(lambda: Storage("storage"))
    head = record(lambda: Storage("shared-storage"))
    diff = diff_plans(base, head)
    assert diff["summary"]["removed"] == 2
    assert diff["summary"]["added"] == 2
    assert diff["summary"]["aliased"] == 0


def test_a_child_moved_out_of_its_component_is_kept_by_an_alias_to_its_old_parent() -> None:
    base = record(lambda: Storage("storage"))

    def moved() -> None:
        Storage("storage", child="other")
        aws.s3.Bucket(
            "storage-logs",
            opts=pulumi.ResourceOptions(
                aliases=[pulumi.Alias(parent=urn("kubeboard:index:Storage", "storage"))]
            ),
        )

    diff = diff_plans(base, record(moved))
    assert [r["name"] for r in diff["aliased"]] == ["storage-logs"]
    assert [r["name"] for r in diff["added"]] == ["storage-other"]
    assert diff["removed"] == []


def test_collapse_follows_the_engine_defaults() -> None:
    here = {"name": "b", "type_": BUCKET, "parent": ROOT_URN, "project": PROJECT, "stack": STACK}
    # A parent that is the root stack is left out of the URN.
    assert collapse(AliasSpec(name="a"), **here) == [urn(BUCKET, "a")]
    assert collapse(AliasSpec(no_parent=True, type="aws:s3/bucketV2:BucketV2"), **here) == [
        urn("aws:s3/bucketV2:BucketV2", "b")
    ]
    assert collapse(AliasSpec(urn="urn:x"), **here) == ["urn:x"]
    assert collapse(AliasSpec(stack="dev"), **here) == [f"urn:pulumi:dev::{PROJECT}::{BUCKET}::b"]


def test_inherited_alias_renames_only_a_prefix_of_the_parent_name() -> None:
    old_parent = urn("kubeboard:index:Storage", "old")
    here = {"project": PROJECT, "stack": STACK}
    assert inherited_child_alias(BUCKET, "new-logs", "new", old_parent, **here) == urn(
        f"kubeboard:index:Storage${BUCKET}", "old-logs"
    )
    assert inherited_child_alias(BUCKET, "logs", "new", old_parent, **here) == urn(
        f"kubeboard:index:Storage${BUCKET}", "logs"
    )


def test_an_alias_naming_an_aliased_parent_is_tried_under_the_parents_old_urns() -> None:
    parent = urn("kubeboard:index:Store", "s")
    old_parent = urn("kubeboard:index:Storage", "s")
    found = alias_urns(
        urn=urn(f"kubeboard:index:Store${BUCKET}", "n"),
        name="n",
        type_=BUCKET,
        parent=parent,
        specs=[AliasSpec(name="o", parent_urn=parent)],
        known={parent: [old_parent]},
    )
    assert urn(f"kubeboard:index:Storage${BUCKET}", "o") in found
    assert urn(f"kubeboard:index:Store${BUCKET}", "o") in found


def test_an_old_urn_is_taken_once_and_the_own_urn_comes_first() -> None:
    head = [
        {"urn": "urn:new-a", "aliases": ["urn:old"]},
        {"urn": "urn:new-b", "aliases": ["urn:old"]},
        {"urn": "urn:old", "aliases": []},
    ]
    assert match_old(head, ["urn:old"]) == {"urn:old": "urn:old"}
    assert match_old(head[:2], ["urn:old"]) == {"urn:new-a": "urn:old"}
