"""Account: what exists once per AWS account and region, owned by the account stack (Pulumi.shared.yaml).

GitHub's OIDC provider is one per account; ECR repository names and the registry scanning
configuration are one per account and region; the scan-event rules and their Lambda need to exist
once for the registry they watch. Two environment stacks that each created them would collide (or,
for the scanning configuration, silently overwrite each other), so they live here and environment
stacks read the outputs below through a ``pulumi.StackReference``.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from .deploy_roles import DeployEnvironmentArgs, DeployRoles
from .github_oidc import DeliveryRepositoryArgs, GitHubDelivery
from .guardduty import GuardDuty
from .image_scan_alerts import ImageScanAlerts
from .log_alarms import ErrorLogAlarms, function_log_group
from .registry import Registry, RepositoryArgs

# The outputs environment stacks read from the account stack (StackReference.get_output names).
REPOSITORY_URLS = "repositoryUrls"
REPOSITORY_ARNS = "repositoryArns"
GITHUB_OIDC_PROVIDER_ARN = "githubOidcProviderArn"
IMAGE_SCAN_FINDINGS_BUCKET = "imageScanFindingsBucket"
IMAGE_SCAN_FINDINGS_KEY_ARN = "imageScanFindingsKeyArn"


class AccountRegistryArgs(TypedDict):
    repositories: Sequence[RepositoryArgs]
    """The ECR repositories every environment pulls from; images are promoted by tag, not rebuilt."""
    scan_type: NotRequired[str]
    """``BASIC`` or ``ENHANCED``: one registry-wide scanning configuration per account and region."""


class AccountScanningArgs(TypedDict, total=False):
    """``ImageScanAlertsArgs`` without the wiring (repositories, names, tags) the account supplies."""

    alarm_emails: Sequence[str]
    critical_threshold: int
    high_threshold: int
    log_retention_days: int
    report_retention_days: int
    reserved_concurrency: int
    max_retry_attempts: int
    max_event_age_seconds: int
    top_findings: int


class DeliveryTeamArgs(TypedDict):
    repositories: Sequence[str]
    """GitHub repositories (``owner/name``); each gets its own role."""
    ecr_repositories: Sequence[str]
    """Names of the account's ECR repositories the team's roles may push to."""
    branches: NotRequired[Sequence[str]]
    environments: NotRequired[Sequence[str]]
    """GitHub environments (e.g. dev and prod) whose jobs may deliver."""


class AccountDeliveryArgs(TypedDict):
    teams: Sequence[DeliveryTeamArgs]
    workflow_ref: str
    """The reusable delivery workflow on main; the only workflow whose jobs the delivery roles trust."""
    existing_oidc_provider_arn: NotRequired[str | None]
    """Reuse GitHub's OIDC provider when another account stack (another region) already made it."""
    max_session_hours: NotRequired[int]


class AccountDeployArgs(TypedDict):
    repository: str
    """This infrastructure repository (``owner/name``), whose workflows deploy and preview the stacks."""
    environments: Sequence[DeployEnvironmentArgs]
    """One deploy role and one cluster-creator role per environment stack."""


class AccountGuardDutyArgs(TypedDict, total=False):
    """``GuardDutyArgs`` without the name the account supplies."""

    alert_emails: Sequence[str]
    eks_audit_logs: bool
    runtime_monitoring: bool
    manage_agent: bool
    finding_publishing_frequency: str
    minimum_severity: int


class AccountLogAlarmsArgs(TypedDict, total=False):
    function_threshold: int
    period_seconds: int


