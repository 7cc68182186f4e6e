"""Argo CD: what reaches prod is a reviewed promotion, inside a project that bounds it, and people
sign in through SSO."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.context import is_production
from kubeboard_policy.props import get, items, truthy

APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
RELEASE = "kubernetes:helm.sh/v3:Release"
ARGO_CD_CHART = "argo-cd"
# Refs that never move: a release tag (v1.2.3, v1.2.3-rc.1) or a full commit SHA.
PROMOTED_REVISION = re.compile(r"^(v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
# A Helm chart source's targetRevision is a chart version; an exact one never moves (no range or *).
EXACT_CHART_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def _sources(args: ResourceValidationArgs) -> list[Mapping[str, Any]]:
    spec = get(args.props, "spec", {})
    sources = items(get(spec, "sources")) or items(get(spec, "source"))
    return [s for s in sources if isinstance(s, Mapping)]


def _promoted_revision(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_production():
        return
    for source in _sources(args):
        revision = str(get(source, "targetRevision", "HEAD"))
        pinned = EXACT_CHART_VERSION if get(source, "chart") else PROMOTED_REVISION
        if not pinned.match(revision):
            report(
                f"follows '{revision}' from {get(source, 'repoURL', '?')}: a merge there would reach prod "
                "past its approval; pin a release tag or a commit",
                None,
            )


prod_follows_promoted_revision = TypedResourcePolicy(
    name="argocd-prod-application-tracks-promoted-revision",
    description="In prod, Argo CD Applications follow a release tag or a commit, never a branch.",
    resource_types=(APPLICATION,),
    check=_promoted_revision,
    severity=Severity.HIGH,
    remediation_steps="Set targetRevision to a tag (v1.2.3); promote by a reviewed change of it.",
)


def _bounded_project(args: ResourceValidationArgs, report: ReportViolation) -> None:
    project = str(get(args.props, "spec.project", "default"))
    if project == "default":
        report("runs in the `default` AppProject, which admits any repository, destination and kind", None)


application_in_bounded_project = TypedResourcePolicy(
    name="argocd-application-disallow-default-project",
    description="Argo CD Applications run in an AppProject that lists their repositories, destinations and kinds.",
    resource_types=(APPLICATION,),
    check=_bounded_project,
    severity=Severity.HIGH,
    remediation_steps="Create an AppProject for the Application and set spec.project.",
)


def _argocd_local_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_production() or get(args.props, "chart") != ARGO_CD_CHART:
        return
    cm = get(args.props, "values.configs.cm")
    admin = cm.get("admin.enabled", True) if isinstance(cm, Mapping) else True
    if truthy(admin):
        report(
            "Argo CD's local admin is enabled in production (the chart's default): sign in through SSO", None
        )


disallow_argocd_local_admin = TypedResourcePolicy(
    name="argocd-disallow-local-admin-in-prod",
    description="In prod Argo CD has no local admin account: people sign in through SSO.",
    resource_types=(RELEASE,),
    check=_argocd_local_admin,
    severity=Severity.HIGH,
    remediation_steps="Set configs.cm['admin.enabled'] to false and configure dex or OIDC.",
)

POLICIES = [prod_follows_promoted_revision, application_in_bounded_project, disallow_argocd_local_admin]
