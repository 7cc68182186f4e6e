"""IAM roles for Kubernetes service accounts (IRSA).

One helper builds every such role in the platform so that every trust policy has the same,
narrow shape: only the cluster's OIDC provider may federate, only for exactly one
`system:serviceaccount:<namespace>:<name>`, and only for tokens minted for STS (`aud`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

STS_AUDIENCE = "sts.amazonaws.com"

PolicyDocument = Mapping[str, Any]
"""An IAM policy document as plain Python data; values may be `pulumi.Input`s (e.g. an ARN)."""


@dataclass(frozen=True)
class IrsaRole:
    """The role and the policies attached to it."""

    role: aws.iam.Role
    policies: tuple[aws.iam.Policy, ...]
    attachments: tuple[aws.iam.RolePolicyAttachment, ...]

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn

    @property
    def ready(self) -> list[pulumi.Resource]:
        """Depend on these (not just the role) before starting pods that use the role's permissions."""
        return [self.role, *self.attachments]


def service_account_subject(namespace: str, service_account: str) -> str:
    """The `sub` claim Kubernetes puts in a projected service-account token."""
    if not namespace or not service_account:
        raise ValueError("IRSA needs both a namespace and a service account name")
    return f"system:serviceaccount:{namespace}:{service_account}"


def trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> dict:
    """The trust policy letting exactly one service account assume the role via web identity.

    `oidc_issuer` is the issuer host and path without the scheme, as IAM condition keys use it
    (e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC123`).
    """
    issuer = oidc_issuer.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": service_account_subject(namespace, service_account),
                        f"{issuer}:aud": STS_AUDIENCE,
                    }
                },
            }
        ],
    }


def policy_json(document: pulumi.Input[PolicyDocument]) -> pulumi.Output[str]:
    """Serialise a policy document whose leaves may be Outputs (resolved deeply first)."""
    return pulumi.Output.from_input(document).apply(lambda doc: json.dumps(doc, sort_keys=False))


def irsa_role(
    name: str,
    *,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy_documents: Mapping[str, pulumi.Input[PolicyDocument]] | None = None,
    managed_policy_arns: Sequence[str] = (),
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> IrsaRole:
    """Create an IAM role assumable only by `system:serviceaccount:<namespace>:<service_account>`.

    Each entry of `policy_documents` becomes a customer-managed policy (named `<name>-<key>`)
    attached to the role; `managed_policy_arns` (e.g. AWS-managed policies) are attached as is.
    The policies and attachments are children of the role, so they follow it in the tree.
    """
    subject = service_account_subject(namespace, service_account)
    if not policy_documents and not managed_policy_arns:
        raise ValueError(f"IRSA role {name!r} for {subject} has no permissions: give a policy or an ARN")

    assume_role_policy = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda args: json.dumps(trust_policy(args[0], args[1], namespace, service_account))
    )
    role = aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy,
        description=description or f"IRSA role for {subject}",
        max_session_duration=3600,
        tags=dict(tags or {}),
        opts=opts,
    )
    child = pulumi.ResourceOptions(parent=role)
    policies: list[aws.iam.Policy] = []
    attachments: list[aws.iam.RolePolicyAttachment] = []
    for key, document in (policy_documents or {}).items():
        policy = aws.iam.Policy(
            f"{name}-{key}",
            description=f"{key} permissions for {subject}",
            policy=policy_json(document),
            tags=dict(tags or {}),
            opts=child,
        )
        policies.append(policy)
        attachments.append(
            aws.iam.RolePolicyAttachment(f"{name}-{key}", role=role.name, policy_arn=policy.arn, opts=child)
        )
    for arn in managed_policy_arns:
        # Named after the policy, not its position, so reordering the list replaces nothing.
        policy_name = arn.rsplit("/", 1)[-1]
        attachments.append(
            aws.iam.RolePolicyAttachment(f"{name}-{policy_name}", role=role.name, policy_arn=arn, opts=child)
        )
    return IrsaRole(role=role, policies=tuple(policies), attachments=tuple(attachments))
