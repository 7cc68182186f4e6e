"""Grafana Alloy, the log collector (K3): a DaemonSet tailing every pod's log files on its node,
and one single-replica Deployment turning Kubernetes events into log lines (the seed's eventrouter).

Two releases of the same chart: events must be collected once per cluster, not once per node.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..addons.contract import AddOnSpec, deep_merge
from ..addons.definition import AddOnContext
from ..addons.pod_security import needs, restricted_container, restricted_pod
from . import loki
from .args import with_config_defaults
from .release_inputs import ReleaseInputs, given_config, observability_release

NAME_LOGS = "alloy-logs"
NAME_EVENTS = "alloy-events"
CHART = "alloy"
CHART_VERSION = "1.11.1"
REPOSITORY = "https://grafana.github.io/helm-charts"
EVENTS_JOB = "loki.source.kubernetes_events"
STREAM_LABELS = ("namespace", "pod", "container", "app")
"""Labels every pod log stream carries; dashboards and the Loki alert rely on ``namespace``."""

WEB_REQUESTS_COUNTER = "kubeboard_web_requests_total"
WEB_REQUESTS_METRIC = f"loki_process_custom_{WEB_REQUESTS_COUNTER}"
"""What Prometheus stores: Alloy prefixes the counters a pipeline makes with ``loki_process_custom_``."""

_RESOURCES_LOGS = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
_RESOURCES_EVENTS = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
_RELOADER_RESOURCES = {"requests": {"cpu": "10m", "memory": "50Mi"}, "limits": {"memory": "64Mi"}}
ALLOY_UID = 473
"""The image's own non-root `alloy` user (the image runs as root unless told otherwise)."""
LOG_FILES_GID = 0
"""containerd writes pod log files as root:root, mode 0640: the group may read them."""


def _non_root(*, supplemental_groups: list[int] | None = None) -> dict[str, Any]:
    """Pod and container security contexts running Alloy as its own user with no privileges.

    The root filesystem stays writable: Alloy keeps its positions and WAL under /tmp/alloy.
    """
    pod = restricted_pod(ALLOY_UID, ALLOY_UID)
    if supplemental_groups:
        pod["supplementalGroups"] = supplemental_groups
    return {
        "global": {"podSecurityContext": pod},
        "alloy": {"securityContext": restricted_container(read_only_root=False)},
    }


def _write_block(push_url: str) -> str:
    return f"""loki.write "default" {{
  endpoint {{
    url = "{push_url}"
  }}
}}
"""


def pod_logs_config(push_url: str) -> str:
    """Alloy configuration of the DaemonSet: this node's pods, their CRI log files, to Loki."""
    return _POD_LOGS.replace("{WEB_REQUESTS_COUNTER}", WEB_REQUESTS_COUNTER) + _write_block(push_url)


def service_monitor(namespace: str) -> dict[str, Any]:
    """The DaemonSet's ServiceMonitor, for kube-prometheus-stack to create (as Loki's): the counters
    its pipeline makes. ``honorLabels`` keeps the log stream's ``namespace`` and ``pod`` (the web
    pod's), not Alloy's own."""
    return {
        "name": NAME_LOGS,
        "namespaceSelector": {"matchNames": [namespace]},
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": CHART,
                "app.kubernetes.io/instance": NAME_LOGS,
                "app.kubernetes.io/component": "networking",
            }
        },
        "endpoints": [{"port": "http-metrics", "interval": "30s", "honorLabels": True}],
    }


_POD_LOGS = r"""// Pods scheduled on this node only (NODE_NAME comes from the downward API).
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

discovery.relabel "pod_logs" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  // app: the recommended app.kubernetes.io/name label, else the classic app label.
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"]
    separator     = ";"
    regex         = "^;*([^;]+).*$"
    target_label  = "app"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }
}

local.file_match "pod_logs" {
  path_targets = discovery.relabel.pod_logs.output
}

loki.source.file "pod_logs" {
  targets    = local.file_match.pod_logs.targets
  forward_to = [loki.process.pod_logs.receiver]
}

// containerd writes CRI-formatted lines: strip the timestamp/stream prefix, keep the time.
loki.process "pod_logs" {
  stage.cri {}

  // The front page's nginx access log ("combined") counted by status: the success rate that
  // canary and blue/green analysis read from Prometheus. The status is a metric label only.
  stage.match {
    selector = `{app="kubeboard-web", container="nginx"}`

    stage.regex {
      expression = `^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" (?P<status>\d{3}) `
    }
    stage.labels {
      values = { status = "" }
    }
    stage.metrics {
      metric.counter {
        name              = "{WEB_REQUESTS_COUNTER}"
        description       = "Requests the Kubeboard front page answered, by pod and status"
        source            = "status"
        action            = "inc"
        max_idle_duration = "30m"
      }
    }
    stage.label_drop {
      values = ["status"]
    }
  }

  forward_to = [loki.write.default.receiver]
}

"""


def events_config(push_url: str) -> str:
    """Alloy configuration of the events Deployment: every namespace's events, in logfmt."""
    return f"""loki.source.kubernetes_events "cluster" {{
  job_name   = "{EVENTS_JOB}"
  log_format = "logfmt"
  forward_to = [loki.write.default.receiver]
}}

""" + _write_block(push_url)


def logs_values(push_url: str) -> dict[str, Any]:
    """The DaemonSet release: reads /var/log/pods from the host, read-only, as a non-root user
    in the log files' group."""
    values = {
        "alloy": {
            "configMap": {"create": True, "content": pod_logs_config(push_url)},
            "mounts": {"varlog": True},
            "extraEnv": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "resources": _RESOURCES_LOGS,
            "enableReporting": False,
        },
        "controller": {
            "type": "daemonset",
            # Every node, including tainted system nodes: their pods' logs matter too.
            "tolerations": [{"operator": "Exists"}],
            "podAnnotations": needs(
                "privileged", "reads pod log files from the node (hostPath /var/log, read-only)"
            ),
        },
        "configReloader": {"resources": _RELOADER_RESOURCES},
    }
    return deep_merge(values, _non_root(supplemental_groups=[LOG_FILES_GID]))


def events_values(push_url: str) -> dict[str, Any]:
    """The events release: exactly one replica, so each event is shipped once."""
    values = {
        # The first release (the DaemonSet) owns the chart's CRDs.
        "crds": {"create": False},
        "alloy": {
            "configMap": {"create": True, "content": events_config(push_url)},
            "resources": _RESOURCES_EVENTS,
            "enableReporting": False,
        },
        "controller": {"type": "deployment", "replicas": 1},
        "configReloader": {"resources": _RELOADER_RESOURCES},
    }
    return deep_merge(values, _non_root())


def _build_logs(_context: AddOnContext, inputs: ReleaseInputs) -> AddOnSpec:
    namespace = with_config_defaults(given_config(inputs))["namespace"]
    return replace(DEFINITION_LOGS.spec(values=logs_values(loki.push_url(namespace))), namespace=namespace)


def _build_events(_context: AddOnContext, inputs: ReleaseInputs) -> AddOnSpec:
    namespace = with_config_defaults(given_config(inputs))["namespace"]
    # Uses none of the chart's CRDs (the DaemonSet release owns them): no need to wait for it.
    return replace(
        DEFINITION_EVENTS.spec(values=events_values(loki.push_url(namespace))), namespace=namespace
    )


DEFINITION_LOGS = observability_release(NAME_LOGS, CHART, CHART_VERSION, REPOSITORY, build=_build_logs)
DEFINITION_EVENTS = observability_release(NAME_EVENTS, CHART, CHART_VERSION, REPOSITORY, build=_build_events)
