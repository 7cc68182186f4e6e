"""Find every way a plan publishes a UI, and what each lacks to sit behind the shared ALB and WAF.

Generic on purpose, so it also judges UIs added later: it reads Kubernetes Ingress resources, and
any ``ingress`` block in any resource's inputs (Helm release values, Argo CD Application values,
values given as YAML text), plus Services of type LoadBalancer, which would bypass the WAF.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from .ingress import INGRESS_CLASS, PREFIX, REQUIRED_ANNOTATIONS

INGRESS_TYPE = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE_TYPE = "kubernetes:core/v1:Service"


@dataclass(frozen=True)
class Exposure:
    """One published UI: where it is declared and the annotations it carries."""

    urn: str
    where: str
    ingress_class: str | None
    annotations: Mapping[str, Any]
    bypasses_alb: bool = False


def _enabled(block: Mapping[str, Any]) -> bool:
    if "enabled" in block:
        return block["enabled"] is True or block["enabled"] == "true"
    return any(key in block for key in ("hosts", "hostname", "rules"))


def _parsed(text: str) -> Any:
    if "ingress" not in text and "LoadBalancer" not in text:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _walk(value: Any, where: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(kind, path, block) for each ``ingress`` block and each ``service`` of type LoadBalancer."""
    if isinstance(value, str):
        parsed = _parsed(value)
        if isinstance(parsed, dict | list):
            yield from _walk(parsed, where)
    elif isinstance(value, Mapping):
        for key, child in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key == "ingress" and isinstance(child, Mapping) and _enabled(child):
                yield "ingress", path, child
            elif key == "service" and isinstance(child, Mapping) and child.get("type") == "LoadBalancer":
                yield "load-balancer", path, child
            yield from _walk(child, path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{where}[{index}]")


def exposures(resources: list[Mapping[str, Any]]) -> list[Exposure]:
    """Every UI the plan's resources publish."""
    found: list[Exposure] = []
    for resource in resources:
        inputs = resource.get("inputs") or {}
        urn = resource["urn"]
        if resource["type"] == INGRESS_TYPE:
            annotations = inputs.get("metadata", {}).get("annotations") or {}
            ingress_class = inputs.get("spec", {}).get("ingressClassName")
            found.append(Exposure(urn, "Ingress", ingress_class, annotations))
            continue
        if resource["type"] == SERVICE_TYPE and inputs.get("spec", {}).get("type") == "LoadBalancer":
            found.append(Exposure(urn, "Service", None, {}, bypasses_alb=True))
            continue
        for kind, path, block in _walk(inputs, ""):
            if kind == "load-balancer":
                found.append(Exposure(urn, path, None, {}, bypasses_alb=True))
            else:
                found.append(_values_exposure(urn, path, block))
    return found


# charts/kubeboard takes the contract as fields its Ingress template turns into annotations.
_FIELD_ANNOTATIONS = {
    "groupName": f"{PREFIX}/group.name",
    "certificateArn": f"{PREFIX}/certificate-arn",
    "wafAclArn": f"{PREFIX}/wafv2-acl-arn",
    "scheme": f"{PREFIX}/scheme",
    "sslPolicy": f"{PREFIX}/ssl-policy",
}


def _values_exposure(urn: str, path: str, block: Mapping[str, Any]) -> Exposure:
    """A chart's ``ingress`` block: upstream charts' ``annotations`` and ``ingressClassName``, or
    the platform chart's ``className``, contract fields and ``extraAnnotations``."""
    annotations: dict[str, Any] = {}
    for key in ("annotations", "extraAnnotations"):
        if isinstance(block.get(key), Mapping):
            annotations |= block[key]
    platform_layout = any(field in block for field in _FIELD_ANNOTATIONS)
    for field, annotation in _FIELD_ANNOTATIONS.items():
        if block.get(field):
            annotations.setdefault(annotation, block[field])
    if platform_layout:
        # charts/kubeboard/templates/ingress.yaml writes the HTTPS redirect unconditionally.
        annotations.setdefault(f"{PREFIX}/ssl-redirect", "443")
    ingress_class = block.get("ingressClassName") or block.get("className")
    return Exposure(urn, path, ingress_class, annotations)


def problems(exposure: Exposure, *, web_acl_arn: str | None, certificate_arn: str | None) -> list[str]:
    """What keeps one exposure from being behind the shared ALB, the WAF and the certificate."""
    if exposure.bypasses_alb:
        return ["a LoadBalancer Service publishes it around the ALB and its WAF"]
    issues = []
    if exposure.ingress_class != INGRESS_CLASS:
        issues.append(f"ingressClassName is {exposure.ingress_class!r}, not {INGRESS_CLASS!r}")
    if "kubernetes.io/ingress.class" in exposure.annotations:
        issues.append("uses the deprecated kubernetes.io/ingress.class annotation")
    for key in REQUIRED_ANNOTATIONS:
        if not exposure.annotations.get(key):
            issues.append(f"missing {key}")
    expected = {f"{PREFIX}/wafv2-acl-arn": web_acl_arn, f"{PREFIX}/certificate-arn": certificate_arn}
    for key, value in expected.items():
        if value and exposure.annotations.get(key) and exposure.annotations[key] != value:
            issues.append(f"{key} is {exposure.annotations[key]!r}, not the platform's {value!r}")
    if exposure.annotations.get(f"{PREFIX}/scheme") == "internet-facing" and not exposure.annotations.get(
        f"{PREFIX}/ssl-redirect"
    ):
        issues.append("serves plain HTTP: no ssl-redirect")
    return issues
