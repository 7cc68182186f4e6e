"""Policies of the VPC endpoints: traffic through them reaches only what the platform uses.

Without a policy an endpoint admits any principal to any resource, so a compromised pod could
copy data out to a bucket in another account over the S3 gateway, invisible to the NAT's logs.
"""

from __future__ import annotations

import json
from typing import Any


def _aws_owned_buckets(region: str) -> list[str]:
    """Buckets outside the account that nodes read through the S3 gateway with AWS's credentials:
    ECR serves image layers from the first by pre-signed URLs; AL2023 nodes install packages from
    the Amazon Linux repositories."""
    return [
        f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*",
        f"arn:aws:s3:::al2023-repos-{region}-de612dc2/*",
    ]


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def s3_gateway(account_id: str, region: str) -> str:
    """The account's own principals anywhere; anyone only to the AWS-owned buckets nodes read."""
    return _document(
        {
            "Sid": "OwnAccountPrincipals",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        },
        {
            "Sid": "ImageLayersAndOsPackages",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": _aws_owned_buckets(region),
        },
    )


def interface(service: str, account_id: str) -> str:
    """ECR and CloudWatch Logs for the account's own principals only. STS serves callers that are
    not yet anyone (IRSA's web-identity exchange), so it is limited by the role being assumed."""
    if service == "sts":
        return _document(
            {
                "Sid": "AssumeOwnAccountRolesOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": account_id}},
            }
        )
    prefix = service.split(".", maxsplit=1)[0]
    return _document(
        {
            "Sid": "OwnAccountPrincipals",
            "Effect": "Allow",
            "Principal": "*",
            "Action": f"{prefix}:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    )
