"""DeployRoles: the roles this repository's own workflows deploy and preview the platform with.

They exist once per account, before any environment stack (the deploy workflow assumes them to run
``pulumi up`` of that stack), so they belong to the account stack. Per environment (stack):

- ``<name>-<stack>-deploy``: assumed only by jobs of this repository that run in the GitHub
  environment named after the stack (``repo:<owner>/<repo>:environment:<stack>``); restrict that
  environment to ``main`` and to its required reviewers in GitHub. It runs ``pulumi up`` of a
  stack that creates IAM roles and policies, so it is account administrator in effect; its trust is
  the control. The environment stack gives it an explicit cluster-admin access entry.
- ``<name>-<stack>-cluster-creator``: assumed only by that deploy role, and used only to create the
  EKS cluster. EKS makes a cluster's creator admin by itself (pulumi-eks always sets
  ``bootstrapClusterCreatorAdminPermissions``); with a dedicated creator, every role that does
  need access gets an explicit entry and none collides with the implicit one.

And ``<name>-preview``: assumed only by jobs of the repository in the GitHub environment ``preview``
(``repo:<owner>/<repo>:environment:preview``), where the pull-request preview runs; read-only (AWS
``ReadOnlyAccess`` minus data reads: object bodies, secret values, parameters, decryption); the
environment stacks give it a view access entry. Pull-request code can name that environment too,
which is why the role and the environment's Pulumi token are read-only.

And ``<name>-promotion``: assumed only by jobs in the GitHub environment ``promotion`` (the central
promote-image workflow), it reads images and their scan findings in the registry and nothing else.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args
from .github_oidc import (
    environment_error,
    promotion_policy,
    repository_error,
    session_hours_problems,
    trust_policy,
)

IAM_ROLE_NAME_LIMIT = 64
# The GitHub environments the preview and promotion jobs run in (their OIDC subjects).
PREVIEW_ENVIRONMENT = "preview"
PROMOTION_ENVIRONMENT = "promotion"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# ReadOnlyAccess also reads data; a preview needs the shape of resources, never their contents.
DATA_READS = (
    "s3:GetObject*",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter*",
    "kms:Decrypt",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "sqs:ReceiveMessage",
    "lambda:GetFunction",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


# The EKS actions pulumi-eks takes on the one cluster it creates, by the resource each names (the
# service authorization reference): the cluster itself, then its access entries and add-ons.
CLUSTER_ACTIONS = (
    "eks:DeleteCluster",
    "eks:DescribeCluster",
    "eks:UpdateClusterConfig",
    "eks:UpdateClusterVersion",
    "eks:AssociateEncryptionConfig",
    "eks:DescribeUpdate",
    "eks:ListUpdates",
    "eks:TagResource",
    "eks:UntagResource",
    "eks:ListTagsForResource",
    "eks:CreateAccessEntry",
    "eks:ListAccessEntries",
    "eks:CreateAddon",
    "eks:ListAddons",
)
MEMBER_ACTIONS = (
    "eks:DeleteAccessEntry",
    "eks:DescribeAccessEntry",
    "eks:UpdateAccessEntry",
    "eks:AssociateAccessPolicy",
    "eks:DisassociateAccessPolicy",
    "eks:ListAssociatedAccessPolicies",
    "eks:DeleteAddon",
    "eks:DescribeAddon",
    "eks:UpdateAddon",
    "eks:TagResource",
    "eks:UntagResource",
)
CREATOR_TAG = "kubeboard.io/cluster-creator"


def deploy_role_name(name: str, stack: str) -> str:
    return f"{name}-{stack}-deploy"


def cluster_creator_role_name(name: str, stack: str) -> str:
    return f"{name}-{stack}-cluster-creator"


def preview_role_name(name: str) -> str:
    return f"{name}-preview"


def promotion_role_name(name: str) -> str:
    return f"{name}-promotion"


def creator_trust(deploy_role_arn: str) -> dict[str, Any]:
    """Only the environment's deploy role assumes its cluster creator."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheEnvironmentsDeployRole",
                "Effect": "Allow",
                "Principal": {"AWS": deploy_role_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def creator_policy(account_id: str, partition: str, cluster_name: str) -> dict[str, Any]:
    """What pulumi-eks needs to create one cluster: the cluster, its service role, its OIDC provider."""
    iam = f"arn:{partition}:iam::{account_id}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # CreateCluster names no resource in IAM: it is held to requests that tag the cluster
                # with its creator role, which the platform always does (components/cluster.py).
                "Sid": "CreateOnlyACreatorTaggedCluster",
                "Effect": "Allow",
                "Action": "eks:CreateCluster",
                "Resource": "*",
                "Condition": {
                    "StringLike": {f"aws:RequestTag/{CREATOR_TAG}": f"{iam}:role/*-cluster-creator"}
                },
            },
            {
                "Sid": "ThisCluster",
                "Effect": "Allow",
                "Action": list(CLUSTER_ACTIONS),
                "Resource": f"arn:{partition}:eks:*:{account_id}:cluster/{cluster_name}",
            },
            {
                "Sid": "ItsAccessEntriesAndAddOns",
                "Effect": "Allow",
                "Action": list(MEMBER_ACTIONS),
                "Resource": [
                    f"arn:{partition}:eks:*:{account_id}:access-entry/{cluster_name}/*",
                    f"arn:{partition}:eks:*:{account_id}:addon/{cluster_name}/*",
                ],
            },
            {
                "Sid": "ReadWhatTheClusterIsBuiltOn",
                "Effect": "Allow",
                "Action": [
                    "ec2:Describe*",
                    "eks:DescribeAddonVersions",
                    "eks:DescribeAddonConfiguration",
                    "eks:ListClusters",
                ],
                "Resource": "*",
            },
            {
                # pulumi-eks names the cluster's service role after the component: <name>-eksRole-<suffix>.
                "Sid": "TheClusterServiceRole",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:GetRole",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                    "iam:GetRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:ListInstanceProfilesForRole",
                ],
                "Resource": f"{iam}:role/*-eksRole-*",
            },
            {
                "Sid": "PassItOnlyToEks",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"{iam}:role/*-eksRole-*",
                "Condition": {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}},
            },
            {
                "Sid": "TheClustersOidcProvider",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateOpenIDConnectProvider",
                    "iam:DeleteOpenIDConnectProvider",
                    "iam:GetOpenIDConnectProvider",
                    "iam:TagOpenIDConnectProvider",
                    "iam:UntagOpenIDConnectProvider",
                    "iam:UpdateOpenIDConnectProviderThumbprint",
                    "iam:AddClientIDToOpenIDConnectProvider",
                ],
                "Resource": f"{iam}:oidc-provider/oidc.eks.*.amazonaws.com/id/*",
            },
            {
                "Sid": "EksServiceLinkedRole",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": f"arn:{partition}:iam::{account_id}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
                "Condition": {"StringEquals": {"iam:AWSServiceName": "eks.amazonaws.com"}},
            },
            {
                "Sid": "SeeTheSecretsKey",
                "Effect": "Allow",
                "Action": ["kms:DescribeKey", "kms:ListGrants"],
                "Resource": f"arn:{partition}:kms:*:{account_id}:key/*",
            },
            {
                # Envelope encryption of secrets: EKS takes a grant on the stack's key, for itself only.
                "Sid": "SecretsKeyGrantForEks",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": f"arn:{partition}:kms:*:{account_id}:key/*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }


def preview_deny_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoDataReads", "Effect": "Deny", "Action": list(DATA_READS), "Resource": "*"},
        ],
    }


class DeployEnvironmentArgs(TypedDict):
    stack: str
    """The environment stack (``dev``, ``prod``): also the GitHub environment its deploy job runs in."""
    cluster_name: str
    """The stack's EKS cluster name (its ``platform.name``): the only cluster its creator may create."""


class DeployConfig(TypedDict):
    """What a stack file can say about the deploy roles (``kubeboard:account.deploy``):
    ``DeployRolesArgs`` without the wiring the account supplies."""

    repository: str
    """The infrastructure repository, exactly ``owner/name``; required."""
    environments: Sequence[DeployEnvironmentArgs]
    """One deploy role and one cluster-creator role per environment stack, each stack once; required."""


class DeployRolesArgs(TypedDict):
    name: str
    """Prefix of the role names (``<name>-<stack>-deploy``, ``<name>-preview``); required."""
    repository: str
    """The infrastructure repository, exactly ``owner/name``; required."""
    environments: Sequence[DeployEnvironmentArgs]
    """One deploy role and one cluster-creator role per environment stack, each stack once; required."""
    oidc_provider_arn: pulumi.Input[str]
    """The account's GitHub OIDC provider (``token.actions.githubusercontent.com``); required."""
    preview: NotRequired[bool]
    """Create the read-only pull-request preview role (default on)."""
    promotion_ecr_repository_arns: NotRequired[pulumi.Input[Sequence[str]] | None]
    """ECR repositories the promote-image workflow reads; ``None`` (the default) leaves the promotion
    role out."""
    enhanced_scanning: NotRequired[bool]
    """Whether the registry uses Inspector enhanced scanning (the promotion role reads its findings);
    default off."""
    max_session_hours: NotRequired[int]
    """Credential lifetime of a deploy job, 1-12 (default 2 hours: a first prod deploy takes over one)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags on every role (default none); ``GitHubRepository`` is always added."""


DEFAULTS: dict[str, Any] = {
    "preview": True,
    "promotion_ecr_repository_arns": None,
    "enhanced_scanning": False,
    "max_session_hours": 2,
    "tags": {},
}


def config_problems(config: Mapping[str, Any], *, name: str) -> list[str]:
    """The rules of the stack-file values; ``name`` is the prefix the role names start with."""
    found = []
    if error := repository_error(config["repository"]):
        found.append(f"repository: {error}")
    if not config["environments"]:
        found.append("environments: list at least one environment stack")
    stacks = [environment["stack"] for environment in config["environments"]]
    for index, stack in enumerate(stacks):
        error = environment_error(stack)
        if error is None and stack in stacks[:index]:
            error = f"{stack!r} is listed twice"
        if error is None and stack in (PREVIEW_ENVIRONMENT, PROMOTION_ENVIRONMENT):
            error = (
                f"{stack!r} is the GitHub environment of the "
                f"{'preview' if stack == PREVIEW_ENVIRONMENT else 'promotion'} jobs; no stack may be named so"
            )
        if error is None and len(role := cluster_creator_role_name(name, stack)) > IAM_ROLE_NAME_LIMIT:
            error = f"role name {role!r} exceeds IAM's {IAM_ROLE_NAME_LIMIT} characters"
        if error is not None:
            found.append(f"environments[{index}].stack: {error}")
    return found


def problems(args: DeployRolesArgs) -> list[str]:
    """Every reason DeployRoles could not be built from ``args``, one line per arg."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = config_problems(args, name=config["name"])
    return found + session_hours_problems("max_session_hours", config["max_session_hours"])


class DeployRoles(pulumi.ComponentResource):
    """Per environment a deploy role and a cluster-creator role, and one read-only preview role."""

    deploy_role_arns: pulumi.Output[dict[str, str]]
    """Deploy role ARN by stack: the GitHub environment variable ``AWS_DEPLOY_ROLE_ARN``."""
    cluster_creator_role_arns: pulumi.Output[dict[str, str]]
    """Cluster-creator role ARN by stack: the stack's ``cluster.access.clusterCreatorRoleArn``."""
    preview_role_arn: pulumi.Output[str | None]
    """The read-only preview role (``None`` without ``preview``)."""
    promotion_role_arn: pulumi.Output[str | None]
    """The promotion role (``None`` without ``promotion_ecr_repository_arns``)."""

    def __init__(self, name: str, args: DeployRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:DeployRoles", name, None, opts)
        validate_args("DeployRoles", args, DeployRolesArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        prefix, repository = config["name"], config["repository"]
        environments = list(config["environments"])
        tags = {**config["tags"], "GitHubRepository": repository}
        child = pulumi.ResourceOptions(parent=self)
        provider_arn = pulumi.Output.from_input(config["oidc_provider_arn"])
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        session_seconds = 3600 * config["max_session_hours"]

        deploy_arns: dict[str, pulumi.Output[str]] = {}
        creator_arns: dict[str, pulumi.Output[str]] = {}
        for environment in environments:
            stack, cluster_name = environment["stack"], environment["cluster_name"]
            deploy = aws.iam.Role(
                f"{name}-{stack}-deploy",
                name=deploy_role_name(prefix, stack),
                description=f"pulumi up of the {stack} stack from {repository}, GitHub environment {stack}",
                assume_role_policy=provider_arn.apply(_environment_trust(repository, stack)),
                max_session_duration=session_seconds,
                tags={**tags, "Stack": stack},
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-{stack}-deploy-admin",
                role=deploy.name,
                policy_arn=ADMINISTRATOR_ACCESS,
                opts=pulumi.ResourceOptions(parent=deploy),
            )
            creator = aws.iam.Role(
                f"{name}-{stack}-cluster-creator",
                name=cluster_creator_role_name(prefix, stack),
                description=f"Creates the {cluster_name} EKS cluster (EKS makes its creator admin)",
                assume_role_policy=deploy.arn.apply(lambda arn: json.dumps(creator_trust(arn))),
                max_session_duration=3600,
                tags={**tags, "Stack": stack},
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-{stack}-cluster-creator",
                role=creator.id,
                policy=pulumi.Output.all(account, partition).apply(_creator_json(cluster_name)),
                opts=pulumi.ResourceOptions(parent=creator),
            )
            deploy_arns[stack] = deploy.arn
            creator_arns[stack] = creator.arn

        self.preview_role_arn = pulumi.Output.from_input(None)
        if config["preview"]:
            preview = aws.iam.Role(
                f"{name}-preview",
                name=preview_role_name(prefix),
                description=f"Read-only pulumi preview of pull requests in {repository}",
                assume_role_policy=provider_arn.apply(_environment_trust(repository, PREVIEW_ENVIRONMENT)),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-preview-read-only",
                role=preview.name,
                policy_arn=READ_ONLY_ACCESS,
                opts=pulumi.ResourceOptions(parent=preview),
            )
            aws.iam.RolePolicy(
                f"{name}-preview-no-data-reads",
                role=preview.id,
                policy=json.dumps(preview_deny_policy()),
                opts=pulumi.ResourceOptions(parent=preview),
            )
            self.preview_role_arn = preview.arn

        self.promotion_role_arn = pulumi.Output.from_input(None)
        promoted = config["promotion_ecr_repository_arns"]
        if promoted is not None:
            promotion = aws.iam.Role(
                f"{name}-promotion",
                name=promotion_role_name(prefix),
                description=f"Reads images and scan findings for the promote-image workflow of {repository}",
                assume_role_policy=provider_arn.apply(_environment_trust(repository, PROMOTION_ENVIRONMENT)),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            enhanced = config["enhanced_scanning"]
            aws.iam.RolePolicy(
                f"{name}-promotion-read-images",
                name="read-images",
                role=promotion.id,
                policy=pulumi.Output.from_input(promoted).apply(
                    lambda arns: json.dumps(promotion_policy(arns, enhanced_scanning=enhanced))
                ),
                opts=pulumi.ResourceOptions(parent=promotion),
            )
            self.promotion_role_arn = promotion.arn

        self.deploy_role_arns = pulumi.Output.all(**deploy_arns)
        self.cluster_creator_role_arns = pulumi.Output.all(**creator_arns)
        self.register_outputs(
            {
                "deploy_role_arns": self.deploy_role_arns,
                "cluster_creator_role_arns": self.cluster_creator_role_arns,
                "preview_role_arn": self.preview_role_arn,
                "promotion_role_arn": self.promotion_role_arn,
            }
        )


def _environment_trust(repository: str, stack: str) -> Callable[[str], str]:
    # One function per role, so each apply keeps its own stack (no late-binding loop variables).
    return lambda provider_arn: json.dumps(trust_policy(provider_arn, repository, [], [stack]))


def _creator_json(cluster_name: str) -> Callable[[list[str]], str]:
    return lambda a: json.dumps(creator_policy(a[0], a[1], cluster_name))
