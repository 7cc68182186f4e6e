"""IAM: no wildcard actions, no wildcard resources on write actions, IRSA trust scoped to one service account.

Policy documents arrive as JSON strings (components build them with ``json.dumps``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, items, policy_document, statements, strings

ROLE = "aws:iam/role:Role"
IDENTITY_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
PERMISSION_TYPES = (ROLE, *IDENTITY_POLICY_TYPES)

# Verbs whose actions change state (IAM access levels Write, Permissions management, Tagging).
WRITE_VERBS = (
    "Abort", "Accept", "Activate", "Add", "Apply", "Associate", "Attach", "Authorize", "BatchDelete",
    "BatchPut", "BatchWrite", "Cancel", "Change", "Complete", "Copy", "Create", "Deactivate", "Delete",
    "Deregister", "Detach", "Disable", "Disassociate", "Enable", "Import", "Initiate", "Invoke", "Modify",
    "Pass", "Publish", "Put", "Reboot", "Register", "Reject", "Release", "Remove", "Replace", "Reset",
    "Restore", "Revoke", "Rotate", "Run", "Send", "Set", "Start", "Stop", "Tag", "Terminate", "Untag",
    "Update", "Upload", "Write",
)  # fmt: skip
_WRITE_ACTION = re.compile(r"^[a-z0-9-]+:(" + "|".join(WRITE_VERBS) + r")", re.IGNORECASE)
_SERVICE_WILDCARD = re.compile(r"^([a-z0-9-]+:)?\*$", re.IGNORECASE)


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """Identity policy documents of the resource with a label for messages (trust policies excluded)."""
    if args.resource_type == ROLE:
        for inline in items(get(args.props, "inlinePolicies")):
            yield f"inline policy {get(inline, 'name', '?')}", policy_document(get(inline, "policy"))
    else:
        yield "policy", policy_document(get(args.props, "policy"))


def allow_statements(args: ResourceValidationArgs) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each Allow statement of the resource's identity policies, with where it is for messages."""
    for label, document in _documents(args):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") == "Allow":
                yield f"{label} statement {statement.get('Sid') or index}", statement


def _no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for where, statement in allow_statements(args):
        if "NotAction" in statement:
            report(f"{where}: Allow with NotAction grants every action not listed", None)
        wild = [a for a in strings(statement.get("Action")) if _SERVICE_WILDCARD.match(a)]
        if wild:
            report(f"{where}: allows wildcard action(s) {', '.join(wild)}", None)


disallow_wildcard_actions = TypedResourcePolicy(
    name="aws-iam-policy-disallow-wildcard-actions",
    description='IAM policies never allow "*" or "<service>:*" actions.',
    resource_types=PERMISSION_TYPES,
    check=_no_wildcard_actions,
    severity=Severity.CRITICAL,
    remediation_steps="List the actions the workload calls.",
)


def is_write_action(action: str) -> bool:
    return bool(_WRITE_ACTION.match(action)) or bool(_SERVICE_WILDCARD.match(action))


def _no_wildcard_resources_on_write(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for where, statement in allow_statements(args):
        resources = strings(statement.get("Resource"))
        if "*" not in resources and "NotResource" not in statement:
            continue
        writes = sorted({a for a in strings(statement.get("Action")) if is_write_action(a)})
        if writes:
            shown = ", ".join(writes[:5]) + (f" (+{len(writes) - 5} more)" if len(writes) > 5 else "")
            report(f'{where}: write action(s) {shown} on Resource "*"', None)


disallow_wildcard_resource_on_write = TypedResourcePolicy(
    name="aws-iam-policy-disallow-wildcard-resource-on-write",
    description='IAM policies scope write actions to resource ARNs, not "*" (listed exceptions aside).',
    resource_types=PERMISSION_TYPES,
    check=_no_wildcard_resources_on_write,
    severity=Severity.HIGH,
    remediation_steps="Name the ARNs, or add a policy exception with the reason (e.g. an upstream policy).",
)


def _trust_statements(args: ResourceValidationArgs) -> list[Mapping[str, Any]]:
    return [
        s
        for s in statements(policy_document(get(args.props, "assumeRolePolicy")))
        if s.get("Effect") == "Allow"
    ]


def _is_irsa(statement: Mapping[str, Any]) -> bool:
    federated = " ".join(strings(get(statement, "Principal.Federated")))
    conditions = " ".join(str(k) for block in (statement.get("Condition") or {}).values() for k in block)
    return "sts:AssumeRoleWithWebIdentity" in strings(statement.get("Action")) and (
        "oidc.eks." in federated or "oidc.eks." in conditions
    )


_SERVICE_ACCOUNT = re.compile(
    r"^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$"
)


def _irsa_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, statement in enumerate(_trust_statements(args)):
        if not _is_irsa(statement):
            continue
        where = f"trust statement {statement.get('Sid') or index}"
        equals = get(statement, "Condition.StringEquals", {})
        subjects = [v for k, value in equals.items() if str(k).endswith(":sub") for v in strings(value)]
        audiences = [v for k, value in equals.items() if str(k).endswith(":aud") for v in strings(value)]
        if len(subjects) != 1 or not _SERVICE_ACCOUNT.match(subjects[0]):
            report(
                f"{where}: StringEquals <issuer>:sub must name exactly one system:serviceaccount:<ns>:<sa> "
                f"(found {subjects or 'none'})",
                None,
            )
        if audiences != ["sts.amazonaws.com"]:
            report(
                f"{where}: StringEquals <issuer>:aud must be sts.amazonaws.com (found {audiences or 'none'})",
                None,
            )


irsa_trust_scoped_to_service_account = TypedResourcePolicy(
    name="aws-iam-role-irsa-trust-scoped-to-service-account",
    description="IRSA roles trust exactly one Kubernetes service account, with audience sts.amazonaws.com.",
    resource_types=[ROLE],
    check=_irsa_scoped,
    severity=Severity.HIGH,
)


def _principal_is_anyone(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in strings(principal.get("AWS"))


def _no_anonymous_trust(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, statement in enumerate(_trust_statements(args)):
        if _principal_is_anyone(statement) and not statement.get("Condition"):
            report(
                f"trust statement {statement.get('Sid') or index}: any AWS principal may assume this role",
                None,
            )


disallow_wildcard_trust_principal = TypedResourcePolicy(
    name="aws-iam-role-disallow-wildcard-trust-principal",
    description='IAM roles are not assumable by "*" without a condition.',
    resource_types=[ROLE],
    check=_no_anonymous_trust,
    severity=Severity.CRITICAL,
)

POLICIES = [
    disallow_wildcard_actions,
    disallow_wildcard_resource_on_write,
    irsa_trust_scoped_to_service_account,
    disallow_wildcard_trust_principal,
]
