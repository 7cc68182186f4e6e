"""HumanRoles: the admin, developer and viewer roles of one environment (F3, H6), made by the stack.

Each role trusts only the account's identity provider (a SAML provider, an OIDC provider with an
audience and the subjects admitted to that role, or the sessions of one IAM Identity Center
permission set) and is mapped by the cluster to its access entry and Kubernetes group. The roles
carry no AWS permission beyond finding their cluster (``eks:DescribeCluster``, which
``aws eks update-kubeconfig`` needs); what they may do inside the cluster is their access entry.
They are tagged ``kubeboard.io/role-class: human``, so the policy pack can hold their trust to a
federated identity (policy ``aws-iam-human-role-trust-federated``).
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args

ROLE_CLASS_TAG = "kubeboard.io/role-class"
HUMAN = "human"
ROLES = ("admin", "developer", "viewer")
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
IDENTITY_CENTER_PATH = "aws-reserved/sso.amazonaws.com/"


_SAML_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$")
_OIDC_PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)*$"
)
_PERMISSION_SET = re.compile(r"^[\w+=,.@-]{1,32}$")
# A ``sub`` value, a trailing ``*`` allowed (StringLike); IAM condition values are at most 255 long.
_SUBJECT = re.compile(r"^[^\s*]+\*?$")
SUBJECT_LIMIT = 255
MAX_SESSION_HOURS = (1, 12)
"""IAM's MaxSessionDuration range, in hours."""


class SamlArgs(TypedDict):
    provider_arn: str
    """The account's IAM SAML provider; the IdP's assertion names which of the three roles a person gets."""


class OidcArgs(TypedDict):
    provider_arn: str
    """The account's IAM OIDC provider of the people's identity provider."""
    audience: str
    """The client id the IdP puts in ``aud``."""
    subjects: Mapping[str, Sequence[str]]
    """Per role (admin, developer, viewer): the ``sub`` values admitted (a trailing ``*`` allowed);
    IAM reads no group claim."""


class IdentityCenterArgs(TypedDict):
    permission_sets: Mapping[str, str]
    """Per role (admin, developer, viewer): the permission set whose sessions may assume it."""


class HumanRolesConfig(TypedDict):
    """Who the roles trust: exactly one of ``saml``, ``oidc`` and ``identity_center``."""

    saml: NotRequired[SamlArgs | None]
    """Trust the account's SAML provider (default ``None``)."""
    oidc: NotRequired[OidcArgs | None]
    """Trust an OIDC provider, for listed subjects per role (default ``None``)."""
    identity_center: NotRequired[IdentityCenterArgs | None]
    """Trust the sessions of one IAM Identity Center permission set per role (default ``None``)."""
    max_session_hours: NotRequired[int]
    """How long a person's session lasts, 1-12 (default 1: people re-authenticate every hour)."""


class HumanRolesArgs(HumanRolesConfig):
    """`HumanRolesConfig` and the names the platform gives the roles."""

    name: str
    """The platform name: roles are ``<name>-admin``, ``<name>-developer``, ``<name>-viewer``. Required."""
    cluster_name: str
    """The cluster the roles may find (``eks:DescribeCluster``); required."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every role, beside the role-class tag (default none)."""


DEFAULTS: dict[str, Any] = {
    "saml": None,
    "oidc": None,
    "identity_center": None,
    "max_session_hours": 1,
    "tags": {},
}


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason HumanRoles could not be built from ``args``, one line per arg (the stack file's
    values are checked alone, without the names)."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    saml, oidc, center = config["saml"], config["oidc"], config["identity_center"]
    given = [key for key in ("saml", "oidc", "identity_center") if config[key]]
    found = []
    if len(given) != 1:
        names = ", ".join(key.replace("_", " ") for key in given) or "none"
        found.append(
            "saml: give exactly one identity provider the roles trust (saml, oidc or identity center); "
            f"got {names}"
        )
    if saml and not _SAML_PROVIDER_ARN.match(saml["provider_arn"]):
        found.append(f"saml.provider_arn: {saml['provider_arn']!r} is not an IAM SAML provider ARN")
    if oidc:
        if not _OIDC_PROVIDER_ARN.match(oidc["provider_arn"]):
            found.append(f"oidc.provider_arn: {oidc['provider_arn']!r} is not an IAM OIDC provider ARN")
        if not 1 <= len(oidc["audience"]) <= 255:
            found.append("oidc.audience: must be 1..255 characters")
        for role in ROLES:
            subjects = oidc["subjects"].get(role) or ()
            if not subjects:
                found.append(f"oidc.subjects.{role}: list at least one subject")
            found += [
                f"oidc.subjects.{role}[{index}]: {subject!r} is not a subject (no spaces; only a trailing *)"
                for index, subject in enumerate(subjects)
                if len(subject) > SUBJECT_LIMIT or not _SUBJECT.match(subject)
            ]
    if center:
        for role in ROLES:
            permission_set = center["permission_sets"].get(role) or ""
            if not _PERMISSION_SET.match(permission_set):
                found.append(
                    f"identity_center.permission_sets.{role}: {permission_set!r} is not a permission set name"
                )
    low, high = MAX_SESSION_HOURS
    if not low <= config["max_session_hours"] <= high:
        found.append(f"max_session_hours: must be {low}..{high}, got {config['max_session_hours']}")
    return found


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


class HumanRoles(pulumi.ComponentResource):
    """``<name>-admin``, ``<name>-developer`` and ``<name>-viewer``, trusting the identity provider."""

    admin_role_arn: pulumi.Output[str]
    developer_role_arn: pulumi.Output[str]
    viewer_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: HumanRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:HumanRoles", name, None, opts)
        validate_args("HumanRoles", args, HumanRolesArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        cluster_arn = pulumi.Output.all(partition, region, identity.account_id).apply(
            lambda v: f"arn:{v[0]}:eks:{v[1]}:{v[2]}:cluster/{config['cluster_name']}"
        )
        tags = {**dict(config["tags"]), ROLE_CLASS_TAG: HUMAN}
        roles: dict[str, aws.iam.Role] = {}
        for role in ROLES:
            trust = self._trust(config, role, identity.account_id, partition)
            created = aws.iam.Role(
                f"{name}-{role}",
                name=f"{config['name']}-{role}",
                description=f"People who are {role} of the {config['cluster_name']} cluster (EKS access entry)",
                assume_role_policy=trust.apply(json.dumps),
                max_session_duration=3600 * config["max_session_hours"],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.iam.RolePolicy(
                f"{name}-{role}-find-cluster",
                role=created.id,
                policy=cluster_arn.apply(lambda arn: json.dumps(find_cluster_policy(arn))),
                opts=pulumi.ResourceOptions(parent=created),
            )
            roles[role] = created
        self.admin_role_arn = roles["admin"].arn
        self.developer_role_arn = roles["developer"].arn
        self.viewer_role_arn = roles["viewer"].arn
        # By role name, for the cluster's access entries.
        self.arns: dict[str, pulumi.Output[str]] = {role: created.arn for role, created in roles.items()}
        self.register_outputs({f"{role}_role_arn": arn for role, arn in self.arns.items()})

    @staticmethod
    def _trust(
        config: Mapping[str, Any], role: str, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> pulumi.Output[dict[str, Any]]:
        saml, oidc, center = config["saml"], config["oidc"], config["identity_center"]
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
