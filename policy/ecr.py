"""ECR: images scanned on push, tags immutable, repositories encrypted with KMS."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, items, truthy

REPOSITORY = "aws:ecr/repository:Repository"


def _scan_on_push(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not truthy(get(args.props, "imageScanningConfiguration.scanOnPush")):
        report("images are not scanned on push (imageScanningConfiguration.scanOnPush)", None)


enable_image_scan = TypedResourcePolicy(
    name="aws-ecr-repository-enable-image-scan",
    description="ECR repositories scan every image on push.",
    resource_types=[REPOSITORY],
    check=_scan_on_push,
    severity=Severity.HIGH,
)


def _immutable(args: ResourceValidationArgs, report: ReportViolation) -> None:
    mutability = str(get(args.props, "imageTagMutability", "MUTABLE"))
    # IMMUTABLE_WITH_EXCLUSION keeps release tags immutable while allowing listed moving tags.
    if not mutability.startswith("IMMUTABLE"):
        report(f"image tags are {mutability}: a pushed tag can be overwritten after it was scanned", None)


disallow_mutable_image = TypedResourcePolicy(
    name="aws-ecr-repository-disallow-mutable-image",
    description="ECR repositories make image tags immutable.",
    resource_types=[REPOSITORY],
    check=_immutable,
    severity=Severity.HIGH,
)


def _kms(args: ResourceValidationArgs, report: ReportViolation) -> None:
    types = [
        str(get(c, "encryptionType", "AES256")) for c in items(get(args.props, "encryptionConfigurations"))
    ]
    if not types or not all(t.startswith("KMS") for t in types):
        report(f"repository encryption is {types[0] if types else 'AES256 (default)'}, not KMS", None)


disallow_unencrypted_repository = TypedResourcePolicy(
    name="aws-ecr-repository-disallow-unencrypted-repository",
    description="ECR repositories encrypt images with AWS KMS.",
    resource_types=[REPOSITORY],
    check=_kms,
    severity=Severity.HIGH,
)

POLICIES = [enable_image_scan, disallow_mutable_image, disallow_unencrypted_repository]
