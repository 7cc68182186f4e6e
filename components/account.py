"""Account: what exists once per AWS account and region, owned by the account stack (Pulumi.shared.yaml).

GitHub's OIDC provider is one per account; ECR repository names and the registry scanning
configuration are one per account and region; the scan-event rules and their Lambda need to exist
once for the registry they watch. Two environment stacks that each created them would collide (or,
for the scanning configuration, silently overwrite each other), so they live here and environment
stacks read the outputs below through a ``pulumi.StackReference``.
"""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import deploy_roles, github_oidc, guardduty, image_scan_alerts, log_alarms, registry
from .args import validate_args
from .deploy_roles import DeployConfig, DeployRoles
from .github_oidc import DeliveryRepositoryArgs, GitHubDelivery
from .guardduty import GuardDuty, GuardDutyConfig
from .image_scan_alerts import ImageScanAlerts, ImageScanConfig
from .log_alarms import ErrorLogAlarms, LogAlarmsConfig, function_log_group
from .registry import Registry, RepositoryArgs, ScanType

# The outputs environment stacks read from the account stack (StackReference.get_output names).
REPOSITORY_URLS = "repositoryUrls"
REPOSITORY_ARNS = "repositoryArns"
GITHUB_OIDC_PROVIDER_ARN = "githubOidcProviderArn"
IMAGE_SCAN_FINDINGS_BUCKET = "imageScanFindingsBucket"
IMAGE_SCAN_FINDINGS_KEY_ARN = "imageScanFindingsKeyArn"


# The account's sections are its parts' stack-file values, under the names the package exports.
AccountScanningArgs = ImageScanConfig
AccountGuardDutyArgs = GuardDutyConfig
AccountLogAlarmsArgs = LogAlarmsConfig
AccountDeployArgs = DeployConfig


class AccountRegistryArgs(TypedDict):
    repositories: Sequence[RepositoryArgs]
    """The ECR repositories every environment pulls from (images are promoted by tag, not rebuilt);
    at least one, required."""
    scan_type: NotRequired[ScanType]
    """One registry-wide scanning configuration per account and region (default ``BASIC``)."""


class DeliveryTeamArgs(TypedDict):
    repositories: Sequence[str]
    """GitHub repositories (``owner/name``), each delivering for one team only; each gets its own role.
    At least one, required."""
    ecr_repositories: Sequence[str]
    """Names of the account's ECR repositories the team's roles may push to; no other team pushes
    there. At least one, required."""
    branches: NotRequired[Sequence[str]]
    """Branches whose workflows may deliver outside an environment (default none)."""
    environments: NotRequired[Sequence[str]]
    """GitHub environments (e.g. dev and prod) whose jobs may deliver (default none; give branches,
    environments or both)."""


class AccountDeliveryArgs(TypedDict):
    teams: Sequence[DeliveryTeamArgs]
    """The application teams; at least one, required."""
    workflow_ref: str
    """The reusable delivery workflow on main; the only workflow whose jobs the delivery roles trust.
    Required."""
    existing_oidc_provider_arn: NotRequired[str | None]
    """Reuse GitHub's OIDC provider when another account stack (another region) already made it
    (default ``None``: create it)."""
    max_session_hours: NotRequired[int]
    """Lifetime of a workflow's AWS credentials, 1-12 (default 1)."""


