"""Physical names and singletons that two stacks would both create: a configuration error.

AWS keeps one namespace per name kind: an IAM role name once per account, an ECR repository name
once per account and region, an S3 bucket name once in the whole partition. Two stacks that create
the same name fail on the second ``up`` (or, for a singleton such as the registry scanning
configuration, the second silently overwrites the first). Pulumi cannot see this: each stack only
knows its own resources. So ``kubeboard plan shared dev prod`` compares their plans.

Which stacks share an account: an account stack is in the account its ``kubeboard:account.accountId``
names, or, without one, in an account of its own; an environment stack is in the account of the
account stack it reads (it pulls that account's images, whose repository policy refuses other
accounts). Only the inputs a stack gives explicitly count: auto-named resources get a random suffix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Scope(StrEnum):
    """Where a name must be unique."""

    PARTITION = "partition"
    """Across every account (S3 bucket names)."""
    ACCOUNT = "account"
    """Once per account, every region (IAM)."""
    REGION = "region"
    """Once per account and region (almost everything else)."""


@dataclass(frozen=True)
class Placement:
    """Where a stack deploys: the account (id, or the account stack standing for it) and region."""

    account: str
    region: str


@dataclass(frozen=True)
class NameKind:
    label: str
    scope: Scope
    name: Callable[[Mapping[str, Any]], str | None]
    """The physical name from the resource's inputs; ``None`` when AWS generates it."""


def _key(key: str) -> Callable[[Mapping[str, Any]], str | None]:
    def name(inputs: Mapping[str, Any]) -> str | None:
        value = inputs.get(key)
        return value if isinstance(value, str) and value else None

    return name


def _singleton(description: str) -> Callable[[Mapping[str, Any]], str | None]:
    return lambda _inputs: description


def _qualified(name_key: str, *qualifiers: str) -> Callable[[Mapping[str, Any]], str | None]:
    # Qualifiers come first: "<cluster>/<node group>", "<REGIONAL|CLOUDFRONT>/<web ACL>".
    def name(inputs: Mapping[str, Any]) -> str | None:
        own = inputs.get(name_key)
        if not isinstance(own, str) or not own:
            return None
        return "/".join([*(str(inputs.get(q) or "default") for q in qualifiers), own])

    return name


def _route53_record(inputs: Mapping[str, Any]) -> str | None:
    # allowOverwrite records are meant to be shared (e.g. ACM validation of the same name).
    if inputs.get("allowOverwrite") or not isinstance(inputs.get("name"), str):
        return None
    return f"{inputs.get('zoneId')}/{str(inputs['name']).rstrip('.')}/{inputs.get('type')}"


