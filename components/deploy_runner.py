"""DeployRunner: a CodeBuild-hosted GitHub Actions runner inside the VPC, where deploys reach the API.

A private EKS endpoint (or one allow-listed to office ranges) cannot be reached from GitHub-hosted
runners, so every Kubernetes resource of a deploy would fail there. CodeBuild runs a fresh,
ephemeral GitHub Actions runner for each queued workflow job whose ``runs-on`` label is
``codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}``, in the private subnets, and
the cluster's security group admits HTTPS from the runner's group only.

The runner itself holds no deploy permissions: the job still assumes its environment's deploy role
through GitHub's OIDC token. The project's service role may only write its own logs, attach to the
private subnets, use its key and fetch tokens of the account's GitHub connection (CodeConnections,
created once by hand because GitHub must approve the app; see the README's bootstrap).
"""

import json
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args
from .github_oidc import repository_error
from .kms import account_key_policy

LINUX_CONTAINER = "LINUX_CONTAINER"
WORKFLOW_JOB_QUEUED = "WORKFLOW_JOB_QUEUED"
HTTPS = 443


_CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_CODEBUILD_IMAGE = re.compile(r"^aws/codebuild/[a-z0-9._-]+:[0-9.]+$")
TIMEOUT_MINUTES = (5, 480)
"""CodeBuild's build timeout range."""


class ComputeType(StrEnum):
    """CodeBuild on-demand Linux container sizes (memory / vCPUs)."""

    SMALL = "BUILD_GENERAL1_SMALL"
    """3 GB, 2 vCPUs."""
    MEDIUM = "BUILD_GENERAL1_MEDIUM"
    """7 GB, 4 vCPUs: enough for `pulumi up` of the whole platform."""
    LARGE = "BUILD_GENERAL1_LARGE"
    """15 GB, 8 vCPUs."""
    XLARGE = "BUILD_GENERAL1_XLARGE"
    """70 GB, 36 vCPUs."""


class DeployRunnerConfig(TypedDict):
    """The runner's plain values: what the ``kubeboard:deployRunner`` stack-file section holds."""

    repository: str
    """The GitHub repository (``owner/name``) whose workflow jobs the runner takes; required."""
    connection_arn: str
    """The account's CodeConnections GitHub connection (status ``AVAILABLE``); required."""
    compute_type: NotRequired[str]
    """CodeBuild compute type, one of ``ComputeType`` (default ``BUILD_GENERAL1_MEDIUM``)."""
    image: NotRequired[str]
    """CodeBuild-managed Ubuntu image (default ``aws/codebuild/standard:7.0``)."""
    timeout_minutes: NotRequired[int]
    """Longest build, 5-480 (default 120); the deploy job's own ``timeout-minutes`` must fit inside it."""
    log_retention_days: NotRequired[int]
    """Retention of the build logs (default 90)."""


class DeployRunnerArgs(DeployRunnerConfig):
    """`DeployRunnerConfig` and what the platform adds: names and the network."""

    name: str
    """Prefix of the physical names; the CodeBuild project is ``<name>-deploy``. Required."""
    vpc_id: pulumi.Input[str]
    """The VPC the runner's builds run in; required."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets with a NAT route: the runner needs GitHub, the AWS APIs and the cluster API. Required."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group; it gets one rule admitting HTTPS from the runner. Required."""
    protect: NotRequired[bool]
    """``protect`` on the key of the build logs (default off)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every resource (default none)."""


DEFAULTS: dict[str, Any] = {
    "compute_type": ComputeType.MEDIUM,
    "image": "aws/codebuild/standard:7.0",
    "timeout_minutes": 120,
    "log_retention_days": 90,
    "protect": False,
    "tags": {},
}


def image_error(image: str) -> str | None:
    """A CodeBuild-managed Ubuntu image: ``actions/setup-python`` has no builds for Amazon Linux."""
    if not _CODEBUILD_IMAGE.match(image):
        return f"{image!r} is not a CodeBuild-managed image such as aws/codebuild/standard:7.0"
    if not image.startswith("aws/codebuild/standard:"):
        return (
            f"{image!r}: the deploy job sets up Python with actions/setup-python, which installs only on "
            "Ubuntu; use aws/codebuild/standard:<version>"
        )
    return None


def problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason a DeployRunner could not be built from ``args``, one line per arg (the stack file's
    values are checked alone, without the wiring)."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = []
    for key in ("repository", "connection_arn"):
        if not config.get(key):
            found.append(f"{key}: required when the deploy runner is enabled")
    if config.get("repository") and (error := repository_error(config["repository"])):
        found.append(f"repository: {error}")
    arn = config.get("connection_arn")
    if arn and not _CONNECTION_ARN.match(arn):
        found.append(
            f"connection_arn: {arn!r} is not a CodeConnections connection ARN "
            "(arn:aws:codeconnections:<region>:<account>:connection/<uuid>)"
        )
    if config["compute_type"] not in set(ComputeType):
        found.append(f"compute_type: {config['compute_type']!r} is not one of {', '.join(ComputeType)}")
    if error := image_error(config["image"]):
        found.append(f"image: {error}")
    low, high = TIMEOUT_MINUTES
    if not low <= config["timeout_minutes"] <= high:
        found.append(f"timeout_minutes: must be {low}..{high}, got {config['timeout_minutes']}")
    return found


def project_name(name: str) -> str:
    """The CodeBuild project name; workflows put ``codebuild-<this>`` first in ``runs-on``."""
    return f"{name}-deploy"


def runs_on_label(name: str) -> str:
    """The ``runs-on`` label a job uses to run on this runner."""
    return f"codebuild-{project_name(name)}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def connection_actions(connection_arn: str) -> list[str]:
    """Token actions of the connection's own service (connections made before 2024 are codestar-connections)."""
    service = connection_arn.split(":")[2]
    return [f"{service}:GetConnectionToken", f"{service}:GetConnection"]


