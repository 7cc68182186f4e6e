"""Every internet-facing UI asks who you are, and no local password bypasses the SSO that does.

A UI is signed in to either by the ALB (``auth-type: oidc`` or ``cognito`` on its Ingress) or by
the application itself through SSO (Argo CD with dex or OIDC, Grafana with an OAuth provider).
Ingresses appear as Kubernetes objects, inside Helm values and inside an Argo CD Application's
Helm values (the platform chart's front page), so all three are searched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.ingress import HELM_TYPES, INGRESS_TYPES, SCHEME_ANNOTATION
from kubeboard_policy.props import get, items, truthy

APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
ALB_PREFIX = "alb.ingress.kubernetes.io/"
AUTH_TYPE = f"{ALB_PREFIX}auth-type"
ON_UNAUTHENTICATED = f"{ALB_PREFIX}auth-on-unauthenticated-request"
ALB_AUTH_TYPES = ("oidc", "cognito")
ARGO_CD_CHARTS = ("argo-cd",)
GRAFANA_CHARTS = ("grafana", "kube-prometheus-stack")
# Grafana's OAuth providers (grafana.ini sections); any one enabled is SSO.
GRAFANA_OAUTH = (
    "auth.generic_oauth",
    "auth.github",
    "auth.gitlab",
    "auth.google",
    "auth.azuread",
    "auth.okta",
)
_INGRESS_KEYS = ("annotations", "ingressClassName", "extraAnnotations", "className")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ingress_blocks(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Enabled mappings in Helm values that define an ingress (annotations or an ingress class)."""
    if isinstance(value, Mapping):
        if any(key in value for key in _INGRESS_KEYS) and truthy(value.get("enabled", True)):
            yield path, value
        for key, child in value.items():
            yield from _ingress_blocks(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, child in enumerate(value):
            yield from _ingress_blocks(child, f"{path}[{index}]")


def _annotations(block: Mapping[str, Any]) -> dict[str, Any]:
    # The platform chart writes `extraAnnotations` beside the ones its template owns.
    return {**_mapping(block.get("annotations")), **_mapping(block.get("extraAnnotations"))}


def _public_alb(annotations: Mapping[str, Any], class_name: Any, scheme: Any = None) -> bool:
    is_alb = class_name == "alb" or any(str(key).startswith(ALB_PREFIX) for key in annotations)
    scheme = annotations.get(SCHEME_ANNOTATION, scheme or "internet-facing")
    return is_alb and str(scheme) != "internal"


def _alb_signs_in(annotations: Mapping[str, Any]) -> bool:
    return (
        str(annotations.get(AUTH_TYPE, "none")).lower() in ALB_AUTH_TYPES
        and str(annotations.get(ON_UNAUTHENTICATED, "authenticate")).lower() != "allow"
    )


def _argocd_sso(values: Mapping[str, Any]) -> bool:
    cm = _mapping(get(values, "configs.cm"))
    return bool(cm.get("dex.config") or cm.get("oidc.config"))


def _grafana_ini(values: Mapping[str, Any], chart: str) -> Mapping[str, Any]:
    grafana = values if chart == "grafana" else _mapping(values.get("grafana"))
    return _mapping(grafana.get("grafana.ini"))


def _grafana_sso(ini: Mapping[str, Any]) -> bool:
    return any(truthy(_mapping(ini.get(section)).get("enabled")) for section in GRAFANA_OAUTH)


def _app_signs_in(chart: str, path: str, values: Mapping[str, Any]) -> bool:
    """The UI behind this ingress block signs people in itself through SSO."""
    if chart in ARGO_CD_CHARTS:
        return path.startswith("values.server.") and _argocd_sso(values)
    if chart in GRAFANA_CHARTS:
        inside_grafana = chart == "grafana" or path.startswith("values.grafana.")
        return inside_grafana and _grafana_sso(_grafana_ini(values, chart))
    return False


def _check_blocks(
    values: Any, prefix: str, chart: str, report: ReportViolation, *, apps_sign_in: bool
) -> None:
    for path, block in _ingress_blocks(values, prefix):
        annotations = _annotations(block)
        class_name = block.get("ingressClassName", block.get("className"))
        if not _public_alb(annotations, class_name, block.get("scheme")) or _alb_signs_in(annotations):
            continue
        if apps_sign_in and _app_signs_in(chart, path, _mapping(values)):
            continue
        report(
            f"{path}: internet-facing ALB ingress without sign-in: add {AUTH_TYPE}: oidc (or cognito) "
            "with auth-on-unauthenticated-request: authenticate, or configure the UI's SSO",
            None,
        )


def _require_sign_in(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type in INGRESS_TYPES:
        annotations = _mapping(get(props, "metadata.annotations"))
        if _public_alb(annotations, get(props, "spec.ingressClassName")) and not _alb_signs_in(annotations):
            report(f"internet-facing ALB ingress without sign-in: add {AUTH_TYPE}: oidc (or cognito)", None)
    elif args.resource_type in HELM_TYPES:
        chart = str(get(props, "chart", "")).rsplit("/", 1)[-1]
        _check_blocks(get(props, "values"), "values", chart, report, apps_sign_in=True)
    else:
        spec = _mapping(get(props, "spec"))
        for index, source in enumerate(items(spec.get("sources")) or items(spec.get("source"))):
            base = f"spec.sources[{index}].helm" if spec.get("sources") else "spec.source.helm"
            _check_blocks(
                get(source, "helm.valuesObject"), f"{base}.valuesObject", "", report, apps_sign_in=False
            )
            # The same values may come as YAML text instead.
            text = get(source, "helm.values")
            if isinstance(text, str):
                try:
                    parsed = yaml.safe_load(text)
                except yaml.YAMLError:
                    parsed = None
                _check_blocks(parsed, f"{base}.values", "", report, apps_sign_in=False)


require_sign_in = TypedResourcePolicy(
    name="ui-require-sign-in",
    description=(
        "Every internet-facing ALB ingress (object, Helm values or an Application's values) signs people in: "
        "the ALB's OIDC/Cognito authentication, or the UI's own SSO (Argo CD dex/OIDC, Grafana OAuth)."
    ),
    resource_types=[*INGRESS_TYPES, *HELM_TYPES, APPLICATION],
    check=_require_sign_in,
    severity=Severity.CRITICAL,
    remediation_steps=(
        "Add sso.alb_oidc_annotations(...) to the Ingress, or sign in to the UI through dex (kubeboard:sso)."
    ),
)


def _local_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    chart = str(get(args.props, "chart", "")).rsplit("/", 1)[-1]
    values = _mapping(get(args.props, "values"))
    # The argo-cd chart's default keeps the admin account.
    admin = _mapping(get(values, "configs.cm")).get("admin.enabled", True)
    if chart in ARGO_CD_CHARTS and _argocd_sso(values) and truthy(admin):
        report(
            "Argo CD signs in through SSO yet keeps its local admin: set configs.cm['admin.enabled'] false",
            None,
        )
    if chart in GRAFANA_CHARTS:
        ini = _grafana_ini(values, chart)
        if not _grafana_sso(ini):
            return
        if not truthy(_mapping(ini.get("auth")).get("disable_login_form", False)):
            report(
                "Grafana signs in through SSO yet shows its login form: set auth.disable_login_form true",
                None,
            )
        if truthy(_mapping(ini.get("auth.basic")).get("enabled", True)):
            report("Grafana signs in through SSO yet accepts basic auth: set auth.basic.enabled false", None)


disallow_local_admin_with_sso = TypedResourcePolicy(
    name="ui-disallow-local-admin-with-sso",
    description="Where a UI signs in through SSO, no local admin or password login remains beside it.",
    resource_types=HELM_TYPES,
    check=_local_admin,
    severity=Severity.HIGH,
    remediation_steps=(
        "Argo CD: configs.cm['admin.enabled']: false. Grafana: grafana.ini auth.disable_login_form: true "
        "and auth.basic.enabled: false."
    ),
)

POLICIES = [require_sign_in, disallow_local_admin_with_sso]
