"""The one error a component raises for arguments it cannot build from.

Each component module keeps the only copy of its rules as ``problems(args) -> list[str]``: one line
per problem, each starting with the arg's path (``private_subnet_cidrs: ...``,
``node_groups[0].max_size: ...``). The component raises them as one `ArgsError` before it registers
anything; the stack-file settings call the same function and report each line under the stack key
that feeds the arg (`settings_key` turns the arg path into the key's camelCase spelling).
"""

import re
from collections.abc import Sequence


class ArgsError(ValueError):
    """A component was given args it cannot build from; ``problems`` lists each, naming its arg."""

    def __init__(self, component: str, problems: Sequence[str]) -> None:
        self.component = component
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{component} args: {self.problems[0]}"
        else:
            message = f"{component} args:\n" + "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(message)


def check_args(component: str, problems: Sequence[str]) -> None:
    """Raise `ArgsError` if there is any problem; call it before registering any resource."""
    if problems:
        raise ArgsError(component, problems)


_SNAKE_PART = re.compile(r"_([a-z0-9])")
# Another arg named inside a problem's text, quoted as ``min_size`` is: `min_size`.
_REFERENCE = re.compile(r"`([a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z][a-z0-9_]*(?:\[\d+\])?)*)`")


def _camel(path: str) -> str:
    return _SNAKE_PART.sub(lambda match: match.group(1).upper(), path)


def settings_key(problem: str) -> str:
    """``"node_groups[0].max_size: must be >= `min_size`"`` -> ``"nodeGroups[0].maxSize: must be >= minSize"``.

    The leading arg path and every other arg quoted in backticks take the stack file's spelling.
    """
    head, sep, rest = problem.partition(": ")
    if not sep or " " in head:
        return _REFERENCE.sub(lambda match: _camel(match.group(1)), problem)
    return _camel(head) + sep + _REFERENCE.sub(lambda match: _camel(match.group(1)), rest)
