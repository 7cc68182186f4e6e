"""The S3 bucket the shared ALB writes its access logs to (D3), and who may write there."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pulumi
import pulumi_aws as aws

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


@cache
def legacy_elb_accounts() -> dict[str, str]:
    """Region -> the ELB account that delivers logs there (Regions opened before August 2022)."""
    text = resources.files(__package__).joinpath("elb_log_delivery_accounts.json").read_text("utf-8")
    accounts: dict[str, str] = json.loads(text)["accounts"]
    return accounts


def access_log_bucket_policy(*, bucket_arn: str, account_id: str, region: str, prefix: str) -> dict[str, Any]:
    """The bucket policy: ELB log delivery may put objects under ``<prefix>/AWSLogs/<account>/``
    and nothing else; every request must use TLS.

    AWS documents two principals: the legacy per-Region ELB account (Regions opened before
    August 2022, e.g. 600734575887 in ap-northeast-2) and the log delivery service principal
    (Regions opened since). Granting both where both exist keeps delivery working whichever
    one the Region's load balancers use.
    """
    partition = bucket_arn.split(":")[1]
    log_objects = f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AllowElbLogDeliveryService",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:PutObject",
            "Resource": log_objects,
        },
    ]
    legacy_account = legacy_elb_accounts().get(region)
    if legacy_account:
        statements.append(
            {
                "Sid": "AllowElbLogDeliveryAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{legacy_account}:root"},
                "Action": "s3:PutObject",
                "Resource": log_objects,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class AccessLogBucket:
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy


def create_access_log_bucket(
    name: str,
    *,
    parent: pulumi.Resource,
    bucket_prefix: str,
    region: str,
    account_id: pulumi.Input[str],
    prefix: str,
    expiration_days: int,
    force_destroy: bool,
    protect: bool,
) -> AccessLogBucket:
    """A private, versioned, TLS-only bucket whose objects expire after ``expiration_days``."""
    # S3 adds a unique suffix to the prefix (bucket names are global; at most 37 characters of prefix).
    bucket = aws.s3.Bucket(
        name,
        bucket_prefix=f"{bucket_prefix[:36]}-",
        force_destroy=force_destroy,
        # Expiring logs, not data: the policy pack reads this class (versioned, but not backed up).
        tags={"kubeboard.io/data-class": "logs"},
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
    # ACLs off: every object, including those ELB delivers, belongs to this account.
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=after_bucket,
    )
    # SSE-S3 (AES256): ALB access-log delivery supports no other server-side encryption,
    # a bucket defaulting to SSE-KMS silently receives no logs.
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.bucket,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=after_bucket,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.bucket,
        versioning_configuration={"status": "Enabled"},
        opts=after_bucket,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "expiration": {"days": expiration_days},
                # Versioning keeps overwritten or deleted logs; drop them soon after.
                "noncurrent_version_expiration": {"noncurrent_days": 7},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    policy_document = pulumi.Output.all(bucket.arn, account_id).apply(
        lambda values: json.dumps(
            access_log_bucket_policy(bucket_arn=values[0], account_id=values[1], region=region, prefix=prefix)
        )
    )
    # After the public-access block, so a policy is never briefly applied to an unguarded bucket.
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.bucket,
        policy=policy_document,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )
    return AccessLogBucket(bucket=bucket, policy=policy)
