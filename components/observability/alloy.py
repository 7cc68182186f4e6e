"""Grafana Alloy, the log collector (K3): a DaemonSet tailing every pod's log files on its node,
and one single-replica Deployment turning Kubernetes events into log lines (the seed's eventrouter).

Two releases of the same chart: events must be collected once per cluster, not once per node.
"""

from __future__ import annotations

from typing import Any

NAME_LOGS = "alloy-logs"
NAME_EVENTS = "alloy-events"
CHART = "alloy"
CHART_VERSION = "1.11.1"
REPOSITORY = "https://grafana.github.io/helm-charts"
EVENTS_JOB = "loki.source.kubernetes_events"
STREAM_LABELS = ("namespace", "pod", "container", "app")
"""Labels every pod log stream carries; dashboards and the Loki alert rely on ``namespace``."""

_RESOURCES_LOGS = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
_RESOURCES_EVENTS = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
_RELOADER_RESOURCES = {"requests": {"cpu": "10m", "memory": "50Mi"}, "limits": {"memory": "64Mi"}}


def _write_block(push_url: str) -> str:
    return f"""loki.write "default" {{
  endpoint {{
    url = "{push_url}"
  }}
}}
"""


def pod_logs_config(push_url: str) -> str:
    """Alloy configuration of the DaemonSet: this node's pods, their CRI log files, to Loki."""
    return """// Pods scheduled on this node only (NODE_NAME comes from the downward API).
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
  forward_to = [loki.write.default.receiver]
}

""" + _write_block(push_url)


def events_config(push_url: str) -> str:
    """Alloy configuration of the events Deployment: every namespace's events, in logfmt."""
    return f"""loki.source.kubernetes_events "cluster" {{
  job_name   = "{EVENTS_JOB}"
  log_format = "logfmt"
  forward_to = [loki.write.default.receiver]
}}

""" + _write_block(push_url)


def logs_values(push_url: str) -> dict[str, Any]:
    """The DaemonSet release: reads /var/log/pods from the host, read-only."""
    return {
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
        },
        "configReloader": {"resources": _RELOADER_RESOURCES},
    }


def events_values(push_url: str) -> dict[str, Any]:
    """The events release: exactly one replica, so each event is shipped once."""
    return {
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
