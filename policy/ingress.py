"""Every internet-facing ALB ingress carries the WAF web ACL: no platform UI is reachable around the WAF.

Ingresses appear as Kubernetes objects and inside Helm values (Grafana, Argo CD, the Kubeboard chart),
so both are searched for ALB ingress definitions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, truthy

INGRESS_TYPES = ("kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:networking.k8s.io/v1beta1:Ingress")
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
ALB_PREFIX = "alb.ingress.kubernetes.io/"
WAF_ANNOTATION = "alb.ingress.kubernetes.io/wafv2-acl-arn"
SCHEME_ANNOTATION = "alb.ingress.kubernetes.io/scheme"


def _annotations(mapping: Any) -> Mapping[str, Any]:
    value = get(mapping, "annotations")
    return value if isinstance(value, Mapping) else {}


def _is_alb(annotations: Mapping[str, Any], class_name: Any) -> bool:
    return (
        class_name == "alb"
        or annotations.get("kubernetes.io/ingress.class") == "alb"
        or any(str(key).startswith(ALB_PREFIX) for key in annotations)
    )


def _missing_waf(annotations: Mapping[str, Any]) -> bool:
    if str(annotations.get(SCHEME_ANNOTATION, "internet-facing")) == "internal":
        return False
    return not annotations.get(WAF_ANNOTATION)


def _check_ingress(args: ResourceValidationArgs, report: ReportViolation) -> None:
    annotations = _annotations(get(args.props, "metadata"))
    if _is_alb(annotations, get(args.props, "spec.ingressClassName")) and _missing_waf(annotations):
        report(f"internet-facing ALB ingress has no {WAF_ANNOTATION} annotation", None)


def _ingress_blocks(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Mappings in Helm values that define an ingress: they carry annotations or an ingress class."""
    if isinstance(value, Mapping):
        if ("annotations" in value or "ingressClassName" in value) and value.get(
            "enabled", True
        ) is not False:
            yield path, value
        for key, child in value.items():
            yield from _ingress_blocks(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, child in enumerate(value):
            yield from _ingress_blocks(child, f"{path}[{index}]")


def _check_values(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for path, block in _ingress_blocks(get(args.props, "values"), "values"):
        if "enabled" in block and not truthy(block.get("enabled")):
            continue
        annotations = _annotations(block)
        if _is_alb(annotations, block.get("ingressClassName")) and _missing_waf(annotations):
            report(f"{path}: internet-facing ALB ingress has no {WAF_ANNOTATION} annotation", None)


def _check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type in HELM_TYPES:
        _check_values(args, report)
    else:
        _check_ingress(args, report)


require_waf = TypedResourcePolicy(
    name="kubernetes-ingress-require-waf",
    description="Every internet-facing ALB ingress (object or Helm values) is attached to the WAF web ACL.",
    resource_types=[*INGRESS_TYPES, *HELM_TYPES],
    check=_check,
    severity=Severity.CRITICAL,
    remediation_steps="Use the Edge component's ingress contract; it sets the wafv2-acl-arn annotation.",
)

POLICIES = [require_waf]
