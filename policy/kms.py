"""KMS keys rotate and keep the key-policy lockout safety check."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, truthy

KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"


def _rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = get(args.props, "customerMasterKeySpec") or get(args.props, "keySpec") or SYMMETRIC
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
    if spec == SYMMETRIC and not truthy(get(args.props, "enableKeyRotation")):
        report("automatic key rotation is off", None)


enable_key_rotation = TypedResourcePolicy(
    name="aws-kms-key-enable-key-rotation",
    description="Symmetric KMS keys rotate their key material automatically.",
    resource_types=[KEY],
    check=_rotation,
    severity=Severity.HIGH,
)


def _lockout_check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if truthy(get(args.props, "bypassPolicyLockoutSafetyCheck")):
        report("the key policy lockout safety check is bypassed; a bad policy could orphan the key", None)


disallow_bypass_policy_lockout_safety_check = TypedResourcePolicy(
    name="aws-kms-key-disallow-bypass-policy-lockout-safety-check",
    description="KMS keys keep the key policy lockout safety check.",
    resource_types=[KEY],
    check=_lockout_check,
    severity=Severity.MEDIUM,
)

POLICIES = [enable_key_rotation, disallow_bypass_policy_lockout_safety_check]
