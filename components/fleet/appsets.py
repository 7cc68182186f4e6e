"""The fleet's ApplicationSets, as values of the argocd-apps chart (pinned) that the root Application installs.

One ApplicationSet per kind of application: the platform chart on every cluster of the fleet, and
each team application on every cluster. Both select clusters by the bridge labels of their cluster
secrets and template per-cluster values from their annotations (`bridge.py`); both roll out in
waves with the RollingSync strategy: every dev-wave Application is synced and Healthy before the
first prod-wave one syncs, and prod syncs ``maxUpdate`` clusters at a time.
"""

from typing import Any

from .bridge import ENVIRONMENT_LABEL, FLEET_LABEL, REVISION_ANNOTATION, VALUES_ANNOTATION, WAVE_LABEL
from .config import WAVE_DEFAULTS, WAVE_ORDER, FleetArgs, max_update_value

CHART = "argocd-apps"
CHART_VERSION = "2.0.5"
REPOSITORY = "https://argoproj.github.io/argo-helm"
PLATFORM_APPSET = "kubeboard-platform"
TEAMS_APPSET = "kubeboard-teams"
# Argo CD's ApplicationSet Go templates: the cluster generator's parameters.
_WAVE = f'{{{{ index .metadata.labels "{WAVE_LABEL}" }}}}'
_ENVIRONMENT = f'{{{{ index .metadata.labels "{ENVIRONMENT_LABEL}" }}}}'
_RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


def rolling_sync(fleet: FleetArgs) -> dict[str, Any]:
    """dev first, then prod; a step starts once every Application of the one before is Healthy."""
    steps = []
    for wave in WAVE_ORDER:
        settings = {**WAVE_DEFAULTS, **fleet["waves"][wave.value]}
        steps.append(
            {
                "matchExpressions": [{"key": WAVE_LABEL, "operator": "In", "values": [wave.value]}],
                "maxUpdate": max_update_value(str(settings["max_update"])),
            }
        )
    return {"type": "RollingSync", "rollingSync": {"steps": steps}}


def _clusters(fleet: FleetArgs) -> dict[str, Any]:
    # Only this fleet's cluster secrets, and only those in a known wave (the others would never sync).
    return {
        "clusters": {
            "selector": {
                "matchLabels": {FLEET_LABEL: fleet["name"]},
                "matchExpressions": [
                    {"key": WAVE_LABEL, "operator": "In", "values": [wave.value for wave in WAVE_ORDER]}
                ],
            }
        }
    }


def _appset(
    namespace: str, fleet: FleetArgs, generators: list[Any], template: dict[str, Any]
) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "goTemplate": True,
        # A label or annotation missing from a cluster secret fails generation instead of rendering "".
        "goTemplateOptions": ["missingkey=error"],
        "generators": generators,
        "strategy": rolling_sync(fleet),
        # Removing a cluster from the fleet (or the ApplicationSet) leaves its workloads running.
        "syncPolicy": {"preserveResourcesOnDeletion": True},
        "template": template,
    }


def _spec(project: str, source: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {
        "project": project,
        "source": source,
        "destination": {"server": "{{ .server }}", "namespace": namespace},
        # No `automated`: the RollingSync strategy syncs each wave's Applications itself.
        "syncPolicy": {"syncOptions": ["ServerSideApply=true", "CreateNamespace=false"], "retry": _RETRY},
    }


def applicationsets_values(
    fleet: FleetArgs,
    *,
    namespace: str,
    project: str,
    repository_url: str,
    chart_path: str,
    chart_namespace: str,
) -> dict[str, Any]:
    """The argocd-apps chart's values: ``applicationsets`` by name."""
    labels = {FLEET_LABEL: fleet["name"], WAVE_LABEL: _WAVE}
    appsets: dict[str, Any] = {
        PLATFORM_APPSET: _appset(
            namespace,
            fleet,
            [_clusters(fleet)],
            {
                "metadata": {"name": "kubeboard-platform-{{ .name }}", "labels": labels},
                "spec": _spec(
                    project,
                    {
                        "repoURL": repository_url,
                        "targetRevision": f'{{{{ index .metadata.annotations "{REVISION_ANNOTATION}" }}}}',
                        "path": chart_path,
                        "helm": {
                            "releaseName": "kubeboard",
                            # This cluster's values, as its stack produced them (JSON, which is YAML).
                            "values": f'{{{{ index .metadata.annotations "{VALUES_ANNOTATION}" }}}}',
                        },
                    },
                    chart_namespace,
                ),
            },
        )
    }
    if fleet.get("team_applications"):
        elements = [
            {
                "app": app["name"],
                "repository": app["repository"],
                "path": app["path"],
                "revisions": {"dev": app["revisions"]["dev"], "prod": app["revisions"]["prod"]},
            }
            for app in fleet.get("team_applications") or []
        ]
        appsets[TEAMS_APPSET] = _appset(
            namespace,
            fleet,
            [{"matrix": {"generators": [_clusters(fleet), {"list": {"elements": elements}}]}}],
            {
                "metadata": {
                    "name": "{{ .app }}-{{ .name }}",
                    "labels": {**labels, "kubeboard.io/team-app": "{{ .app }}"},
                },
                "spec": _spec(
                    project,
                    {
                        "repoURL": "{{ .repository }}",
                        "targetRevision": f'{{{{ index .revisions (index .metadata.labels "{WAVE_LABEL}") }}}}',
                        "path": "{{ .path }}",
                    },
                    _ENVIRONMENT,
                ),
            },
        )
    return {"applicationsets": appsets}