class AccountArgs(TypedDict):
    name: str
    """Prefix of the account-wide physical names (no environment in it: there is one per account)."""
    region: str
    registry: AccountRegistryArgs
    scanning: NotRequired[AccountScanningArgs | None]
    """Scan findings -> metrics, alarms, e-mail and reports; ``None`` leaves them out."""
    delivery: NotRequired[AccountDeliveryArgs | None]
    """Keyless GitHub Actions delivery roles; ``None`` leaves GitHub's OIDC provider out too."""
    deploy: NotRequired[AccountDeployArgs | None]
    """The roles this repository's deploy and preview workflows assume (needs ``delivery``'s OIDC provider)."""
    guardduty: NotRequired[AccountGuardDutyArgs | None]
    """GuardDuty's detector, EKS features and findings topic; ``None`` leaves GuardDuty out."""
    log_alarms: NotRequired[AccountLogAlarmsArgs | None]
    """An ERROR metric filter and alarm on the scan function's log group (needs ``scanning``)."""
    allowed_account_id: NotRequired[str | None]
    """The provider refuses to deploy to any other account (a wrong profile fails before any change)."""
    tags: NotRequired[Mapping[str, str]]
    protect: NotRequired[bool]
    """Protect what every environment relies on (repositories, keys, the findings bucket)."""


