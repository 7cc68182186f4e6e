"""GitHubDelivery: application repositories push images to ECR from GitHub Actions without keys (K9, D4).

GitHub's OIDC issuer is registered once per account; each application repository gets its own IAM
role that only that repository's jobs can assume, only from the branches and GitHub environments
listed for it, and only inside the platform's reusable delivery workflow on main (the scan gate
runs there). IAM has no condition key for the ``job_workflow_ref`` claim, so the application
repositories customize their OIDC subject to carry it (README: CI credentials) and the trust pins
``sub`` to ``repo:<repo>:<context>:job_workflow_ref:<workflow>@refs/heads/main``: an application's own
job in the ``prod`` environment gets a subject no role trusts. The role may push to, and read scan results of, its team's ECR
repositories and nothing else.

The one wildcard resource is ``ecr:GetAuthorizationToken``: the registry login API has no
resource-level permissions (AWS documents ``Resource: "*"`` as the only form), and the token it
returns grants nothing by itself; every push is still checked against the repository statement.
With enhanced scanning, ECR reads findings from Amazon Inspector on the caller's behalf, which needs
``inspector2:ListFindings`` / ``ListCoverage``; those are read-only and also have no resource-level
permissions, so they are granted only when the registry uses enhanced scanning.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .args import validate_args

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"

# Push a built image, skip layers already present, read back the digest and the scan result.
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
)
ENHANCED_SCAN_READ_ACTIONS = ("inspector2:ListFindings", "inspector2:ListCoverage")
# Find the newest image and judge its scan (the central promotion): no write, no layer download.
READ_IMAGE_ACTIONS = ("ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:DescribeImageScanFindings")


# GitHub: owners are alphanumerics and single hyphens, repositories alphanumerics, '.', '_', '-'.
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/*-]{1,255}(?<!/)$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# The delivery workflow on this repository's main branch, as GitHub writes it in `job_workflow_ref`.
_WORKFLOW_REF = re.compile(
    r"^(?P<repository>[^/]+/[^/]+)/\.github/workflows/[A-Za-z0-9._-]+\.ya?ml@refs/heads/main$"
)
_GITHUB_PROVIDER_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)
MAX_SESSION_HOURS = (1, 12)
"""IAM's MaxSessionDuration range, in hours."""


def repository_error(repository: str) -> str | None:
    """Exactly one ``owner/name``: a wildcard would let other repositories assume the role."""
    if "*" in repository or "?" in repository:
        return f"{repository!r} has a wildcard; name exactly one repository as owner/name"
    if not _REPOSITORY.match(repository):
        return f"{repository!r} is not a GitHub repository; use owner/name, e.g. acme/shop-api"
    return None


def branch_error(branch: str) -> str | None:
    """A branch name, or a pattern such as ``release/*``; a bare ``*`` would trust every branch."""
    if branch.removeprefix("refs/heads/").strip("*/") == "":
        return f"{branch!r} would trust every branch; list branch names or patterns like release/*"
    if branch.startswith("refs/") or not _BRANCH.match(branch):
        return f"{branch!r} is not a branch name (e.g. main or release/*, without refs/heads/)"
    return None


def environment_error(environment: str) -> str | None:
    if not _ENVIRONMENT.match(environment):
        return f"{environment!r} is not a GitHub environment name (letters, digits, '-', '_')"
    return None


def workflow_ref_error(workflow_ref: str) -> str | None:
    """The reusable delivery workflow, on ``main``: the only workflow a delivery role trusts."""
    match = _WORKFLOW_REF.match(workflow_ref)
    if not match:
        return (
            f"{workflow_ref!r} is not a workflow on main; use "
            "owner/repo/.github/workflows/<file>.yml@refs/heads/main"
        )
    return repository_error(match["repository"])


def provider_arn_error(arn: str) -> str | None:
    if not _GITHUB_PROVIDER_ARN.match(arn):
        return (
            f"{arn!r} is not GitHub's OIDC provider "
            "(arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com)"
        )
    return None


