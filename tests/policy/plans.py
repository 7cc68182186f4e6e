"""Small plan fragments in the plan.json resource shape, for policy tests."""

from __future__ import annotations

import json
from typing import Any

PROJECT = "kubeboard"


def urn(resource_type: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{resource_type}::{name}"


def res(
    resource_type: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    id: str | None = None,
    deps: tuple[dict[str, Any], ...] = (),
    protect: bool = False,
    parent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "urn": urn(resource_type, name),
        "id": id if id is not None else f"{name}-id",
        "type": resource_type,
        "name": name,
        "parent": parent["urn"] if parent else None,
        "provider": None,
        "protect": protect,
        "dependencies": [d["urn"] for d in deps],
        "inputs": inputs or {},
    }


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BUCKET = "aws:s3/bucket:Bucket"


def bucket_with(
    name: str = "data",
    *,
    tags: dict[str, str] | None = None,
    public_block: bool = True,
    encryption: str | None = "aws:kms",
    tls_only: bool = True,
    versioning: str | None = "Enabled",
    protect: bool = False,
) -> list[dict[str, Any]]:
    """A bucket and the companions a compliant one has; each switch removes or weakens one."""
    bucket = res(BUCKET, name, {"bucket": f"kb-{name}", "tags": tags or {}}, protect=protect)
    out = [bucket]
    ref = {"bucket": bucket["id"]}
    if public_block:
        flags = dict.fromkeys(
            ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
        )
        out.append(
            res(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                f"{name}-pab",
                {**ref, **flags},
                deps=(bucket,),
            )
        )
    if encryption:
        rules = [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": encryption}, "bucketKeyEnabled": True}
        ]
        out.append(
            res(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"{name}-sse",
                {**ref, "rules": rules},
                deps=(bucket,),
            )
        )
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::x", "arn:aws:s3:::x/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false" if tls_only else "true"}},
    }
    out.append(
        res(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{name}-policy",
            {**ref, "policy": doc(statement)},
            deps=(bucket,),
        )
    )
    if versioning:
        out.append(
            res(
                "aws:s3/bucketVersioning:BucketVersioning",
                f"{name}-versioning",
                {**ref, "versioningConfiguration": {"status": versioning}},
                deps=(bucket,),
            )
        )
    return out
