"""One hardened S3 bucket: the platform's buckets differ only in encryption, lifecycle and policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The statement every bucket policy here starts with: no request without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """A bucket policy that only denies requests without TLS."""
    return {"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket_arn)]}


@dataclass(frozen=True)
class SecureBucket:
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy


def secure_bucket(
    name: str,
    *,
    parent: pulumi.Resource,
    lifecycle_rules: Sequence[Mapping[str, Any]],
    kms_key_arn: pulumi.Input[str] | None = None,
    versioned: bool = True,
    bucket_prefix: str | None = None,
    policy: Callable[[pulumi.Output[str]], pulumi.Input[str]] | None = None,
    protect: bool = False,
    force_destroy: bool | None = None,
    tags: Mapping[str, str] | None = None,
) -> SecureBucket:
    """A private bucket: public access blocked, ACLs off, encrypted by default, TLS-only.

    ``kms_key_arn`` chooses SSE-KMS with a bucket key (one data key per bucket, far fewer KMS
    calls); without it the bucket uses SSE-S3, which is what ALB log delivery requires.
    ``policy`` turns the bucket ARN into the policy JSON; it defaults to :func:`tls_only_policy`.
    ``force_destroy`` (empty the bucket on delete) defaults to the opposite of ``protect``.
    """
    bucket = aws.s3.Bucket(
        name,
        bucket_prefix=bucket_prefix,
        force_destroy=not protect if force_destroy is None else force_destroy,
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    after_bucket = pulumi.ResourceOptions(parent=parent, depends_on=[bucket])
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=after_bucket,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=after_bucket,
    )
    default: dict[str, Any] = {"sse_algorithm": "AES256"}
    if kms_key_arn is not None:
        default = {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.bucket,
        rules=[
            {
                "apply_server_side_encryption_by_default": default,
                "bucket_key_enabled": kms_key_arn is not None,
            }
        ],
        opts=after_bucket,
    )
    lifecycle_after: list[pulumi.Resource] = [bucket]
    if versioned:
        lifecycle_after.append(
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket.bucket,
                versioning_configuration={"status": "Enabled"},
                opts=after_bucket,
            )
        )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[dict(rule) for rule in lifecycle_rules],
        # Noncurrent-version rules are rejected until versioning is on.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=lifecycle_after),
    )
    document = (
        policy(bucket.arn) if policy else bucket.arn.apply(lambda arn: json.dumps(tls_only_policy(arn)))
    )
    # After the public-access block, so a policy is never briefly applied to an unguarded bucket.
    bucket_policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.bucket,
        policy=document,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )
    return SecureBucket(bucket=bucket, policy=bucket_policy)
