"""The S3 bucket the shared ALB writes its access logs to (D3), and who may write there."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pulumi

from ..secure_bucket import SecureBucket, deny_insecure_transport, secure_bucket

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
        deny_insecure_transport(bucket_arn),
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
) -> SecureBucket:
    """A private, versioned, TLS-only bucket whose objects expire after ``expiration_days``."""

    def policy(bucket_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        return pulumi.Output.all(bucket_arn, account_id).apply(
            lambda values: json.dumps(
                access_log_bucket_policy(
                    bucket_arn=values[0], account_id=values[1], region=region, prefix=prefix
                )
            )
        )

    return secure_bucket(
        name,
        parent=parent,
        # S3 adds a unique suffix to the prefix (bucket names are global; at most 37 characters of prefix).
        bucket_prefix=f"{bucket_prefix[:36]}-",
        # SSE-S3 (no kms_key_arn): ALB access-log delivery supports no other server-side encryption,
        # a bucket defaulting to SSE-KMS silently receives no logs.
        lifecycle_rules=[
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
        policy=policy,
        protect=protect,
        force_destroy=force_destroy,
        # Expiring logs, not data: the policy pack reads this class (versioned, but not backed up).
        tags={"kubeboard.io/data-class": "logs"},
    )
