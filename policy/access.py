"""Who may act on what, judged by class rather than by instance.

Every attachment (no AWS-managed admin policy on anyone), every identity policy (no role assumption
or role passing on any resource, no DNS writes without a record-name condition), every trust policy
(no anonymous, unconditioned or wildcard-GitHub trust) and every resource policy (nothing open to
``*`` without a condition that pins the caller).
Policy documents arrive as JSON strings or decoded mappings (``props.policy_document``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.iam import IDENTITY_POLICY_TYPES, ROLE, allow_statements
from kubeboard_policy.props import get, items, policy_document, statements, strings

# --- Attachments -----------------------------------------------------------------------------------

# AWS-managed policies that amount to administrator access (IAM write access is admin by escalation).
ADMIN_POLICY_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/"
    r"(AdministratorAccess|PowerUserAccess|IAMFullAccess|AdministratorAccess-Amplify"
    r"|AdministratorAccess-AWSElasticBeanstalk|AWSOrganizationsFullAccess)$"
)
# Each attachment type and the property holding the policy ARN(s) it attaches.
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    ROLE: "managedPolicyArns",
}


def _no_admin_attachment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    attached = strings(get(args.props, ATTACHMENTS[args.resource_type]))
    for arn in attached:
        if ADMIN_POLICY_ARN.match(arn):
            report(f"attaches {arn.rsplit('/', 1)[-1]}: administrator access to whoever holds it", None)


disallow_admin_attachments = TypedResourcePolicy(
    name="aws-iam-disallow-admin-policy-attachment",
    description="No role, user or group gets an AWS-managed administrator policy attached.",
    resource_types=ATTACHMENTS,
    check=_no_admin_attachment,
    severity=Severity.CRITICAL,
    remediation_steps="Attach a policy listing the actions and resources the principal needs.",
)

# --- Identity policies: role assumption and role passing ------------------------------------------

# Actions that turn one identity into another: allowed on "*", they reach every role in the account.
PIVOT_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "iam:PassRole",
)


def _pivots(patterns: list[str]) -> list[str]:
    return [a for a in PIVOT_ACTIONS if any(fnmatchcase(a.lower(), p.lower()) for p in patterns)]


def _no_pivot_on_any_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for where, statement in allow_statements(args):
        pivots = _pivots(strings(statement.get("Action")))
        if not pivots:
            continue
        if "NotResource" in statement:
            report(f"{where}: {', '.join(pivots)} with NotResource reaches every role not listed", None)
        elif "*" in strings(statement.get("Resource")):
            report(f'{where}: {", ".join(pivots)} on every role (Resource "*")', None)


disallow_pivot_on_any_resource = TypedResourcePolicy(
    name="aws-iam-disallow-assume-or-pass-any-role",
    description='sts:AssumeRole* and iam:PassRole name the roles they reach, never Resource "*".',
    resource_types=(ROLE, *IDENTITY_POLICY_TYPES),
    check=_no_pivot_on_any_resource,
    severity=Severity.CRITICAL,
    remediation_steps="List the role ARNs the principal may assume or pass.",
)

ROUTE53_CHANGE = "route53:ChangeResourceRecordSets"
RECORD_NAMES_CONDITION = "route53:ChangeResourceRecordSetsNormalizedRecordNames"


def _record_changes_named(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for where, statement in allow_statements(args):
        patterns = strings(statement.get("Action"))
        if not any(fnmatchcase(ROUTE53_CHANGE.lower(), p.lower()) for p in patterns):
            continue
        if RECORD_NAMES_CONDITION.lower() not in _condition_keys(statement):
            report(
                f"{where}: may change any record of the zone (no {RECORD_NAMES_CONDITION} condition)", None
            )


route53_changes_name_their_records = TypedResourcePolicy(
    name="aws-iam-route53-changes-name-their-records",
    description="Whoever may change DNS records is limited to its own names by a record-name condition.",
    resource_types=(ROLE, *IDENTITY_POLICY_TYPES),
    check=_record_changes_named,
    severity=Severity.HIGH,
    remediation_steps="Add ForAllValues:StringLike route53:ChangeResourceRecordSetsNormalizedRecordNames.",
)

# --- Principals: who a statement admits ------------------------------------------------------------


def _principals(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """``Principal`` as {kind: [values]}; the bare string ``"*"`` is everyone (kind ``*``)."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return {"*": [principal]} if principal == "*" else {"AWS": [principal]}
    if isinstance(principal, Mapping):
        return {str(kind): strings(values) for kind, values in principal.items()}
    return {}


def _admits_everyone(statement: Mapping[str, Any]) -> bool:
    principals = _principals(statement)
    return "*" in principals or "*" in principals.get("AWS", [])


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for block in items(statement.get("Condition")):
        if isinstance(block, Mapping):
            for operands in block.values():
                if isinstance(operands, Mapping):
                    keys.update(str(key).lower() for key in operands)
    return keys