# Resource type -> how it is named and where that name must be unique.
PHYSICAL_NAMES: dict[str, NameKind] = {
    "aws:iam/role:Role": NameKind("IAM role", Scope.ACCOUNT, _key("name")),
    "aws:iam/policy:Policy": NameKind("IAM policy", Scope.ACCOUNT, _key("name")),
    "aws:iam/instanceProfile:InstanceProfile": NameKind("IAM instance profile", Scope.ACCOUNT, _key("name")),
    "aws:iam/user:User": NameKind("IAM user", Scope.ACCOUNT, _key("name")),
    "aws:iam/group:Group": NameKind("IAM group", Scope.ACCOUNT, _key("name")),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": NameKind(
        "IAM OIDC provider (one per URL and account)", Scope.ACCOUNT, _key("url")
    ),
    "aws:s3/bucket:Bucket": NameKind("S3 bucket (names are global)", Scope.PARTITION, _key("bucket")),
    "aws:s3/bucketV2:BucketV2": NameKind("S3 bucket (names are global)", Scope.PARTITION, _key("bucket")),
    "aws:ecr/repository:Repository": NameKind("ECR repository", Scope.REGION, _key("name")),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": NameKind(
        "ECR registry scanning configuration (one per account and region)",
        Scope.REGION,
        _singleton("registry scanning configuration"),
    ),
    "aws:ecr/registryPolicy:RegistryPolicy": NameKind(
        "ECR registry policy (one per account and region)", Scope.REGION, _singleton("registry policy")
    ),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": NameKind(
        "ECR replication configuration (one per account and region)",
        Scope.REGION,
        _singleton("replication configuration"),
    ),
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": NameKind(
        "ECR pull-through cache prefix", Scope.REGION, _key("ecrRepositoryPrefix")
    ),
    "aws:guardduty/detector:Detector": NameKind(
        "GuardDuty detector (one per account and region)", Scope.REGION, _singleton("GuardDuty detector")
    ),
    "aws:inspector2/enabler:Enabler": NameKind(
        "Inspector enablement (one per account and region)", Scope.REGION, _singleton("Inspector enabler")
    ),
    "aws:securityhub/account:Account": NameKind(
        "Security Hub enablement (one per account and region)", Scope.REGION, _singleton("Security Hub")
    ),
    "aws:lambda/function:Function": NameKind("Lambda function", Scope.REGION, _key("name")),
    "aws:cloudwatch/logGroup:LogGroup": NameKind("CloudWatch log group", Scope.REGION, _key("name")),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": NameKind(
        "CloudWatch Logs resource policy", Scope.REGION, _key("policyName")
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameKind("CloudWatch alarm", Scope.REGION, _key("name")),
    "aws:cloudwatch/dashboard:Dashboard": NameKind(
        "CloudWatch dashboard", Scope.REGION, _key("dashboardName")
    ),
    "aws:cloudwatch/eventRule:EventRule": NameKind(
        "EventBridge rule", Scope.REGION, _qualified("name", "eventBusName")
    ),
    "aws:cloudwatch/eventBus:EventBus": NameKind("EventBridge bus", Scope.REGION, _key("name")),
    "aws:sqs/queue:Queue": NameKind("SQS queue", Scope.REGION, _key("name")),
    "aws:sns/topic:Topic": NameKind("SNS topic", Scope.REGION, _key("name")),
    "aws:kms/alias:Alias": NameKind("KMS alias", Scope.REGION, _key("name")),
    "aws:eks/cluster:Cluster": NameKind("EKS cluster", Scope.REGION, _key("name")),
    "eks:index:Cluster": NameKind("EKS cluster", Scope.REGION, _key("name")),
    "aws:eks/nodeGroup:NodeGroup": NameKind(
        "EKS node group", Scope.REGION, _qualified("nodeGroupName", "clusterName")
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": NameKind("EC2 launch template", Scope.REGION, _key("name")),
    "aws:lb/loadBalancer:LoadBalancer": NameKind("load balancer", Scope.REGION, _key("name")),
    "aws:lb/targetGroup:TargetGroup": NameKind("target group", Scope.REGION, _key("name")),
    "aws:wafv2/webAcl:WebAcl": NameKind("WAF web ACL", Scope.REGION, _qualified("name", "scope")),
    "aws:wafv2/ipSet:IpSet": NameKind("WAF IP set", Scope.REGION, _qualified("name", "scope")),
    "aws:wafv2/ruleGroup:RuleGroup": NameKind("WAF rule group", Scope.REGION, _qualified("name", "scope")),
    "aws:wafv2/regexPatternSet:RegexPatternSet": NameKind(
        "WAF regex pattern set", Scope.REGION, _qualified("name", "scope")
    ),
    "aws:secretsmanager/secret:Secret": NameKind("Secrets Manager secret", Scope.REGION, _key("name")),
    "aws:ssm/parameter:Parameter": NameKind("SSM parameter", Scope.REGION, _key("name")),
    "aws:codebuild/project:Project": NameKind("CodeBuild project", Scope.REGION, _key("name")),
    "aws:route53/record:Record": NameKind("Route 53 record", Scope.PARTITION, _route53_record),
}


@dataclass(frozen=True)
class Collision:
    kind: str
    name: str
    stacks: tuple[str, ...]
    where: str

    def message(self) -> str:
        return (
            f"{self.kind} {self.name!r} would be created by stacks {' and '.join(self.stacks)} "
            f"({self.where}); only one stack may own it"
        )


def placement(stack: str, account_stack: str | None, account_id: str | None, region: str | None) -> Placement:
    """A stack's account: the id its account stack declares, else that account stack itself."""
    account = account_id or (f"of stack {account_stack}" if account_stack else f"of stack {stack}")
    return Placement(account=account, region=region or "unknown")


def _where(scope: Scope, placement: Placement) -> tuple[str, ...]:
    if scope is Scope.PARTITION:
        return ()
    if scope is Scope.ACCOUNT:
        return (placement.account,)
    return (placement.account, placement.region)


def _describe(scope: Scope, where: tuple[str, ...]) -> str:
    if scope is Scope.PARTITION:
        return "the name is global across accounts"
    if scope is Scope.ACCOUNT:
        return f"account {where[0]}, every region"
    return f"account {where[0]}, region {where[1]}"


def physical_names(resources: Iterable[Mapping[str, Any]]) -> list[tuple[NameKind, str]]:
    """Every name or singleton one plan's resources claim, per the table above."""
    claimed = []
    for resource in resources:
        kind = PHYSICAL_NAMES.get(resource["type"])
        if kind is None:
            continue
        name = kind.name(resource.get("inputs") or {})
        if name is not None:
            claimed.append((kind, name))
    return claimed


def find_collisions(
    plans: Mapping[str, Mapping[str, Any]], placements: Mapping[str, Placement]
) -> list[Collision]:
    """Names two or more of the planned stacks would both create, in the same scope."""
    owners: dict[tuple[str, Scope, tuple[str, ...], str], list[str]] = defaultdict(list)
    for stack, plan in plans.items():
        for kind, name in physical_names(plan["resources"]):
            key = (kind.label, kind.scope, _where(kind.scope, placements[stack]), name)
            if stack not in owners[key]:
                owners[key].append(stack)
    return [
        Collision(label, name, tuple(stacks), _describe(scope, where))
        for (label, scope, where, name), stacks in sorted(owners.items(), key=lambda item: item[0][3])
        if len(stacks) > 1
    ]