def _checked(error: Callable[[str], str | None]) -> Callable[[str], str]:
    def check(value: str) -> str:
        message = error(value)
        if message is not None:
            raise ValueError(message)
        return value

    return check


check_repository = _checked(repository_error)
check_branch = _checked(branch_error)
check_environment = _checked(environment_error)
check_workflow_ref = _checked(workflow_ref_error)


def scope_problems(path: str, branches: Sequence[str], environments: Sequence[str]) -> list[str]:
    """The branches and environments a role trusts: at least one, each valid, none listed twice."""
    if not branches and not environments:
        return [f"{path}.environments: list at least one GitHub environment or branch it delivers from"]
    found = []
    for key, values, error in (
        ("environments", environments, environment_error),
        ("branches", branches, branch_error),
    ):
        for index, value in enumerate(values):
            message = error(value)
            if message is None and value in values[:index]:
                message = f"{value!r} is listed twice"
            if message is not None:
                found.append(f"{path}.{key}[{index}]: {message}")
    return found


def session_hours_problems(path: str, hours: int) -> list[str]:
    low, high = MAX_SESSION_HOURS
    return [] if low <= hours <= high else [f"{path}: must be {low}..{high}, got {hours}"]


# ECR serves enhanced findings from Inspector with the caller's permissions (no resource-level form).
_ENHANCED_FINDINGS: dict[str, Any] = {
    "Sid": "ReadEnhancedScanFindings",
    "Effect": "Allow",
    "Action": list(ENHANCED_SCAN_READ_ACTIONS),
    "Resource": "*",
}


def subjects(
    repository: str,
    branches: Sequence[str],
    environments: Sequence[str],
    workflow_ref: str | None = None,
) -> list[str]:
    """The OIDC ``sub`` values GitHub puts in tokens of the allowed jobs.

    A job that declares a GitHub environment gets ``repo:<repo>:environment:<env>``; any other job
    on a branch push gets ``repo:<repo>:ref:refs/heads/<branch>``. With ``workflow_ref``, the
    repository's subject template is ``repo``, ``context``, ``job_workflow_ref``, and each subject
    ends in ``:job_workflow_ref:<workflow_ref>``.
    """
    check_repository(repository)
    if not branches and not environments:
        raise ValueError(f"{repository}: list at least one branch or environment the role trusts")
    suffix = f":job_workflow_ref:{check_workflow_ref(workflow_ref)}" if workflow_ref is not None else ""
    contexts = [f"ref:refs/heads/{check_branch(b)}" for b in branches] + [
        f"environment:{check_environment(e)}" for e in environments
    ]
    return [f"repo:{repository}:{context}{suffix}" for context in contexts]


