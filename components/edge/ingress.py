"""The ingress contract: how every platform UI joins the one shared ALB behind the WAF (K7).

Each UI (Grafana, Argo CD, the Kubeboard chart) asks the contract for its annotations or its
chart's ``ingress`` values instead of writing its own, so no UI can end up on a second load
balancer, without TLS, or around the WebACL.
"""

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypedDict

import pulumi

INGRESS_CLASS = "alb"
# TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only (AWS's recommended ALB policy).
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
PREFIX = "alb.ingress.kubernetes.io"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"

# The annotations that put an Ingress behind the WAF, on the certificate, in the shared group.
REQUIRED_ANNOTATIONS = (
    f"{PREFIX}/group.name",
    f"{PREFIX}/certificate-arn",
    f"{PREFIX}/wafv2-acl-arn",
)

# Every annotation the contract owns; a UI may add others but not change these.
CONTRACT_ANNOTATIONS = frozenset(
    {
        *REQUIRED_ANNOTATIONS,
        f"{PREFIX}/scheme",
        f"{PREFIX}/target-type",
        f"{PREFIX}/listen-ports",
        f"{PREFIX}/ssl-redirect",
        f"{PREFIX}/ssl-policy",
        f"{PREFIX}/load-balancer-attributes",
        f"{PREFIX}/group.order",
        f"{PREFIX}/healthcheck-path",
        HOSTNAME_ANNOTATION,
    }
)


class IngressValuesShape(StrEnum):
    """How a chart spells its ``ingress`` block's host."""

    HOSTS = "hosts"
    """``hosts: [name]`` with ``path`` and ``pathType`` beside it (Grafana)."""
    HOSTNAME = "hostname"
    """``hostname: name`` with ``path`` and ``pathType`` beside it (Argo CD's ``server.ingress``)."""
    HOST_PATHS = "host-paths"
    """``hosts: [{host, paths: [{path, pathType}]}]`` (the ``helm create`` layout)."""


class IngressContract(TypedDict):
    """What a UI needs to be published on the shared ALB; built by ``Edge``.

    A plain mapping (a program in another language passes it through the component provider as an
    object); ``ingress_hostname``, ``ingress_annotations`` and ``ingress_helm_values`` read it.
    """

    domain: str
    """The platform domain; UIs live at ``<name>.<domain>``, covered by the wildcard certificate."""
    group_name: str
    """The ALB ingress group every UI joins."""
    certificate_arn: pulumi.Input[str]
    """The validated certificate (resolves only once DNS validation has completed)."""
    web_acl_arn: pulumi.Input[str]
    """The WebACL every UI sits behind."""
    access_log_bucket: pulumi.Input[str]
    """The bucket the ALB writes its access logs to."""
    access_log_prefix: str
    """The key prefix of the access logs in that bucket."""
    ingress_class_name: str
    """The IngressClass of the AWS Load Balancer Controller (``alb``)."""
    ssl_policy: str
    """The ALB's TLS policy (TLS 1.3 with a TLS 1.2 fallback)."""


def ingress_hostname(contract: IngressContract, name: str) -> str:
    """The public name of a UI, e.g. ``grafana`` -> ``grafana.kubeboard.example.com``."""
    return f"{name}.{contract['domain']}"


def ingress_annotations(
    contract: IngressContract,
    hostname: str,
    *,
    order: int | None = None,
    healthcheck_path: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> pulumi.Output[dict[str, str]]:
    """The annotations every UI Ingress carries.

    ``order`` sets the rule order within the shared ALB (1-1000, lower first);
    ``extra`` may add controller annotations but never override the contract's.
    """
    domain = contract["domain"]
    label = hostname.removesuffix(f".{domain}")
    # The wildcard covers exactly one label: a.b.<domain> would get a certificate error.
    if hostname != domain and (label == hostname or "." in label):
        raise ValueError(f"{hostname!r} is not covered by the certificate for {domain} and *.{domain}")
    if order is not None and not 1 <= order <= 1000:
        raise ValueError(f"group.order must be 1 to 1000, got {order}")
    clashes = sorted(key for key in extra or {} if key in CONTRACT_ANNOTATIONS)
    if clashes:
        raise ValueError(f"extra annotations may not override the ingress contract: {clashes}")

    def build(values: list[str]) -> dict[str, str]:
        certificate_arn, web_acl_arn, bucket = values
        attributes = ",".join(
            (
                "access_logs.s3.enabled=true",
                f"access_logs.s3.bucket={bucket}",
                f"access_logs.s3.prefix={contract['access_log_prefix']}",
                # Requests with malformed header names are dropped (request smuggling).
                "routing.http.drop_invalid_header_fields.enabled=true",
            )
        )
        own = {
            f"{PREFIX}/group.name": contract["group_name"],
            f"{PREFIX}/scheme": "internet-facing",
            f"{PREFIX}/target-type": "ip",
            f"{PREFIX}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}], separators=(",", ":")),
            f"{PREFIX}/ssl-redirect": "443",
            f"{PREFIX}/certificate-arn": certificate_arn,
            f"{PREFIX}/ssl-policy": contract["ssl_policy"],
            f"{PREFIX}/wafv2-acl-arn": web_acl_arn,
            f"{PREFIX}/load-balancer-attributes": attributes,
            HOSTNAME_ANNOTATION: hostname,
        }
        if order is not None:
            own[f"{PREFIX}/group.order"] = str(order)
        if healthcheck_path is not None:
            own[f"{PREFIX}/healthcheck-path"] = healthcheck_path
        return {**own, **(extra or {})}

    return pulumi.Output.all(
        contract["certificate_arn"], contract["web_acl_arn"], contract["access_log_bucket"]
    ).apply(build)


def ingress_helm_values(
    contract: IngressContract,
    hostname: str,
    *,
    shape: IngressValuesShape = IngressValuesShape.HOSTS,
    path: str = "/",
    path_type: str = "Prefix",
    order: int | None = None,
    healthcheck_path: str | None = None,
    extra_annotations: Mapping[str, str] | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """A chart's ``ingress`` block: enabled, class ``alb``, the contract's annotations, the host.

    TLS terminates at the ALB with the ACM certificate, so no TLS secret is configured.
    """
    annotations = ingress_annotations(
        contract, hostname, order=order, healthcheck_path=healthcheck_path, extra=extra_annotations
    )

    def build(resolved: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "enabled": True,
            "ingressClassName": contract["ingress_class_name"],
            "annotations": resolved,
        }
        if shape is IngressValuesShape.HOSTS:
            values |= {"hosts": [hostname], "path": path, "pathType": path_type}
        elif shape is IngressValuesShape.HOSTNAME:
            values |= {"hostname": hostname, "path": path, "pathType": path_type}
        else:
            values["hosts"] = [{"host": hostname, "paths": [{"path": path, "pathType": path_type}]}]
        return values

    return annotations.apply(build)