class AccountArgs(TypedDict):
    name: str
    """Prefix of the account-wide physical names (no environment in it: there is one per account);
    required."""
    region: str
    """The AWS region of the account stack; required."""
    registry: AccountRegistryArgs
    """The ECR repositories and the registry's scanning; required."""
    scanning: NotRequired[AccountScanningArgs | None]
    """Scan findings -> metrics, alarms, e-mail and reports; ``None`` (the default) leaves them out."""
    delivery: NotRequired[AccountDeliveryArgs | None]
    """Keyless GitHub Actions delivery roles; ``None`` (the default) leaves GitHub's OIDC provider out too."""
    deploy: NotRequired[AccountDeployArgs | None]
    """The roles this repository's deploy and preview workflows assume (needs ``delivery``'s OIDC
    provider); default ``None``."""
    guardduty: NotRequired[AccountGuardDutyArgs | None]
    """GuardDuty's detector, EKS features and findings topic; ``None`` (the default) leaves GuardDuty out."""
    log_alarms: NotRequired[AccountLogAlarmsArgs | None]
    """An ERROR metric filter and alarm on the scan function's log group (needs ``scanning``);
    default ``None``."""
    allowed_account_id: NotRequired[str | None]
    """The provider refuses to deploy to any other account (a wrong profile fails before any change);
    default ``None``: any account."""
    tags: NotRequired[Mapping[str, str]]
    """Tags put on every AWS resource, beside Project, Environment and ManagedBy (default none)."""
    protect: NotRequired[bool]
    """Protect what every environment relies on: repositories, keys, the findings bucket (default on)."""


DEFAULTS: dict[str, Any] = {
    "scanning": None,
    "delivery": None,
    "deploy": None,
    "guardduty": None,
    "log_alarms": None,
    "allowed_account_id": None,
    "tags": {},
    "protect": True,
}


def _under(path: str, found: list[str]) -> list[str]:
    return [f"{path}.{problem}" for problem in found]


