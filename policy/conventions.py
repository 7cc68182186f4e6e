"""Tags through which components tell the pack what a resource is for.

Defaults are the strict reading: an untagged bucket holds data (versioned, protected in prod).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource

from kubeboard_policy.props import tags

# Buckets tagged with one of these classes hold nothing that cannot be regenerated or expired.
DATA_CLASS_TAG = "kubeboard.io/data-class"
NON_DATA_CLASSES = frozenset({"logs", "ephemeral"})

# A security group fronting the internet-facing ALB (the only place 0.0.0.0/0 may reach, on 80/443).
ROLE_TAG = "kubeboard.io/role"
ALB_ROLE = "alb"

# A Lambda without reserved concurrency must say why, in this tag or in a config exception.
CONCURRENCY_REASON_TAG = "kubeboard.io/unreserved-concurrency-reason"

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})


def holds_data(bucket_props: Mapping[str, Any]) -> bool:
    return str(tags(bucket_props).get(DATA_CLASS_TAG, "data")).lower() not in NON_DATA_CLASSES


def is_alb_security_group(group: PolicyResource) -> bool:
    if str(tags(group.props).get(ROLE_TAG, "")).lower() == ALB_ROLE:
        return True
    return ALB_ROLE in group.name.lower().replace("_", "-").split("-")
