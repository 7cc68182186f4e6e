"""Rules for plain values several components take: e-mail addresses and Kubernetes names and quantities.

Each returns problem lines in the `ArgsError` shape (``<arg path>: <what is wrong>``), so a
component's ``problems()`` can add them and the stack-file settings report them under their key.
"""

import re
from collections.abc import Callable, Sequence

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CPU = re.compile(r"^([1-9]\d*m|\d+(\.\d+)?)$")
"""Millicores (``250m``) or cores (``2``, ``0.5``)."""
MEMORY = re.compile(r"^[1-9]\d*(Mi|Gi)$")
"""Mebibytes or gibibytes (``128Mi``, ``1Gi``)."""
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
"""A Kubernetes namespace or service account name (a DNS label)."""


def email_problems(path: str, emails: Sequence[str], *, required: bool = True) -> list[str]:
    """Each address well formed, none listed twice (SNS would subscribe it once), at least one if required."""
    if required and not emails:
        return [f"{path}: findings must reach someone; list at least one address"]
    problems = [
        f"{path}[{index}]: {email!r} is not an e-mail address"
        for index, email in enumerate(emails)
        if not EMAIL.match(email)
    ]
    lowered = [email.lower() for email in emails]
    problems += [
        f"{path}[{index}]: {email!r} is listed twice"
        for index, email in enumerate(emails)
        if email.lower() in lowered[:index]
    ]
    return problems


def cpu_problems(path: str, quantity: str) -> list[str]:
    if CPU.match(quantity):
        return []
    return [f"{path}: {quantity!r} is not a CPU quantity such as 100m or 0.5"]


def memory_problems(path: str, quantity: str) -> list[str]:
    if MEMORY.match(quantity):
        return []
    return [f"{path}: {quantity!r} is not a memory quantity such as 128Mi or 1Gi"]


def k8s_name_problems(path: str, name: str) -> list[str]:
    if K8S_NAME.match(name):
        return []
    return [f"{path}: {name!r} is not a Kubernetes name (lower-case DNS label)"]


def checked(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    """A validator from a one-value rule: the value back, or ``ValueError`` with the rule's message."""

    def check(value: str) -> str:
        if (found := problem(value)) is not None:
            raise ValueError(found)
        return value

    return check
