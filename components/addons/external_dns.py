"""external-dns: publishes Ingress and Service host names into one Route53 hosted zone (K7)."""

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import TypedDict

from ..irsa import PolicyDocument
from ..names import dns_name_problem
from . import aws_load_balancer_controller
from .contract import AddOnSpec, IrsaSpec
from .definition import AddOnContext, AddOnDefinition

NAME = "external-dns"
SERVICE_ACCOUNT = "external-dns"
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


class ExternalDnsPolicy(StrEnum):
    UPSERT_ONLY = "upsert-only"
    """Create and update records, never delete them (records outlive `pulumi destroy`)."""
    SYNC = "sync"
    """Also delete records whose Ingress or Service is gone, only those this cluster's TXT
    owner record claims (the default: `pulumi destroy` leaves no stale names behind)."""
    CREATE_ONLY = "create-only"


class ExternalDnsOptions(TypedDict):
    hosted_zone_id: str | None
    """The Route53 hosted zone external-dns may change, the only one its role can write to
    (default: none; required when it is enabled)."""
    domain_filters: list[str]
    """The domains it may publish names under (default: none; at least one when it is enabled)."""
    policy: ExternalDnsPolicy
    """What it may do to records (default: ``sync``)."""


DEFAULTS: ExternalDnsOptions = {
    "hosted_zone_id": None,
    "domain_filters": [],
    "policy": ExternalDnsPolicy.SYNC,
}


def problems(options: ExternalDnsOptions) -> list[str]:
    """The only copy of its options' rules; each line names the option."""
    found = []
    zone = options["hosted_zone_id"]
    if zone is None:
        found.append("hosted_zone_id: required when external-dns is enabled")
    elif not _HOSTED_ZONE_ID.match(zone):
        found.append(
            f"hosted_zone_id: {zone!r} is not a Route53 hosted zone id (Z and up to 31 capitals or digits)"
        )
    if not options["domain_filters"]:
        found.append("domain_filters: list the domains external-dns may manage")
    for index, domain in enumerate(options["domain_filters"]):
        problem = dns_name_problem(domain)
        if problem is not None:
            found.append(f"domain_filters[{index}]: {problem}")
    return found


SYNC_INTERVAL = "1m"
FINAL_SYNC_HOLD = "90s"
"""How long `pulumi destroy` keeps external-dns running after the last Ingress release is gone:
one full sync interval and a margin, so it deletes their records before it is uninstalled."""


def hosted_zone_arn(hosted_zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{hosted_zone_id}"


# The record kinds external-dns writes for Ingresses and Services, and its TXT ownership records.
RECORD_TYPES = ("A", "AAAA", "CNAME", "TXT")
# ChangeResourceRecordSets actions each policy needs: upsert-only never deletes.
ACTIONS = {
    "upsert-only": ("CREATE", "UPSERT"),
    "sync": ("CREATE", "UPSERT", "DELETE"),
    "create-only": ("CREATE",),
}
# The TXT registry's ownership record of a name is "<type>-<name>" (external-dns's TXT format).
_OWNERSHIP_PREFIXES = ("a-", "aaaa-", "cname-")


def record_names(domain_filters: Sequence[str]) -> list[str]:
    """The names this environment may change, normalised as Route 53 compares them (lowercase, no
    trailing dot): each domain, every name under it, and the ownership records of the domain itself."""
    names: list[str] = []
    for normalised in (domain.lower().rstrip(".") for domain in domain_filters):
        names += [normalised, f"*.{normalised}", *(f"{p}{normalised}" for p in _OWNERSHIP_PREFIXES)]
    return names


def iam_policy(
    hosted_zone_id: str, domain_filters: Sequence[str], policy: str = "upsert-only"
) -> PolicyDocument:
    """Change only this environment's names (and record kinds) in the configured zone: a cluster must
    not rewrite another environment's names, or add ACM validation records for them. Listing zones
    has no resource scope."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ChangeOwnRecordsInTheConfiguredZone",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets"],
                "Resource": [hosted_zone_arn(hosted_zone_id)],
                "Condition": {
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": record_names(domain_filters)
                    },
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsRecordTypes": list(RECORD_TYPES),
                        "route53:ChangeResourceRecordSetsActions": list(ACTIONS[policy]),
                    },
                },
            },
            {
                "Sid": "ReadTheConfiguredZone",
                "Effect": "Allow",
                "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResource"],
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


def _build(context: AddOnContext, options: ExternalDnsOptions) -> AddOnSpec:
    # `problems` has made sure of both.
    hosted_zone_id = str(options["hosted_zone_id"])
    domain_filters = [domain.rstrip(".") for domain in options["domain_filters"]]
    policy = options["policy"].value
    return DEFINITION.spec(
        irsa=IrsaSpec(
            service_account=SERVICE_ACCOUNT,
            policy_documents={"route53": iam_policy(hosted_zone_id, domain_filters, policy)},
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
            "txtOwnerId": context["cluster_name"],
            "domainFilters": list(domain_filters),
            "extraArgs": [f"--zone-id-filter={hosted_zone_id}"],
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "200m", "memory": "128Mi"},
            },
        },
    )


DEFINITION: AddOnDefinition[ExternalDnsOptions] = AddOnDefinition(
    name=NAME,
    chart=NAME,
    version="1.21.1",
    repository="https://kubernetes-sigs.github.io/external-dns/",
    namespace="external-dns",
    settings_key="externalDns",
    options=ExternalDnsOptions,
    defaults=DEFAULTS,
    problems=problems,
    build=_build,
    # Its names point at the ALBs the load balancer controller makes, so it is enabled only with it.
    # Its release waits for nothing: it publishes an Ingress's name whenever the ALB appears in the
    # Ingress's status, so both install side by side.
    requires=(aws_load_balancer_controller.NAME,),
    enabled_by_default=False,
)
