"""A fleet's Argo CD: spokes are registered through IAM, never with a stored token, and the
ApplicationSets that deploy the fleet generate Applications in the platform project only."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from kubeboard_policy.base import TypedResourcePolicy
from kubeboard_policy.props import get, items

SECRET = "kubernetes:core/v1:Secret"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
RELEASE = "kubernetes:helm.sh/v3:Release"
APPS_CHART = "argocd-apps"
PLATFORM_PROJECT = "kubeboard-platform"
IN_CLUSTER = "https://kubernetes.default.svc"
MASKED = "[secret]"
# What a cluster secret's `config` may carry that is a stored credential.
STATIC_CREDENTIALS = {
    "bearerToken": "a bearer token",
    "password": "a password",
    "username": "basic authentication",
    "tlsClientConfig.keyData": "a client key",
    "tlsClientConfig.certData": "a client certificate",
}


def _cluster_config(props: Mapping[str, Any]) -> tuple[str | None, Any]:
    """(server, parsed config) of a cluster secret; config is None when absent, MASKED when unreadable."""
    string_data = get(props, "stringData") or {}
    if string_data == MASKED:
        return None, MASKED
    server = string_data.get("server") if isinstance(string_data, Mapping) else None
    raw = string_data.get("config") if isinstance(string_data, Mapping) else None
    if raw is None and get(props, "data.config") is not None:
        return server, MASKED  # base64 `data`: write `stringData` so the config can be reviewed
    if raw is None or raw == MASKED:
        return server, raw
    try:
        return server, json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return server, MASKED


def _iam_registration(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if get(args.props, "metadata.labels", {}).get("argocd.argoproj.io/secret-type") != "cluster":
        return
    server, config = _cluster_config(args.props)
    if config == MASKED:
        # The Kubernetes provider makes a Secret's data a Pulumi secret: the offline plan cannot
        # read it, the pack under the CLI can (it is given the values).
        return
    config = config if isinstance(config, Mapping) else {}
    for path, what in STATIC_CREDENTIALS.items():
        if get(config, path):
            report(f"registers the cluster with {what} (`config.{path}`): a long-lived credential", None)
    if server != IN_CLUSTER and not get(config, "awsAuthConfig.roleARN"):
        report(
            f"registers {server} without `awsAuthConfig` (a role the hub assumes, an EKS access entry)", None
        )


cluster_secret_iam_auth = TypedResourcePolicy(
    name="argocd-cluster-secret-iam-auth",
    description="Argo CD cluster secrets authenticate through IAM (awsAuthConfig), never with a stored token.",
    resource_types=(SECRET,),
    check=_iam_registration,
    severity=Severity.CRITICAL,
    remediation_steps="Set config.awsAuthConfig {clusterName, roleARN}, give that role an access entry, drop the token.",
)


# A release tag (v1.2.3, v1.2.3-rc.1) or a full commit SHA: refs that never move.
PROMOTED_REVISION = re.compile(r"^(v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
WAVE_LABEL = "kubeboard.io/wave"
REVISION_ANNOTATION = "kubeboard.io/target-revision"


def _prod_wave_revisions(args: ResourceValidationArgs) -> list[tuple[str, str]]:
    """(what, revision) the prod wave runs: its cluster secrets' revision, team applications' prod revision."""
    found: list[tuple[str, str]] = []
    if args.resource_type == SECRET:
        metadata = get(args.props, "metadata", {})
        if (get(metadata, "labels", {}) or {}).get(WAVE_LABEL) == "prod":
            revision = (get(metadata, "annotations", {}) or {}).get(REVISION_ANNOTATION, "HEAD")
            found.append((f"cluster {get(metadata, 'name', '?')}", str(revision)))
        return found
    for name, spec in _applicationsets(args).items():
        for generator in _flat(get(spec, "generators", [])):
            for element in items(get(generator, "list.elements")):
                revision = get(element, "revisions.prod")
                if revision is not None:
                    found.append((f"ApplicationSet {name}, {get(element, 'app', '?')}", str(revision)))
    return found


def _flat(generators: Any) -> list[Mapping[str, Any]]:
    flat: list[Mapping[str, Any]] = []
    for generator in items(generators):
        if isinstance(generator, Mapping):
            flat.append(generator)
            flat.extend(_flat(get(generator, "matrix.generators", [])))
    return flat


def _prod_wave_promoted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for what, revision in _prod_wave_revisions(args):
        if not PROMOTED_REVISION.match(revision):
            report(
                f"{what}: the prod wave follows {revision!r}, which moves with every merge; pin a release tag",
                None,
            )


prod_wave_promoted = TypedResourcePolicy(
    name="argocd-fleet-prod-wave-promoted-revision",
    description="A fleet's prod wave runs a release tag or a commit: what dev ran, promoted by review.",
    resource_types=(SECRET, APPLICATION_SET, APPLICATION, RELEASE),
    check=_prod_wave_promoted,
    severity=Severity.HIGH,
    remediation_steps="Set kubeboard:fleet.waves.prod.targetRevision (and teams' revisions.prod) to a tag.",
)


def _applicationsets(args: ResourceValidationArgs) -> dict[str, Mapping[str, Any]]:
    """The ApplicationSets a resource creates: its own spec, or an argocd-apps chart's values."""
    if args.resource_type == APPLICATION_SET:
        return {str(get(args.props, "metadata.name", "?")): get(args.props, "spec", {})}
    if args.resource_type == RELEASE:
        values = get(args.props, "values", {}) if get(args.props, "chart") == APPS_CHART else {}
    else:
        source = get(args.props, "spec.source", {})
        values = get(source, "helm.valuesObject", {}) if get(source, "chart") == APPS_CHART else {}
    found = get(values, "applicationsets", {}) if isinstance(values, Mapping) else {}
    return (
        {str(name): spec for name, spec in found.items() if isinstance(spec, Mapping)}
        if isinstance(found, Mapping)
        else {}
    )


def _platform_project(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for name, spec in _applicationsets(args).items():
        project = get(spec, "template.spec.project")
        if project != PLATFORM_PROJECT:
            report(
                f"ApplicationSet {name} generates Applications in project {project!r}, not {PLATFORM_PROJECT}",
                None,
            )
        if "project" in str(get(spec, "templatePatch", "")):
            report(f"ApplicationSet {name} may set the project in its templatePatch", None)


applicationsets_in_platform_project = TypedResourcePolicy(
    name="argocd-applicationset-platform-project",
    description="ApplicationSets generate Applications only in the platform's AppProject.",
    resource_types=(APPLICATION_SET, APPLICATION, RELEASE),
    check=_platform_project,
    severity=Severity.HIGH,
    remediation_steps=f"Set template.spec.project to {PLATFORM_PROJECT} (it bounds repositories, destinations, kinds).",
)

POLICIES = [cluster_secret_iam_auth, applicationsets_in_platform_project, prod_wave_promoted]