class Account(pulumi.ComponentResource):
    """The account stack: registry, scanning, the scan pipeline and GitHub delivery, once per account."""

    registry: Registry
    image_scan_alerts: ImageScanAlerts | None
    delivery: GitHubDelivery | None
    deploy_roles: DeployRoles | None
    """The roles the deploy and preview workflows of this repository assume (when ``deploy`` is set)."""
    guardduty: GuardDuty | None
    log_alarms: ErrorLogAlarms | None
    outputs: dict[str, pulumi.Input[object]]
    """What the account stack exports; environment stacks read them by these names."""

    def __init__(self, name: str, args: AccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Account", name, None, opts)
        problems = account_problems(args)
        if problems:
            raise ValueError("Account: " + "; ".join(problems))
        prefix, protect = args["name"], args.get("protect", True)
        allowed = args.get("allowed_account_id")
        provider = aws.Provider(
            "aws",
            region=args["region"],
            allowed_account_ids=[allowed] if allowed else None,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={
                    "Project": "kubeboard",
                    "Environment": "shared",
                    "ManagedBy": "pulumi",
                    **dict(args.get("tags") or {}),
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[provider])

        registry_args = args["registry"]
        scan_type = registry_args.get("scan_type", "BASIC")
        self.registry = Registry(
            "registry",
            {
                "name": prefix,
                "repositories": registry_args["repositories"],
                "scan_type": scan_type,
                "protect": protect,
            },
            opts=child,
        )

        scanning = args.get("scanning")
        self.image_scan_alerts = None
        if scanning is not None:
            self.image_scan_alerts = ImageScanAlerts(
                "image-scan-alerts",
                {
                    **scanning,
                    "name": prefix,
                    "repository_arns": self.registry.repository_arns,
                    "alarm_emails": scanning.get("alarm_emails", ()),
                    "protect": protect,
                },
                opts=child,
            )

        delivery = args.get("delivery")
        self.delivery = None
        if delivery is not None:
            self.delivery = GitHubDelivery(
                "delivery",
                {
                    "name": prefix,
                    "repositories": _delivery_roles(delivery["teams"], self.registry.repository_arns),
                    "workflow_ref": delivery.get("workflow_ref") or "",
                    "existing_oidc_provider_arn": delivery.get("existing_oidc_provider_arn"),
                    "enhanced_scanning": scan_type == "ENHANCED",
                    "max_session_hours": delivery.get("max_session_hours", 1),
                },
                opts=child,
            )

        log_alarms = args.get("log_alarms")
        self.log_alarms = None
        if log_alarms is not None and self.image_scan_alerts is not None:
            self.log_alarms = ErrorLogAlarms(
                "log-alarms",
                {
                    "name": prefix,
                    "log_groups": [
                        function_log_group(
                            "scan-findings",
                            self.image_scan_alerts.log_group_name,
                            log_alarms.get("function_threshold", 1),
                        )
                    ],
                    "alert_topic_arn": self.image_scan_alerts.topic_arn,
                    "period_seconds": log_alarms.get("period_seconds", 300),
                },
                opts=child,
            )

        guardduty = args.get("guardduty")
        self.guardduty = None
        if guardduty is not None:
            # One detector per account and region: only the account stack may own it.
            self.guardduty = GuardDuty(
                "guardduty",
                {**guardduty, "name": prefix, "alert_emails": guardduty.get("alert_emails", ())},
                opts=child,
            )

        deploy = args.get("deploy")
        self.deploy_roles = None
        if deploy is not None and self.delivery is not None:
            # They must exist before any environment stack: its deploy job assumes them.
            self.deploy_roles = DeployRoles(
                "deploy-roles",
                {
                    "name": prefix,
                    "repository": deploy["repository"],
                    "oidc_provider_arn": self.delivery.oidc_provider_arn,
                    "environments": deploy["environments"],
                    # The central promote-image workflow reads the images the teams deliver.
                    "promotion_ecr_repository_arns": self.registry.repository_arns.apply(
                        lambda arns: sorted(arns.values())
                    ),
                    "enhanced_scanning": scan_type == "ENHANCED",
                },
                opts=child,
            )

        identity = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        )
        self.outputs = {
            "accountId": identity.account_id,
            "region": args["region"],
            REPOSITORY_URLS: self.registry.repository_urls,
            REPOSITORY_ARNS: self.registry.repository_arns,
            "registryKmsKeyArn": self.registry.kms_key_arn,
            **(
                {
                    GITHUB_OIDC_PROVIDER_ARN: self.delivery.oidc_provider_arn,
                    "deliveryRoleArns": self.delivery.role_arns,
                }
                if self.delivery
                else {}
            ),
            **(
                {
                    "deployRoleArns": self.deploy_roles.deploy_role_arns,
                    "clusterCreatorRoleArns": self.deploy_roles.cluster_creator_role_arns,
                    "previewRoleArn": self.deploy_roles.preview_role_arn,
                    "promotionRoleArn": self.deploy_roles.promotion_role_arn,
                }
                if self.deploy_roles
                else {}
            ),
            **(
                {
                    "imageScanAlertTopicArn": self.image_scan_alerts.topic_arn,
                    IMAGE_SCAN_FINDINGS_BUCKET: self.image_scan_alerts.findings_bucket_name,
                    IMAGE_SCAN_FINDINGS_KEY_ARN: self.image_scan_alerts.findings_key_arn,
                }
                if self.image_scan_alerts
                else {}
            ),
            **(
                {
                    "guardDutyDetectorId": self.guardduty.detector_id,
                    "guardDutyFindingsTopicArn": self.guardduty.topic_arn,
                }
                if self.guardduty
                else {}
            ),
        }
        self.register_outputs(self.outputs)


def account_problems(args: AccountArgs) -> list[str]:
    """What would fail only at deploy time: say it at program start instead."""
    problems = []
    repositories = [repository["name"] for repository in args["registry"]["repositories"]]
    if not repositories:
        problems.append("registry.repositories: list at least one repository")
    if args["registry"].get("scan_type", "BASIC") not in ("BASIC", "ENHANCED"):
        problems.append("registry.scan_type: must be BASIC or ENHANCED")
    delivery = args.get("delivery")
    if args.get("log_alarms") is not None and args.get("scanning") is None:
        problems.append("log_alarms: the account's only function is the scan pipeline; enable scanning")
    if args.get("deploy") is not None and delivery is None:
        problems.append("deploy: the deploy roles trust the account's GitHub OIDC provider; enable delivery")
    for t, team in enumerate(delivery["teams"] if delivery else ()):
        for image in team["ecr_repositories"]:
            if image not in repositories:
                problems.append(
                    f"delivery.teams[{t}].ecr_repositories: {image!r} is not a registry repository "
                    f"({', '.join(repositories) or 'none'})"
                )
    return problems


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