def problems(args: AccountArgs) -> list[str]:
    """Every reason the Account could not be built from ``args``, one line per arg: its parts' own
    rules under their keys, then what ties them together."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    registry_args: AccountRegistryArgs = config["registry"]
    found = _under(
        "registry",
        registry.problems(
            {
                "name": config["name"],
                "repositories": registry_args["repositories"],
                "scan_type": registry_args.get("scan_type", registry.DEFAULTS["scan_type"]),
            }
        ),
    )
    declared = [repository["name"] for repository in registry_args["repositories"]]
    scanning, delivery, deploy = config["scanning"], config["delivery"], config["deploy"]
    if scanning is not None:
        found += _under("scanning", image_scan_alerts.problems(scanning))
    if config["guardduty"] is not None:
        found += _under("guardduty", guardduty.problems(config["guardduty"]))
    if config["log_alarms"] is not None:
        found += _under("log_alarms", log_alarms.config_problems(config["log_alarms"]))
        if scanning is None:
            found.append("log_alarms: the account's only function is the scan pipeline; enable scanning")
    if delivery is not None:
        found += delivery_problems(delivery, declared)
    if deploy is not None:
        if delivery is None:
            found.append("deploy: the deploy roles trust the account's GitHub OIDC provider; enable delivery")
        found += _under("deploy", deploy_roles.config_problems(deploy, name=config["name"]))
    return found


def delivery_problems(delivery: AccountDeliveryArgs, declared: Sequence[str]) -> list[str]:
    """The teams' rules: each GitHub repository and each ECR repository belongs to one team, and
    teams push only to repositories the registry creates."""
    found = []
    workflow_ref = delivery.get("workflow_ref")
    if not workflow_ref:
        found.append(
            "delivery.workflow_ref: delivery is enabled; name the reusable delivery workflow on main "
            "(owner/repo/.github/workflows/build-push-deploy.yml@refs/heads/main)"
        )
    elif error := github_oidc.workflow_ref_error(workflow_ref):
        found.append(f"delivery.workflow_ref: {error}")
    existing = delivery.get("existing_oidc_provider_arn")
    if existing is not None and (error := github_oidc.provider_arn_error(existing)):
        found.append(f"delivery.existing_oidc_provider_arn: {error}")
    hours = delivery.get("max_session_hours", github_oidc.DEFAULTS["max_session_hours"])
    found += github_oidc.session_hours_problems("delivery.max_session_hours", hours)
    if not delivery["teams"]:
        found.append("delivery.teams: delivery is enabled but no team is listed")
    repository_team: dict[str, int] = {}
    image_team: dict[str, int] = {}
    for t, team in enumerate(delivery["teams"]):
        path = f"delivery.teams[{t}]"
        for key, values in (
            ("repositories", team["repositories"]),
            ("ecr_repositories", team["ecr_repositories"]),
        ):
            if not values:
                found.append(f"{path}.{key}: list at least one")
        for r, repository in enumerate(team["repositories"]):
            folded = repository.lower()  # GitHub names are case-insensitive
            error = github_oidc.repository_error(repository)
            if error is None and folded in [other.lower() for other in team["repositories"][:r]]:
                error = f"{repository!r} is listed twice"
            if error is None and repository_team.get(folded, t) != t:
                error = (
                    f"{repository} already delivers for teams[{repository_team[folded]}]; "
                    "a repository belongs to one team"
                )
            if error is not None:
                found.append(f"{path}.repositories[{r}]: {error}")
            repository_team.setdefault(folded, t)
        for e, image in enumerate(team["ecr_repositories"]):
            error = None
            if image in team["ecr_repositories"][:e]:
                error = f"{image!r} is listed twice"
            elif image_team.get(image, t) != t:
                error = (
                    f"{image!r} belongs to teams[{image_team[image]}]; "
                    "a team may not push to another team's repository"
                )
            elif image not in declared:
                error = (
                    f"{image!r} is not declared under registry.repositories "
                    f"(declared: {', '.join(sorted(declared)) or 'none'})"
                )
            if error is not None:
                found.append(f"{path}.ecr_repositories[{e}]: {error}")
            image_team.setdefault(image, t)
        found += github_oidc.scope_problems(path, team.get("branches", ()), team.get("environments", ()))
    return found


class Account(pulumi.ComponentResource):
    """The account stack: registry, scanning, the scan pipeline and GitHub delivery, once per account."""

    account_id: pulumi.Output[str]
    """The AWS account the stack deployed to."""
    repository_urls: pulumi.Output[dict[str, str]]
    """Repository URL by repository name."""
    repository_arns: pulumi.Output[dict[str, str]]
    """Repository ARN by repository name."""
    registry_kms_key_arn: pulumi.Output[str]
    """The key the repositories are encrypted with."""

    def __init__(self, name: str, args: AccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Account", name, None, opts)
        validate_args("Account", args, AccountArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        prefix, protect = config["name"], config["protect"]
        allowed = config["allowed_account_id"]
        provider = aws.Provider(
            "aws",
            region=config["region"],
            allowed_account_ids=[allowed] if allowed else None,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={
                    "Project": "kubeboard",
                    "Environment": "shared",
                    "ManagedBy": "pulumi",
                    **dict(config["tags"]),
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[provider])

        registry_args = config["registry"]
        scan_type = str(registry_args.get("scan_type", registry.DEFAULTS["scan_type"]))
        registry_ = Registry(
            "registry",
            {
                "name": prefix,
                "repositories": registry_args["repositories"],
                "scan_type": ScanType(scan_type),
                "protect": protect,
            },
            opts=child,
        )

        scanning = config["scanning"]
        scan_alerts = None
        if scanning is not None:
            scan_alerts = ImageScanAlerts(
                "image-scan-alerts",
                {
                    **scanning,
                    "name": prefix,
                    "alarm_emails": scanning.get("alarm_emails", ()),
                    "repository_arns": registry_.repository_arns,
                    "protect": protect,
                },
                opts=child,
            )

        delivery = config["delivery"]
        github = None
        if delivery is not None:
            github = GitHubDelivery(
                "delivery",
                {
                    "name": prefix,
                    "repositories": _delivery_roles(delivery["teams"], registry_.repository_arns),
                    "workflow_ref": delivery["workflow_ref"],
                    "existing_oidc_provider_arn": delivery.get("existing_oidc_provider_arn"),
                    "enhanced_scanning": scan_type == ScanType.ENHANCED,
                    "max_session_hours": delivery.get(
                        "max_session_hours", github_oidc.DEFAULTS["max_session_hours"]
                    ),
                },
                opts=child,
            )

        alarms = config["log_alarms"]
        if alarms is not None and scan_alerts is not None:
            alarms = {**log_alarms.DEFAULTS, **alarms}
            ErrorLogAlarms(
                "log-alarms",
                {
                    "name": prefix,
                    "log_groups": [
                        function_log_group(
                            "scan-findings", scan_alerts.log_group_name, alarms["function_threshold"]
                        )
                    ],
                    "alert_topic_arn": scan_alerts.topic_arn,
                    "period_seconds": alarms["period_seconds"],
                },
                opts=child,
            )

        detector = None
        if config["guardduty"] is not None:
            # One detector per account and region: only the account stack may own it.
            guardduty_args = config["guardduty"]
            detector = GuardDuty(
                "guardduty",
                {**guardduty_args, "name": prefix, "alert_emails": guardduty_args.get("alert_emails", ())},
                opts=child,
            )

        deploy = config["deploy"]
        roles = None
        if deploy is not None and github is not None:
            # They must exist before any environment stack: its deploy job assumes them.
            roles = DeployRoles(
                "deploy-roles",
                {
                    "name": prefix,
                    "repository": deploy["repository"],
                    "oidc_provider_arn": github.oidc_provider_arn,
                    "environments": deploy["environments"],
                    # The central promote-image workflow reads the images the teams deliver.
                    "promotion_ecr_repository_arns": registry_.repository_arns.apply(
                        lambda arns: sorted(arns.values())
                    ),
                    "enhanced_scanning": scan_type == ScanType.ENHANCED,
                },
                opts=child,
            )

        identity = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        )
        self.account_id = identity.account_id
        self.repository_urls = registry_.repository_urls
        self.repository_arns = registry_.repository_arns
        self.registry_kms_key_arn = registry_.kms_key_arn
        # What the account stack exports; environment stacks read them by these names.
        self.outputs: dict[str, pulumi.Input[object]] = {
            "accountId": identity.account_id,
            "region": config["region"],
            REPOSITORY_URLS: registry_.repository_urls,
            REPOSITORY_ARNS: registry_.repository_arns,
            "registryKmsKeyArn": registry_.kms_key_arn,
            **(
                {
                    GITHUB_OIDC_PROVIDER_ARN: github.oidc_provider_arn,
                    "deliveryRoleArns": github.role_arns,
                }
                if github
                else {}
            ),
            **(
                {
                    "deployRoleArns": roles.deploy_role_arns,
                    "clusterCreatorRoleArns": roles.cluster_creator_role_arns,
                    "previewRoleArn": roles.preview_role_arn,
                    "promotionRoleArn": roles.promotion_role_arn,
                }
                if roles
                else {}
            ),
            **(
                {
                    "imageScanAlertTopicArn": scan_alerts.topic_arn,
                    IMAGE_SCAN_FINDINGS_BUCKET: scan_alerts.findings_bucket_name,
                    IMAGE_SCAN_FINDINGS_KEY_ARN: scan_alerts.findings_key_arn,
                }
                if scan_alerts
                else {}
            ),
            **(
                {
                    "guardDutyDetectorId": detector.detector_id,
                    "guardDutyFindingsTopicArn": detector.topic_arn,
                }
                if detector
                else {}
            ),
        }
        self.register_outputs(
            {
                "account_id": self.account_id,
                "repository_urls": self.repository_urls,
                "repository_arns": self.repository_arns,
                "registry_kms_key_arn": self.registry_kms_key_arn,
            }
        )


def _delivery_roles(
    teams: Sequence[DeliveryTeamArgs], repository_arns: pulumi.Output[dict[str, str]]
) -> list[DeliveryRepositoryArgs]:
    """One role per GitHub repository, allowed to push to its team's ECR repositories only."""

    def arn_of(image: str) -> pulumi.Output[str]:
        return repository_arns.apply(lambda arns: arns[image])

    return [
        {
            "repository": repository,
            "ecr_repository_arns": [arn_of(image) for image in team["ecr_repositories"]],
            "branches": team.get("branches", ()),
            "environments": team.get("environments", ()),
        }
        for team in teams
        for repository in team["repositories"]
    ]
