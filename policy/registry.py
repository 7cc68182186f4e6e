"""Every policy of the pack, in one list; the pack and the offline evaluator both start here."""

from __future__ import annotations

from functools import cache

from kubeboard_policy import (
    access,
    ecr,
    efs,
    eks,
    fleet,
    gitops,
    helm,
    human_roles,
    iam,
    ingress,
    kms,
    lambda_,
    logs,
    nodegroups,
    s3,
    signin,
    stack,
    vpc,
    waf,
)
from kubeboard_policy.base import KubeboardPolicy

PACK_NAME = "kubeboard"

_MODULES = (
    s3,
    eks,
    nodegroups,
    ecr,
    efs,
    waf,
    ingress,
    signin,
    lambda_,
    iam,
    access,
    human_roles,
    gitops,
    fleet,
    vpc,
    logs,
    kms,
    helm,
    stack,
)


@cache
def _policies() -> tuple[KubeboardPolicy, ...]:
    policies: list[KubeboardPolicy] = [p for module in _MODULES for p in module.POLICIES]
    names = [p.name for p in policies]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"policy names must be unique: {duplicates}")
    return tuple(policies)


def all_policies() -> list[KubeboardPolicy]:
    return list(_policies())


def policy_by_name(name: str) -> KubeboardPolicy:
    for policy in _policies():
        if policy.name == name:
            return policy
    raise KeyError(name)