def trust_policy(account_id: str, partition: str, region: str, project: str) -> dict[str, Any]:
    """Only CodeBuild, and only for this project of this account, assumes the service role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:codebuild:{region}:{account_id}:project/{project}"
                    },
                },
            }
        ],
    }


def service_policy(
    *,
    account_id: str,
    partition: str,
    region: str,
    log_group_arn: str,
    key_arn: str,
    connection_arn: str,
    vpc_id: str,
    subnet_ids: Sequence[str],
    security_group_id: str,
) -> dict[str, Any]:
    """What a VPC runner build needs, and nothing a deploy needs (the job assumes its own role)."""
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    subnet_arns = [f"{ec2}:subnet/{subnet}" for subnet in subnet_ids]
    security_group_arn = f"{ec2}:security-group/{security_group_id}"
    network_interfaces = f"{ec2}:network-interface/*"
    vpc_arn = f"{ec2}:vpc/{vpc_id}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteOwnBuildLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {
                # Describe calls have no resource-level permissions; they only read.
                "Sid": "SeeTheVpc",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                "Resource": "*",
            },
            {
                # CodeBuild attaches each build to the VPC with an interface in a private subnet.
                "Sid": "InterfacesInThePrivateSubnets",
                "Effect": "Allow",
                "Action": "ec2:CreateNetworkInterface",
                "Resource": [*subnet_arns, security_group_arn, network_interfaces],
            },
            {
                "Sid": "RemoveOnlyInterfacesOfThisVpc",
                "Effect": "Allow",
                "Action": "ec2:DeleteNetworkInterface",
                "Resource": network_interfaces,
                "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}},
            },
            {
                "Sid": "OnlyInThePrivateSubnets",
                "Effect": "Allow",
                "Action": "ec2:CreateNetworkInterfacePermission",
                "Resource": network_interfaces,
                "Condition": {
                    "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                    "ArnEquals": {"ec2:Subnet": subnet_arns},
                },
            },
            {
                "Sid": "UseTheGitHubConnection",
                "Effect": "Allow",
                "Action": connection_actions(connection_arn),
                "Resource": connection_arn,
            },
            {
                "Sid": "UseTheRunnerKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": key_arn,
            },
        ],
    }


def _logs_may_use_key(account_id: str, partition: str, region: str, log_group_name: str) -> dict[str, Any]:
    log_group_arn = f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"
    return {
        "Sid": "CloudWatchLogsEncryptsTheBuildLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        "Resource": "*",
        # The encryption context is a string key: compared exactly with a string operator.
        "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
    }


class DeployRunner(pulumi.ComponentResource):
    """A CodeBuild project that runs GitHub Actions jobs in the private subnets, and its webhook."""

    project_name: pulumi.Output[str]
    """The CodeBuild project; a job's ``runs-on`` starts with ``codebuild-<this>``."""
    project_arn: pulumi.Output[str]
    """The CodeBuild project's ARN."""
    security_group_id: pulumi.Output[str]
    """The runner's security group (egress only; the cluster admits HTTPS from it)."""
    service_role_arn: pulumi.Output[str]
    """The role CodeBuild runs the builds with."""

    def __init__(self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:DeployRunner", name, None, opts)
        validate_args("DeployRunner", args, DeployRunnerArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        tags = dict(config["tags"])
        project = project_name(config["name"])
        log_group_name = f"/aws/codebuild/{project}"
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        where = pulumi.Output.all(identity.account_id, partition.partition, region.region)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"Build logs and artifacts of the {project} runner",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=where.apply(
                lambda a: json.dumps(
                    account_key_policy(a[0], a[1], [_logs_may_use_key(a[0], a[1], a[2], log_group_name)])
                )
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=config["protect"]),
        )
        aws.kms.Alias(
            f"{name}-key",
            name=f"alias/{project}-runner",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=config["log_retention_days"],
            kms_key_id=key.arn,
            tags=tags,
            opts=child,
        )

        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=f"{project}-runner",
            description="Deploy runner: outbound HTTPS only (GitHub, AWS APIs, the cluster API)",
            vpc_id=config["vpc_id"],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    cidr_blocks=["0.0.0.0/0"],
                    description="HTTPS to GitHub, package registries, AWS APIs and the cluster API",
                )
            ],
            tags={**tags, "Name": f"{project}-runner"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-cluster-api",
            security_group_id=config["cluster_security_group_id"],
            referenced_security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=f"Kubernetes API from the {project} runner",
            tags={**tags, "Name": f"{project}-runner-to-api"},
            opts=child,
        )

        role = aws.iam.Role(
            f"{name}-role",
            name=f"{project}-runner",
            description=f"Service role of the {project} CodeBuild runner",
            assume_role_policy=where.apply(lambda a: json.dumps(trust_policy(a[0], a[1], a[2], project))),
            tags=tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role",
            role=role.id,
            policy=pulumi.Output.all(
                where, log_group.arn, key.arn, config["vpc_id"], config["subnet_ids"], security_group.id
            ).apply(
                lambda a: json.dumps(
                    service_policy(
                        account_id=a[0][0],
                        partition=a[0][1],
                        region=a[0][2],
                        log_group_arn=a[1],
                        key_arn=a[2],
                        connection_arn=config["connection_arn"],
                        vpc_id=a[3],
                        subnet_ids=a[4],
                        security_group_id=a[5],
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )

        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=project,
            description=f"GitHub Actions runner for {config['repository']} inside the VPC",
            service_role=role.arn,
            build_timeout=config["timeout_minutes"],
            encryption_key=key.arn,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type=LINUX_CONTAINER,
                compute_type=str(config["compute_type"]),
                image=config["image"],
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{config['repository']}.git",
                git_clone_depth=1,
                auth=aws.codebuild.ProjectSourceAuthArgs(
                    type="CODECONNECTIONS", resource=config["connection_arn"]
                ),
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=config["vpc_id"], subnets=config["subnet_ids"], security_group_ids=[security_group.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=log_group.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            tags=tags,
            # CodeBuild checks at creation that the role can attach to the VPC and use the connection.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        # Each queued workflow job of the repository is offered to the project; CodeBuild starts a
        # runner only for jobs whose label names this project.
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern=WORKFLOW_JOB_QUEUED)
                    ]
                )
            ],
            opts=child,
        )

        self.project_name = self.project.name
        self.project_arn = self.project.arn
        self.security_group_id = security_group.id
        self.service_role_arn = role.arn
        self.register_outputs(
            {
                "project_name": self.project_name,
                "project_arn": self.project_arn,
                "security_group_id": self.security_group_id,
                "service_role_arn": self.service_role_arn,
            }
        )
