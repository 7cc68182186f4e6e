"""Roles people assume (tagged ``kubeboard.io/role-class: human``) trust a federated identity only.

A person's role is reached through the account's identity provider: a SAML provider (for the AWS
sign-in audience), an OIDC provider (with an audience and the subjects admitted), an IAM Identity
Center permission set (its ``AWSReservedSSO_*`` roles, by ``aws:PrincipalArn``), or, for an IAM
principal, only with MFA. Never a service, never an account or user without MFA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.access import _condition_values, _principals
from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.iam import ROLE
from kubeboard_policy.props import get, policy_document, statements, strings, tags

ROLE_CLASS_TAG = "kubeboard.io/role-class"
HUMAN = "human"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
IDENTITY_CENTER_ROLES = "/aws-reserved/sso.amazonaws.com/"


def _actions(statement: Mapping[str, Any]) -> set[str]:
    return {action.lower() for action in strings(statement.get("Action"))}


def _federated_problem(statement: Mapping[str, Any], provider: str) -> str | None:
    actions = _actions(statement)
    if ":saml-provider/" in provider:
        if SAML_AUDIENCE not in _condition_values(statement, "SAML:aud"):
            return f"SAML trust of {provider} must require SAML:aud {SAML_AUDIENCE}"
        return (
            None
            if actions <= {"sts:assumerolewithsaml", "sts:tagsession"}
            else "SAML trust with other actions"
        )
    if ":oidc-provider/" in provider:
        issuer = provider.split(":oidc-provider/", 1)[1]
        if not _condition_values(statement, f"{issuer}:aud"):
            return f"OIDC trust of {issuer} must require its aud (the client id)"
        if not _condition_values(statement, f"{issuer}:sub"):
            return f"OIDC trust of {issuer} without a sub condition admits everyone the IdP knows"
        return None
    return f"federated principal {provider} is neither a SAML nor an OIDC provider of IAM"


def _aws_principal_problem(statement: Mapping[str, Any]) -> str | None:
    mfa = [v.lower() for v in _condition_values(statement, "aws:MultiFactorAuthPresent")]
    if mfa == ["true"]:
        return None
    principal_arns = _condition_values(statement, "aws:PrincipalArn")
    if principal_arns and all(IDENTITY_CENTER_ROLES in arn for arn in principal_arns):
        return None
    return (
        "an IAM principal may assume a person's role only with aws:MultiFactorAuthPresent true or "
        "as an IAM Identity Center permission set (aws:PrincipalArn .../aws-reserved/sso.amazonaws.com/...)"
    )


def _human_trust(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if str(tags(args.props).get(ROLE_CLASS_TAG, "")) != HUMAN:
        return
    document = policy_document(get(args.props, "assumeRolePolicy"))
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        where = f"trust statement {statement.get('Sid') or index}"
        principals = _principals(statement)
        problems: list[str] = []
        for kind, values in principals.items():
            if kind == "Federated":
                problems += [p for p in (_federated_problem(statement, v) for v in values) if p]
            elif kind == "AWS":
                problem = _aws_principal_problem(statement)
                problems += [problem] if problem else []
            else:
                problems.append(f"a person's role may not trust {kind} principals ({', '.join(values)})")
        for problem in problems:
            report(f"{where}: {problem}", None)


human_role_trust = TypedResourcePolicy(
    name="aws-iam-human-role-trust-federated",
    description="A person's role (tag kubeboard.io/role-class: human) is reached only through the account's "
    "identity provider (SAML, OIDC with aud and sub, IAM Identity Center) or with MFA.",
    resource_types=(ROLE,),
    check=_human_trust,
    severity=Severity.HIGH,
    remediation_steps="Trust the SAML or OIDC provider (with its audience, and sub for OIDC), an Identity "
    "Center permission set by aws:PrincipalArn, or require aws:MultiFactorAuthPresent.",
)

POLICIES = [human_role_trust]
