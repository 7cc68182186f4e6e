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
# Ingress host names point at ALBs, which only the load balancer controller creates.
DEPENDS_ON: tuple[str, ...] = (aws_load_balancer_controller.NAME,)
POLICIES = ("upsert-only", "sync", "create-only")


def hosted_zone_arn(hosted_zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{hosted_zone_id}"


def iam_policy(hosted_zone_id: str) -> PolicyDocument:
    """Change and read records in the configured zone only; listing zones has no resource scope."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ChangeRecordsInTheConfiguredZone",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
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
    policy: str = "upsert-only",
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
        depends_on=DEPENDS_ON,
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT, policy_documents={"route53": iam_policy(hosted_zone_id)}
        ),
        values={
            "provider": {"name": "aws"},
            "sources": ["service", "ingress"],
            # upsert-only never deletes records, so a mistake cannot take a live name away.
            "policy": policy,
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
