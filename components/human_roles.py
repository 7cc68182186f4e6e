"""HumanRoles: the admin, developer and viewer roles of one environment (F3, H6), made by the stack.

Each role trusts only the account's identity provider (a SAML provider, an OIDC provider with an
audience and the subjects admitted to that role, or the sessions of one IAM Identity Center
permission set) and is mapped by the cluster to its access entry and Kubernetes group. The roles
carry no AWS permission beyond finding their cluster (``eks:DescribeCluster``, which
``aws eks update-kubeconfig`` needs); what they may do inside the cluster is their access entry.
They are tagged ``kubeboard.io/role-class: human``, so the policy pack can hold their trust to a
federated identity (policy ``aws-iam-human-role-trust-federated``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

ROLE_CLASS_TAG = "kubeboard.io/role-class"
HUMAN = "human"
ROLES = ("admin", "developer", "viewer")
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
IDENTITY_CENTER_PATH = "aws-reserved/sso.amazonaws.com/"


class SamlArgs(TypedDict):
    provider_arn: str


class OidcArgs(TypedDict):
    provider_arn: str
    audience: str
    subjects: Mapping[str, Sequence[str]]
    """Per role (admin, developer, viewer): the ``sub`` values admitted (a trailing ``*`` allowed)."""


class IdentityCenterArgs(TypedDict):
    permission_sets: Mapping[str, str]
    """Per role: the permission set whose sessions may assume it."""


class HumanRolesArgs(TypedDict):
    name: str
    """The platform name: roles are ``<name>-admin``, ``<name>-developer``, ``<name>-viewer``."""
    cluster_name: str
    saml: NotRequired[SamlArgs | None]
    oidc: NotRequired[OidcArgs | None]
    identity_center: NotRequired[IdentityCenterArgs | None]
    max_session_hours: NotRequired[int]
    tags: NotRequired[Mapping[str, str]]


def saml_trust(provider_arn: str) -> dict[str, Any]:
    """Sign-in through the account's SAML provider, for the AWS sign-in audience only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FederatedSignInThroughSaml",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}},
            }
        ],
    }


def oidc_trust(provider_arn: str, audience: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Tokens of the account's OIDC provider for this client, and only for the listed subjects."""
    issuer = provider_arn.split(":oidc-provider/", 1)[1]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FederatedSignInThroughOidc",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{issuer}:aud": audience},
                    "StringLike": {f"{issuer}:sub": sorted(subjects)},
                },
            }
        ],
    }


def identity_center_trust(account_id: str, partition: str, permission_set: str) -> dict[str, Any]:
    """Sessions of one IAM Identity Center permission set of this account (the roles Identity Center
    makes for it, under ``/aws-reserved/sso.amazonaws.com/``), never any other principal."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "IdentityCenterPermissionSet",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnLike": {
                        "aws:PrincipalArn": (
                            f"arn:{partition}:iam::{account_id}:role/{IDENTITY_CENTER_PATH}"
                            f"*AWSReservedSSO_{permission_set}_*"
                        )
                    }
                },
            }
        ],
    }


def find_cluster_policy(cluster_arn: str) -> dict[str, Any]:
    """The one AWS permission a person needs to reach the cluster: reading its endpoint and CA."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FindTheCluster",
                "Effect": "Allow",
                "Action": "eks:DescribeCluster",
                "Resource": cluster_arn,
            }
        ],
    }


def human_roles_problems(args: HumanRolesArgs) -> list[str]:
    providers = [key for key in ("saml", "oidc", "identity_center") if args.get(key)]
    problems = []
    if len(providers) != 1:
        problems.append(f"give exactly one of saml, oidc and identity_center (got {providers or 'none'})")
    oidc = args.get("oidc")
    if oidc and any(not oidc["subjects"].get(role) for role in ROLES):
        problems.append("oidc.subjects: list the subjects of admin, developer and viewer")
    center = args.get("identity_center")
    if center and any(not center["permission_sets"].get(role) for role in ROLES):
        problems.append("identity_center.permission_sets: name one for admin, developer and viewer")
    if not 1 <= args.get("max_session_hours", 1) <= 12:
        problems.append("max_session_hours must be 1..12")
    return problems


class HumanRoles(pulumi.ComponentResource):
    """``<name>-admin``, ``<name>-developer`` and ``<name>-viewer``, trusting the identity provider."""

    roles: dict[str, aws.iam.Role]
    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: HumanRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:HumanRoles", name, None, opts)
        problems = human_roles_problems(args)
        if problems:
            raise ValueError("HumanRoles: " + "; ".join(problems))
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        cluster_arn = pulumi.Output.all(partition, region, identity.account_id).apply(
            lambda v: f"arn:{v[0]}:eks:{v[1]}:{v[2]}:cluster/{args['cluster_name']}"
        )
        tags = {**dict(args.get("tags") or {}), ROLE_CLASS_TAG: HUMAN}
        self.roles = {}
        for role in ROLES:
            trust = self._trust(args, role, identity.account_id, partition)
            created = aws.iam.Role(
                f"{name}-{role}",
                name=f"{args['name']}-{role}",
                description=f"People who are {role} of the {args['cluster_name']} cluster (EKS access entry)",
                assume_role_policy=trust.apply(json.dumps),
                max_session_duration=3600 * args.get("max_session_hours", 1),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.iam.RolePolicy(
                f"{name}-{role}-find-cluster",
                role=created.id,
                policy=cluster_arn.apply(lambda arn: json.dumps(find_cluster_policy(arn))),
                opts=pulumi.ResourceOptions(parent=created),
            )
            self.roles[role] = created
        self.arns = {role: created.arn for role, created in self.roles.items()}
        self.register_outputs({f"{role}RoleArn": arn for role, arn in self.arns.items()})

    @staticmethod
    def _trust(
        args: HumanRolesArgs, role: str, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> pulumi.Output[dict[str, Any]]:
        saml, oidc, center = args.get("saml"), args.get("oidc"), args.get("identity_center")
        if saml:
            return pulumi.Output.from_input(saml_trust(saml["provider_arn"]))
        if oidc:
            return pulumi.Output.from_input(
                oidc_trust(oidc["provider_arn"], oidc["audience"], oidc["subjects"][role])
            )
        assert center is not None
        permission_set = center["permission_sets"][role]
        return pulumi.Output.all(account_id, partition).apply(
            lambda v: identity_center_trust(v[0], v[1], permission_set)
        )
