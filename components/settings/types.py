"""Value types shared by the settings sections, each validated where it is read."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ..log_retention import retention_problem
from ..names import dns_name_problem


def _retention(days: int) -> int:
    problem = retention_problem(days)
    if problem:
        raise ValueError(problem)
    return days


def _ipv4_network(text: str) -> str:
    try:
        network = ipaddress.IPv4Network(text, strict=True)
    except ValueError as error:
        raise ValueError(f"{text!r} is not an IPv4 CIDR block ({error})") from None
    return str(network)


_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def _role_arn(text: str) -> str:
    if not _ROLE_ARN.match(text):
        raise ValueError(f"{text!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    return text


def _dns_name(text: str) -> str:
    problem = dns_name_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text.rstrip(".")


RetentionDays = Annotated[int, AfterValidator(_retention)]
Ipv4Cidr = Annotated[str, AfterValidator(_ipv4_network)]
IamRoleArn = Annotated[str, AfterValidator(_role_arn)]
DnsName = Annotated[str, AfterValidator(_dns_name)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]
PositiveInt = Annotated[int, Field(gt=0)]


def at_most(limit: int, *, so_that: str) -> AfterValidator:
    """A length bound that says why it exists: ``'<text>' is N characters; at most L, so that ...``."""

    def check(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"{text!r} is {len(text)} characters; at most {limit}, so that {so_that}")
        return text

    return AfterValidator(check)
