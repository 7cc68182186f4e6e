"""Registry: private ECR repositories and the account's image scanning configuration (K9, K10, H7).

Every repository scans on push, keeps tags immutable (a scanned tag can never be swapped for an
unscanned image), encrypts with the registry's own rotating KMS key, expires untagged images and
keeps only the last N tagged ones, and refuses principals from other accounts.
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args
from .kms import rotating_key

PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


# ECR: lower-case components separated by '.', '_' or '-', joined by '/'.
REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
REPOSITORY_NAME_LIMIT = 256
KEEP_TAGGED_IMAGES = (1, 10000)
UNTAGGED_EXPIRE_DAYS = (1, 365)


class ScanType(StrEnum):
    BASIC = "BASIC"
    """ECR's own scan on push (free)."""
    ENHANCED = "ENHANCED"
    """Amazon Inspector: OS and language packages, rescanned continuously as new CVEs appear."""


class RepositoryArgs(TypedDict):
    name: str
    """The ECR repository name (``team/app``); required."""
    keep_tagged_images: NotRequired[int]
    """How many tagged images to keep, 1-10000; older ones expire (default 30)."""
    untagged_expire_days: NotRequired[int]
    """Days before an untagged image expires, 1-365 (default 7)."""


class RegistryArgs(TypedDict):
    name: str
    """Prefix of the registry's key alias; required."""
    repositories: Sequence[RepositoryArgs]
    """The repositories, at least one, each name once; required."""
    scan_type: NotRequired[ScanType]
    """``BASIC`` (scan on push) or ``ENHANCED`` (Amazon Inspector, continuous rescans); default ``BASIC``."""
    protect: NotRequired[bool]
    """Protect repositories and their key from deletion (default off)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource (default none)."""


DEFAULTS: dict[str, Any] = {"scan_type": ScanType.BASIC, "protect": False, "tags": {}}
REPOSITORY_DEFAULTS: dict[str, Any] = {"keep_tagged_images": 30, "untagged_expire_days": 7}


def repository_problems(path: str, repositories: Sequence[RepositoryArgs]) -> list[str]:
    """Rules of the repository list, also used by the account (``registry.repositories``)."""
    if not repositories:
        return [f"{path}: list at least one repository"]
    found: list[str] = []
    names = [repository["name"] for repository in repositories]
    for index, repository in enumerate(repositories):
        spec = {**REPOSITORY_DEFAULTS, **repository}
        name = spec["name"]
        if len(name) > REPOSITORY_NAME_LIMIT or not REPOSITORY_NAME.match(name):
            found.append(f"{path}[{index}].name: {name!r} is not an ECR repository name (e.g. team/app)")
        elif name in names[:index]:
            found.append(f"{path}[{index}].name: {name!r} is listed twice")
        for key, (low, high) in (
            ("keep_tagged_images", KEEP_TAGGED_IMAGES),
            ("untagged_expire_days", UNTAGGED_EXPIRE_DAYS),
        ):
            if not low <= spec[key] <= high:
                found.append(f"{path}[{index}].{key}: must be {low}..{high}, got {spec[key]}")
    return found


def problems(args: RegistryArgs) -> list[str]:
    """Every reason a Registry could not be built from ``args``, one line per arg."""
    found = repository_problems("repositories", args["repositories"])
    scan_type = args.get("scan_type", DEFAULTS["scan_type"])
    if scan_type not in set(ScanType):
        found.append(f"scan_type: {scan_type!r} must be BASIC or ENHANCED")
    return found


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
    """Private ECR repositories, their key, and the registry-wide scanning configuration."""

    repository_urls: pulumi.Output[dict[str, str]]
    """Repository URL by repository name (``<account>.dkr.ecr.<region>.amazonaws.com/<name>``)."""
    repository_arns: pulumi.Output[dict[str, str]]
    """Repository ARN by repository name."""
    kms_key_arn: pulumi.Output[str]
    """The key the repositories are encrypted with."""

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Registry", name, None, opts)
        validate_args("Registry", args, RegistryArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        prefix = config["name"]
        tags = dict(config["tags"])
        protect = config["protect"]
        scan_type = str(config["scan_type"])
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
        for repository_args in config["repositories"]:
            spec = {**REPOSITORY_DEFAULTS, **repository_args}
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
        self.register_outputs(
            {
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "kms_key_arn": self.kms_key_arn,
            }
        )
