"""external-dns: publishes Ingress and Service host names into one Route53 hosted zone (K7)."""

from __future__ import annotations

from collections.abc import Sequence

from ..irsa import PolicyDocument
from . import aws_load_balancer_controller
from .contract import AddOnSpec, IrsaSpec

NAME = "external-dns"
CHART_VERSION = "1.21.1"
REPOSITORY = "https://kubernetes-sigs.github.io/external-dns/"
NAMESPACE = "external-dns"
SERVICE_ACCOUNT = "external-dns"
# Its names point at the ALBs the load balancer controller makes, so it is enabled only with it
# (the settings check). Its release waits for nothing: it publishes an Ingress's name whenever
# the ALB appears in the Ingress's status, so both install side by side.
DEPENDS_ON: tuple[str, ...] = (aws_load_balancer_controller.NAME,)
POLICIES = ("upsert-only", "sync", "create-only")
SYNC_INTERVAL = "1m"
FINAL_SYNC_HOLD = "90s"
"""How long `pulumi destroy` keeps external-dns running after the last Ingress release is gone:
one full sync interval and a margin, so it deletes their records before it is uninstalled."""


def hosted_zone_arn(hosted_zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{hosted_zone_id}"


def record_name_patterns(domain_filters: Sequence[str]) -> list[str]:
    """Each managed domain and every name below it, as Route53 normalizes record names."""
    patterns: list[str] = []
    for domain in domain_filters:
        name = domain.lower().rstrip(".")
        patterns += [name, f"*.{name}"]
    return patterns


def iam_policy(hosted_zone_id: str, domain_filters: Sequence[str] = ()) -> PolicyDocument:
    """Change and read records in the configured zone only, and (with `domain_filters`) change
    only names inside the managed domains; listing zones has no resource scope. Within that,
    `sync` deletes only records whose TXT owner record names this cluster (``txtOwnerId``)."""
    change: dict[str, object] = {
        "Sid": "ChangeRecordsOfTheManagedDomains",
        "Effect": "Allow",
        "Action": ["route53:ChangeResourceRecordSets"],
        "Resource": [hosted_zone_arn(hosted_zone_id)],
    }
    if domain_filters:
        change["Condition"] = {
            "ForAllValues:StringLike": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": record_name_patterns(domain_filters)
            }
        }
    return {
        "Version": "2012-10-17",
        "Statement": [
            change,
            {
                "Sid": "ReadRecordsInTheConfiguredZone",
                "Effect": "Allow",
                "Action": ["route53:ListResourceRecordSets"],
                "Resource": [hosted_zone_arn(hosted_zone_id)],
            },
            {
                "Sid": "ReadTagsOfTheConfiguredZone",
                "Effect": "Allow",
                "Action": ["route53:ListTagsForResource"],
                "Resource": [hosted_zone_arn(hosted_zone_id)],
            },
            {
                "Sid": "FindZones",
                "Effect": "Allow",
                "Action": ["route53:ListHostedZones"],
                "Resource": "*",
            },
        ],
    }


def spec(
    *,
    cluster_name: str,
    hosted_zone_id: str,
    domain_filters: Sequence[str],
    policy: str = "sync",
) -> AddOnSpec:
    if policy not in POLICIES:
        raise ValueError(f"external-dns policy {policy!r} must be one of {', '.join(POLICIES)}")
    if not domain_filters:
        raise ValueError("external-dns needs at least one domain filter")
    return AddOnSpec(
        name=NAME,
        chart=NAME,
        version=CHART_VERSION,
        repository=REPOSITORY,
        namespace=NAMESPACE,
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT,
            policy_documents={"route53": iam_policy(hosted_zone_id, domain_filters)},
        ),
        values={
            "provider": {"name": "aws"},
            "sources": ["service", "ingress"],
            # sync deletes a record once its Ingress is gone, but only records whose TXT owner
            # record names this cluster: `pulumi destroy` leaves no name pointing at a deleted ALB.
            "policy": policy,
            # React to an Ingress change at once instead of at the next 1-minute poll, so a
            # release's records are gone before `pulumi destroy` reaches external-dns itself.
            "triggerLoopOnEvent": True,
            "interval": SYNC_INTERVAL,
            "registry": "txt",
            # Marks the records this cluster owns, so two clusters sharing a zone never fight.
            "txtOwnerId": cluster_name,
            "domainFilters": list(domain_filters),
            "extraArgs": [f"--zone-id-filter={hosted_zone_id}"],
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "200m", "memory": "128Mi"},
            },
        },
    )
