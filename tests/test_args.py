"""The error a component raises for bad args, and the spelling of an arg path as a stack key."""

from typing import NotRequired, TypedDict, cast

import pytest

from kubeboard_infra import ArgsError, Network, NetworkArgs
from kubeboard_infra.args import check_args, missing_keys, settings_key

from .helpers.direct_call import install_mocks, refusal


def test_one_problem_is_one_line_naming_the_component_and_the_arg() -> None:
    with pytest.raises(ArgsError) as raised:
        check_args("Network", ["private_subnet_cidrs: needs one CIDR per availability zone (3), got 2"])
    assert str(raised.value) == (
        "Network args: private_subnet_cidrs: needs one CIDR per availability zone (3), got 2"
    )
    assert raised.value.problems == ["private_subnet_cidrs: needs one CIDR per availability zone (3), got 2"]


def test_several_problems_are_listed_one_per_line() -> None:
    with pytest.raises(ArgsError) as raised:
        check_args("Cluster", ["version: unsupported", "node_groups: at least one"])
    assert str(raised.value).splitlines() == [
        "Cluster args:",
        "  version: unsupported",
        "  node_groups: at least one",
    ]


def test_no_problem_raises_nothing() -> None:
    check_args("Cluster", [])


@pytest.mark.parametrize(
    ("problem", "key"),
    [
        ("node_groups[0].max_size: must be >= min_size", "nodeGroups[0].maxSize: must be >= min_size"),
        ("cidr: too small", "cidr: too small"),
        (
            "desired_size: must be between `min_size` (1) and `max_size` (3)",
            "desiredSize: must be between minSize (1) and maxSize (3)",
        ),
        (
            "private_subnet_cidrs[1]: 10.0.1.0/24 overlaps `public_subnet_cidrs[0]`",
            "privateSubnetCidrs[1]: 10.0.1.0/24 overlaps publicSubnetCidrs[0]",
        ),
        ("a message without a key", "a message without a key"),
    ],
)
def test_arg_paths_become_stack_keys(problem: str, key: str) -> None:
    assert settings_key(problem) == key


class _Group(TypedDict):
    name: str
    size: NotRequired[int]


class _Shape(TypedDict):
    name: str
    groups: list[_Group]
    main: NotRequired[_Group | None]


def test_missing_keys_are_named_at_every_depth() -> None:
    args = {"groups": [{"name": "a"}, {"size": 2}], "main": {"size": 1}}
    assert missing_keys(args, _Shape) == ["name: required", "groups[1].name: required", "main.name: required"]
    assert missing_keys({"name": "x", "groups": [], "main": None}, _Shape) == []


def test_a_component_missing_a_required_arg_names_it_before_its_rules_run() -> None:
    install_mocks()
    args = {"name": "kb", "cluster_name": "kb", "cidr": "10.0.0.0/16", "availability_zones": ["a", "b"]}

    error = refusal(lambda: Network("network", cast(NetworkArgs, args)))

    assert str(error) == "Network args:\n  private_subnet_cidrs: required\n  public_subnet_cidrs: required"
