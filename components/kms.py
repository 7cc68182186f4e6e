"""Customer-managed KMS keys with yearly rotation, administered by the account (not by one role)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def account_key_policy(account_id: str, partition: str, extra: Sequence[Mapping[str, Any]] = ()) -> dict:
    """The default key policy made explicit: IAM policies of the account decide who uses the key."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            *extra,
        ],
    }


def cloudwatch_alarms_statement(account_id: str) -> dict[str, Any]:
    """CloudWatch alarms of this account may publish to an SNS topic encrypted with the key.

    AWS-managed keys (``alias/aws/sns``) cannot grant this: alarms on such a topic fail silently.
    """
    return {
        "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def rotating_key(
    name: str,
    *,
    alias: str,
    description: str,
    allow_cloudwatch_alarms: bool = False,
    protect: bool = False,
    tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions,
) -> aws.kms.Key:
    """A symmetric key that rotates yearly, with a 30-day deletion window and an alias.

    ``allow_cloudwatch_alarms`` lets the account's alarms use it, for an encrypted alert topic.
    """
    invoke = pulumi.InvokeOutputOptions(parent=opts.parent) if opts.parent else None
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=pulumi.Output.all(identity.account_id, partition.partition).apply(
            lambda a: json.dumps(
                account_key_policy(
                    a[0], a[1], [cloudwatch_alarms_statement(a[0])] if allow_cloudwatch_alarms else []
                )
            )
        ),
        tags=dict(tags or {}),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect)),
    )
    aws.kms.Alias(
        name, name=f"alias/{alias}", target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=key)
    )
    return key
