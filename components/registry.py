"""Registry: private ECR repositories and the account's image scanning configuration (K9, K10, H7).

Every repository scans on push, keeps tags immutable (a scanned tag can never be swapped for an
unscanned image), encrypts with the registry's own rotating KMS key, expires untagged images and
keeps only the last N tagged ones, and refuses principals from other accounts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .kms import rotating_key

PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


class RepositoryArgs(TypedDict):
    name: str
    keep_tagged_images: int
    untagged_expire_days: int


class RegistryArgs(TypedDict):
    name: str
    """Prefix of the registry's key alias."""
    repositories: Sequence[RepositoryArgs]
    scan_type: NotRequired[str]
    """``BASIC`` (scan on push) or ``ENHANCED`` (Amazon Inspector, continuous rescans)."""
    protect: NotRequired[bool]
    """Protect repositories and their key from deletion (prod)."""
    tags: NotRequired[Mapping[str, str]]


def lifecycle_policy(keep_tagged_images: int, untagged_expire_days: int) -> dict:
    """Expire untagged images after some days; keep only the newest N tagged images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_expire_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expire_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_tagged_images} tagged images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_tagged_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def repository_policy(account_id: str, partition: str) -> dict:
    """Pulls by the account's own principals; everyone outside the account is denied outright.

    AWS services acting for the account (e.g. Lambda pulling a container image) carry no
    principal account, so they are exempted from the deny by `aws:PrincipalIsAWSService`.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowPullWithinTheAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": PULL_ACTIONS,
            },
            {
                "Sid": "DenyOtherAccounts",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "ecr:*",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalAccount": account_id},
                    "Bool": {"aws:PrincipalIsAWSService": "false"},
                },
            },
        ],
    }


class Registry(pulumi.ComponentResource):
    repository_urls: pulumi.Output[dict[str, str]]
    """Repository URL by repository name (``<account>.dkr.ecr.<region>.amazonaws.com/<name>``)."""
    repository_arns: pulumi.Output[dict[str, str]]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Registry", name, None, opts)
        prefix = args["name"]
        tags = dict(args.get("tags") or {})
        protect = args.get("protect", False)
        scan_type = args.get("scan_type", "BASIC")
        if scan_type not in ("BASIC", "ENHANCED"):
            raise ValueError(f"registry scan type {scan_type!r} must be BASIC or ENHANCED")
        child = pulumi.ResourceOptions(parent=self)

        key = rotating_key(
            f"{name}-ecr",
            alias=f"{prefix}-ecr",
            description=f"Encryption at rest of the {prefix} ECR repositories",
            protect=protect,
            tags=tags,
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = pulumi.Output.all(identity.account_id, partition.partition).apply(
            lambda a: json.dumps(repository_policy(a[0], a[1]))
        )

        urls: dict[str, pulumi.Output[str]] = {}
        arns: dict[str, pulumi.Output[str]] = {}
        for spec in args["repositories"]:
            resource_name = f"{name}-{spec['name'].replace('/', '-')}"
            repository = aws.ecr.Repository(
                resource_name,
                name=spec["name"],
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key.arn)
                ],
                # Deleting a repository with images fails unless forced: never force in prod.
                force_delete=not protect,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            aws.ecr.LifecyclePolicy(
                resource_name,
                repository=repository.name,
                policy=json.dumps(lifecycle_policy(spec["keep_tagged_images"], spec["untagged_expire_days"])),
                opts=pulumi.ResourceOptions(parent=repository),
            )
            aws.ecr.RepositoryPolicy(
                resource_name,
                repository=repository.name,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=repository),
            )
            urls[spec["name"]] = repository.repository_url
            arns[spec["name"]] = repository.arn

        # Registry-wide: BASIC scans on push; ENHANCED (Inspector) also rescans as new CVEs appear.
        frequency = "CONTINUOUS_SCAN" if scan_type == "ENHANCED" else "SCAN_ON_PUSH"
        aws.ecr.RegistryScanningConfiguration(
            f"{name}-scanning",
            scan_type=scan_type,
            rules=[
                aws.ecr.RegistryScanningConfigurationRuleArgs(
                    scan_frequency=frequency,
                    repository_filters=[
                        aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                            filter="*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
            opts=child,
        )

        self.repository_urls = pulumi.Output.all(**urls)
        self.repository_arns = pulumi.Output.all(**arns)
        self.kms_key_arn = key.arn
        self.register_outputs({"repositoryUrls": self.repository_urls, "kmsKeyArn": self.kms_key_arn})
