"""Helm releases install an exact chart version from a trusted repository."""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
LOCAL_PREFIXES = ("./", "../", "/", "charts/")


def _repository(args: ResourceValidationArgs) -> str:
    return str(get(args.props, "repositoryOpts.repo") or "")


def _is_local(chart: str, repository: str) -> bool:
    # A chart from this repository is pinned by the commit; its Chart.yaml carries the version.
    return not repository and not chart.startswith("oci://") and chart.startswith(LOCAL_PREFIXES)


def _pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    chart = str(get(args.props, "chart", ""))
    if _is_local(chart, _repository(args)):
        return
    version = str(get(args.props, "version", ""))
    if not version:
        report(f"chart '{chart}' has no version: every install takes whatever is latest", None)
    elif not EXACT_VERSION.match(version):
        report(f"chart '{chart}' version '{version}' is a range, not an exact version", None)


require_pinned_version = TypedResourcePolicy(
    name="kubernetes-helm-release-require-pinned-version",
    description="Helm releases pin an exact chart version.",
    resource_types=HELM_TYPES,
    check=_pinned,
    severity=Severity.HIGH,
)


def _trusted_repository(args: ResourceValidationArgs, report: ReportViolation) -> None:
    repository = _repository(args) or str(get(args.props, "chart", ""))
    if repository.startswith("http://"):
        report(f"chart repository {repository} is fetched without TLS", None)


require_https_repository = TypedResourcePolicy(
    name="kubernetes-helm-release-require-https-repository",
    description="Helm charts come from HTTPS or OCI repositories, never plain HTTP.",
    resource_types=HELM_TYPES,
    check=_trusted_repository,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [require_pinned_version, require_https_repository]