# --- Trust policies --------------------------------------------------------------------------------

GITHUB_ISSUER = "token.actions.githubusercontent.com"
# A principal that stands for a whole account: its root ARN or its bare id. A named role or user is
# one principal; an account is whoever its IAM policies let assume roles, which needs a condition.
_WHOLE_ACCOUNT = re.compile(r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")
# repo:<owner>/<repo>:<anything>: the owner and the repository are fixed; the ref may be a pattern.
_GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:[^*?]")


def _condition_values(statement: Mapping[str, Any], key: str) -> list[str]:
    values: list[str] = []
    for block in items(statement.get("Condition")):
        if isinstance(block, Mapping):
            for operands in block.values():
                if isinstance(operands, Mapping):
                    for name, value in operands.items():
                        if str(name).lower() == key.lower():
                            values += strings(value)
    return values


def _github_trust_problems(statement: Mapping[str, Any]) -> list[str]:
    audiences = _condition_values(statement, f"{GITHUB_ISSUER}:aud")
    subjects = _condition_values(statement, f"{GITHUB_ISSUER}:sub")
    problems = []
    if audiences != ["sts.amazonaws.com"]:
        problems.append("GitHub OIDC trust must require aud sts.amazonaws.com")
    if not subjects:
        problems.append("GitHub OIDC trust without a sub condition admits every repository on GitHub")
    wild = [s for s in subjects if not _GITHUB_SUBJECT.match(s)]
    if wild:
        problems.append(f"GitHub OIDC sub {', '.join(wild)} is not pinned to one owner/repository")
    return problems


def _trust_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    document = policy_document(get(args.props, "assumeRolePolicy"))
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        where = f"trust statement {statement.get('Sid') or index}"
        principals = _principals(statement)
        if _admits_everyone(statement):
            report(f"{where}: any AWS principal may assume this role", None)
        elif not _condition_keys(statement):
            accounts = [p for p in principals.get("AWS", []) if _WHOLE_ACCOUNT.match(p)]
            if accounts:
                report(
                    f"{where}: trusts every principal of {', '.join(accounts)} with no condition "
                    "(ExternalId, PrincipalOrgID, PrincipalArn, ...)",
                    None,
                )
        if any(p.endswith(f"/{GITHUB_ISSUER}") for p in principals.get("Federated", [])):
            for problem in _github_trust_problems(statement):
                report(f"{where}: {problem}", None)


trust_policies_scoped = TypedResourcePolicy(
    name="aws-iam-role-trust-scoped",
    description="Role trust never admits anyone, a whole account without a condition, or any GitHub repository.",
    resource_types=(ROLE,),
    check=_trust_scoped,
    severity=Severity.CRITICAL,
    remediation_steps="Trust named principals with a condition; pin GitHub sub to repo:<owner>/<repo>:...",
)

# --- Resource policies -----------------------------------------------------------------------------

# Each resource type with a policy of its own, and the property that holds it.
RESOURCE_POLICIES = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:glacier/vault:Vault": "accessPolicy",
}
# Conditions that pin who or what may call: with one of them, "*" is no longer everyone.
CALLER_CONDITIONS = frozenset(
    key.lower()
    for key in (
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:SourceOrgID",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:userid",
        "kms:CallerAccount",
        "elasticfilesystem:AccessedViaMountTarget",
    )
)
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"


def _resource_policy_closed(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == LAMBDA_PERMISSION:
        pinned = any(get(args.props, key) for key in ("sourceArn", "sourceAccount", "principalOrgId"))
        if get(args.props, "principal") == "*" and not pinned:
            report('lets anyone invoke the function (principal "*" with no source or organisation)', None)
        if str(get(args.props, "functionUrlAuthType", "")).upper() == "NONE":
            report("publishes a function URL without authentication", None)
        return
    document = policy_document(get(args.props, RESOURCE_POLICIES[args.resource_type]))
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not _admits_everyone(statement):
            continue
        if not _condition_keys(statement) & CALLER_CONDITIONS:
            where = f"statement {statement.get('Sid') or index}"
            report(
                f"{where}: allows {', '.join(strings(statement.get('Action'))) or 'actions'} to anyone", None
            )


resource_policies_closed = TypedResourcePolicy(
    name="aws-resource-policy-not-public",
    description='No resource policy or Lambda permission admits "*" without a condition pinning the caller.',
    resource_types=(*RESOURCE_POLICIES, LAMBDA_PERMISSION),
    check=_resource_policy_closed,
    severity=Severity.CRITICAL,
    remediation_steps="Name the principal, or add aws:SourceArn / aws:SourceAccount / aws:PrincipalOrgID.",
)

POLICIES = [
    disallow_admin_attachments,
    disallow_pivot_on_any_resource,
    route53_changes_name_their_records,
    trust_policies_scoped,
    resource_policies_closed,
]