def trust_policy(
    provider_arn: str,
    repository: str,
    branches: Sequence[str],
    environments: Sequence[str],
    workflow_ref: str | None = None,
) -> dict:
    """Who may assume a role: the repository's jobs from the listed refs, in ``workflow_ref`` if given."""
    allowed = subjects(repository, branches, environments, workflow_ref)
    exact = [s for s in allowed if "*" not in s]
    patterns = [s for s in allowed if "*" in s]
    statements = []
    # Two statements, because conditions within one statement are ANDed: exact subjects are
    # matched with StringEquals, branch patterns with StringLike; `aud` is pinned in both.
    for sid, operator, values in (
        ("ExactRefs", "StringEquals", exact),
        ("BranchPatterns", "StringLike", patterns),
    ):
        if not values:
            continue
        condition: dict[str, dict[str, Any]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE}}
        condition.setdefault(operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = (
            values if len(values) > 1 else values[0]
        )
        statements.append(
            {
                "Sid": f"GitHubActions{sid}",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def permissions_policy(ecr_repository_arns: Sequence[str], *, enhanced_scanning: bool) -> dict:
    """What a delivery role may do: log in to ECR, push to and read scans of its team's repositories."""
    if not ecr_repository_arns:
        raise ValueError("a delivery role needs at least one ECR repository to push to")
    statements: list[dict[str, Any]] = [
        {
            # GetAuthorizationToken has no resource-level permissions; the token alone grants nothing.
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PushToTeamRepositories",
            "Effect": "Allow",
            "Action": list(PUSH_ACTIONS),
            "Resource": sorted(ecr_repository_arns),
        },
    ]
    if enhanced_scanning:
        statements.append(_ENHANCED_FINDINGS)
    return {"Version": "2012-10-17", "Statement": statements}


def promotion_policy(ecr_repository_arns: Sequence[str], *, enhanced_scanning: bool) -> dict:
    """What the promote-image workflow may do: describe images and read their scans, nothing else."""
    if not ecr_repository_arns:
        raise ValueError("the promotion role needs at least one ECR repository to read")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadImagesAndScans",
            "Effect": "Allow",
            "Action": list(READ_IMAGE_ACTIONS),
            "Resource": sorted(ecr_repository_arns),
        }
    ]
    if enhanced_scanning:
        statements.append(_ENHANCED_FINDINGS)
    return {"Version": "2012-10-17", "Statement": statements}


def role_name(prefix: str, repository: str) -> str:
    """A stable IAM role name (<= 64 characters) that says which repository it is for."""
    owner, name = repository.split("/")
    readable = re.sub(r"[^\w+=,.@-]", "-", f"{prefix}-gha-{owner}-{name}")
    if len(readable) <= 64:
        return readable
    digest = hashlib.sha256(repository.encode()).hexdigest()[:8]
    return f"{readable[:55]}-{digest}"


class DeliveryRepositoryArgs(TypedDict):
    repository: str
    """The GitHub repository, exactly ``owner/name``; wildcards are rejected. Required."""
    ecr_repository_arns: Sequence[pulumi.Input[str]]
    """ARNs of the ECR repositories its workflows may push to (its team's, nobody else's); at least one."""
    branches: NotRequired[Sequence[str]]
    """Branches whose push workflows may assume the role; ``*`` patterns inside a name (``release/*``).
    Default none; give branches, environments or both."""
    environments: NotRequired[Sequence[str]]
    """GitHub environments whose jobs may assume the role (the delivery workflow runs in one); default none."""


class GitHubDeliveryArgs(TypedDict):
    name: str
    """Prefix of the role names; required."""
    repositories: Sequence[DeliveryRepositoryArgs]
    """One delivery role per entry, each repository once; required."""
    workflow_ref: str
    """The reusable delivery workflow on main (``owner/repo/.github/workflows/<file>.yml@refs/heads/main``);
    required."""
    existing_oidc_provider_arn: NotRequired[pulumi.Input[str] | None]
    """An account holds GitHub's OIDC provider at most once: reuse it if another stack created it
    (default ``None``: create it)."""
    enhanced_scanning: NotRequired[bool]
    """Whether the registry uses Inspector enhanced scanning (adds read access to its findings); default off."""
    max_session_hours: NotRequired[int]
    """Lifetime of the credentials a workflow gets, 1-12 (default 1 hour, enough for a build)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource (default none)."""


DEFAULTS: dict[str, Any] = {
    "existing_oidc_provider_arn": None,
    "enhanced_scanning": False,
    "max_session_hours": 1,
    "tags": {},
}


def problems(args: GitHubDeliveryArgs) -> list[str]:
    """Every reason GitHubDelivery could not be built from ``args``, one line per arg."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = []
    error = workflow_ref_error(config.get("workflow_ref") or "")
    if error:
        found.append(f"workflow_ref: {error}")
    existing = config["existing_oidc_provider_arn"]
    if isinstance(existing, str) and (error := provider_arn_error(existing)):
        found.append(f"existing_oidc_provider_arn: {error}")
    found += session_hours_problems("max_session_hours", config["max_session_hours"])
    seen: list[str] = []
    for index, entry in enumerate(config["repositories"]):
        path, repository = f"repositories[{index}]", entry["repository"]
        error = repository_error(repository)
        if error is None and repository.lower() in seen:  # GitHub names are case-insensitive
            error = f"{repository!r} is listed twice; one delivery role per repository"
        if error is not None:
            found.append(f"{path}.repository: {error}")
        seen.append(repository.lower())
        found += scope_problems(path, entry.get("branches", ()), entry.get("environments", ()))
        if not entry["ecr_repository_arns"]:
            found.append(f"{path}.ecr_repository_arns: list at least one ECR repository it may push to")
    return found


class GitHubDelivery(pulumi.ComponentResource):
    """GitHub's OIDC provider and one keyless delivery role per application repository."""

    oidc_provider_arn: pulumi.Output[str]
    """GitHub's OIDC provider in the account (made here, or the one given)."""
    role_arns: pulumi.Output[dict[str, str]]
    """Delivery role ARN by repository (``owner/name``): what the workflow's ``role-to-assume`` takes."""

    def __init__(
        self, name: str, args: GitHubDeliveryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:GitHubDelivery", name, None, opts)
        validate_args("GitHubDelivery", args, GitHubDeliveryArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config["tags"])
        repositories = list(config["repositories"])
        workflow_ref = config["workflow_ref"]

        existing = config["existing_oidc_provider_arn"]
        if existing is not None:
            provider_arn = pulumi.Output.from_input(existing)
        else:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                # IAM verifies GitHub's certificate against its trusted CAs; the list is only kept
                # because the API field exists. These are GitHub's published intermediate thumbprints.
                thumbprint_lists=[
                    "6938fd4d98bab03faadb97b34396831e3780aea1",
                    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
                ],
                tags={**tags, "Name": f"{config['name']}-github-actions"},
                opts=child,
            )
            provider_arn = provider.arn

        enhanced = config["enhanced_scanning"]
        session_seconds = 3600 * config["max_session_hours"]
        role_arns: dict[str, pulumi.Output[str]] = {}
        for entry in repositories:
            repository = entry["repository"]
            branches = list(entry.get("branches", ()))
            environments = list(entry.get("environments", ()))
            resource_name = f"{name}-{repository.replace('/', '-')}"
            role = aws.iam.Role(
                resource_name,
                name=role_name(config["name"], repository),
                description=f"GitHub Actions delivery for {repository}: push to its team's ECR repositories",
                assume_role_policy=provider_arn.apply(
                    _trust_json(repository, branches, environments, workflow_ref)
                ),
                max_session_duration=session_seconds,
                tags={**tags, "GitHubRepository": repository},
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{resource_name}-push",
                # Inline policy names are per role: a fixed one, since an auto-name from the logical
                # name outgrows IAM's 128 characters with long repository names.
                name="ecr-push",
                role=role.id,
                policy=pulumi.Output.all(*entry["ecr_repository_arns"]).apply(
                    lambda arns: json.dumps(permissions_policy(arns, enhanced_scanning=enhanced))
                ),
                opts=pulumi.ResourceOptions(parent=role),
            )
            role_arns[repository] = role.arn

        self.oidc_provider_arn = provider_arn
        self.role_arns = pulumi.Output.all(**role_arns) if role_arns else pulumi.Output.from_input({})
        self.register_outputs({"oidc_provider_arn": self.oidc_provider_arn, "role_arns": self.role_arns})


def _trust_json(
    repository: str, branches: list[str], environments: list[str], workflow_ref: str
) -> Callable[[str], str]:
    # A function per role, so each apply keeps its own repository (no late-binding loop variables).
    return lambda provider_arn: json.dumps(
        trust_policy(provider_arn, repository, branches, environments, workflow_ref)
    )
