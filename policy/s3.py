"""S3: no public access, encryption at rest, TLS only, versioning on buckets that hold data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from kubeboard_policy.base import GraphStackPolicy, TypedResourcePolicy
from kubeboard_policy.conventions import BUCKET_TYPES, holds_data
from kubeboard_policy.graph import Links, of_type
from kubeboard_policy.props import get, items, policy_document, statements, strings, truthy

PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"

PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse", "AES256"})


def _no_public_acl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    acl = get(args.props, "acl")
    if isinstance(acl, str) and acl.lower() in PUBLIC_ACLS:
        report(f"canned ACL '{acl}' makes objects readable outside the account; use 'private'", None)


disallow_public_read = TypedResourcePolicy(
    name="aws-s3-bucket-disallow-public-read",
    description="S3 bucket ACLs must not grant public-read, public-read-write or authenticated-read.",
    resource_types=[*BUCKET_TYPES, BUCKET_ACL],
    check=_no_public_acl,
    severity=Severity.CRITICAL,
    remediation_steps="Drop the ACL (BucketOwnerEnforced ownership); grant access by IAM or bucket policy.",
)


def _public_access_blocked(args: StackValidationArgs, report: ReportViolation) -> None:
    buckets = of_type(args.resources, *BUCKET_TYPES)
    blocks = Links(buckets).group(of_type(args.resources, PUBLIC_ACCESS_BLOCK), "bucket")
    for bucket in buckets:
        attached = blocks.get(bucket.urn, [])
        if not attached:
            report(f"bucket '{bucket.name}' has no BucketPublicAccessBlock", bucket.urn)
            continue
        for block in attached:
            off = [flag for flag in BLOCK_FLAGS if not truthy(get(block.props, flag))]
            if off:
                report(
                    f"public access block of bucket '{bucket.name}' leaves {', '.join(off)} off", block.urn
                )


enable_public_access_block = GraphStackPolicy(
    name="aws-s3-bucket-enable-public-access-block",
    description="Every S3 bucket has a public access block with all four settings on.",
    resource_types=[*BUCKET_TYPES, PUBLIC_ACCESS_BLOCK],
    check=_public_access_blocked,
    severity=Severity.CRITICAL,
    remediation_steps="Add aws.s3.BucketPublicAccessBlock with block/ignore/restrict all set to true.",
)


def _inline_sse(bucket_props: Mapping[str, Any]) -> list[Any]:
    return [get(bucket_props, "serverSideEncryptionConfiguration.rule")]


def _sse_algorithms(rules: list[Any]) -> list[str]:
    return [
        str(get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm", ""))
        for rule in rules
        if rule is not None
    ]


def _encrypted(args: StackValidationArgs, report: ReportViolation) -> None:
    buckets = of_type(args.resources, *BUCKET_TYPES)
    configs = Links(buckets).group(of_type(args.resources, *ENCRYPTION_TYPES), "bucket")
    for bucket in buckets:
        algorithms = _sse_algorithms(_inline_sse(bucket.props))
        for config in configs.get(bucket.urn, []):
            algorithms += _sse_algorithms(items(get(config.props, "rules")))
        if not algorithms:
            report(f"bucket '{bucket.name}' has no server-side encryption configuration", bucket.urn)
        elif not any(a in SSE_ALGORITHMS for a in algorithms):
            report(f"bucket '{bucket.name}' uses unknown SSE algorithm(s) {algorithms}", bucket.urn)


enable_server_side_encryption = GraphStackPolicy(
    name="aws-s3-bucket-enable-server-side-encryption",
    description="Every S3 bucket declares default server-side encryption (SSE-KMS or SSE-S3).",
    resource_types=[*BUCKET_TYPES, *ENCRYPTION_TYPES],
    check=_encrypted,
    severity=Severity.HIGH,
    remediation_steps="Add aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms'.",
)


def _denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        actions = strings(statement.get("Action"))
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        secure = get(statement, "Condition.Bool", {})
        value = secure.get("aws:SecureTransport") if isinstance(secure, Mapping) else None
        if any(str(v).lower() == "false" for v in items(value)):
            return True
    return False


def _tls_only(args: StackValidationArgs, report: ReportViolation) -> None:
    buckets = of_type(args.resources, *BUCKET_TYPES)
    policies = Links(buckets).group(of_type(args.resources, BUCKET_POLICY), "bucket")
    for bucket in buckets:
        documents = [policy_document(get(bucket.props, "policy"))]
        documents += [policy_document(get(p.props, "policy")) for p in policies.get(bucket.urn, [])]
        if not any(_denies_insecure_transport(d) for d in documents):
            report(
                f"bucket '{bucket.name}' has no policy denying requests without TLS (aws:SecureTransport)",
                bucket.urn,
            )


enforce_ssl_requests_only = GraphStackPolicy(
    name="aws-s3-bucket-enforce-ssl-requests-only",
    description="Every S3 bucket policy denies any request made without TLS.",
    resource_types=[*BUCKET_TYPES, BUCKET_POLICY],
    check=_tls_only,
    severity=Severity.HIGH,
    remediation_steps='Deny "s3:*" with Condition {"Bool": {"aws:SecureTransport": "false"}}.',
)


def _versioned(args: StackValidationArgs, report: ReportViolation) -> None:
    buckets = [b for b in of_type(args.resources, *BUCKET_TYPES) if holds_data(b.props)]
    versionings = Links(buckets).group(of_type(args.resources, *VERSIONING_TYPES), "bucket")
    for bucket in buckets:
        enabled = truthy(get(bucket.props, "versioning.enabled")) or any(
            get(v.props, "versioningConfiguration.status") == "Enabled"
            for v in versionings.get(bucket.urn, [])
        )
        if not enabled:
            report(f"data bucket '{bucket.name}' does not have versioning enabled", bucket.urn)


enable_versioning = GraphStackPolicy(
    name="aws-s3-bucket-enable-versioning",
    description="S3 buckets holding data keep object versions (tag kubeboard.io/data-class=logs to opt out).",
    resource_types=[*BUCKET_TYPES, *VERSIONING_TYPES],
    check=_versioned,
    severity=Severity.MEDIUM,
    remediation_steps="Add aws.s3.BucketVersioning with status 'Enabled' and expire noncurrent versions.",
)

POLICIES = [
    disallow_public_read,
    enable_public_access_block,
    enable_server_side_encryption,
    enforce_ssl_requests_only,
    enable_versioning,
]
