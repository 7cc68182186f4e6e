"""Kubeboard cluster-info collector.

Reads nodes, workloads and recent warning events from the Kubernetes API with the pod's
read-only ServiceAccount and writes one JSON snapshot for the front page. Standard library
only, so it runs on a stock, pinned Python image with a read-only root filesystem.

Environment:
  SNAPSHOT_PATH          where the snapshot goes (default /data/snapshot.json)
  EVENTS_WINDOW_MINUTES  warning events newer than this are kept (default 60)
  MAX_EVENTS             at most this many events, newest first (default 200)
  API_SERVER             API base URL (default: the in-cluster service address)
  SERVICE_ACCOUNT_DIR    where the token and CA are mounted (default: the in-cluster path)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PAGE_SIZE = 500
MESSAGE_LIMIT = 500
TIMEOUT_SECONDS = 20


class CollectorError(Exception):
    """A failure worth one clear line in the job's log."""


class ApiClient:
    """The handful of read-only GETs the snapshot needs, with pagination."""

    def __init__(self, base_url: str, token: str, ca_file: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.context = ssl.create_default_context(cafile=ca_file) if base_url.startswith("https") else None

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        if params:
            url = f"{url}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as err:
            raise CollectorError(f"GET {path}: HTTP {err.code} {err.reason}") from err
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as err:
            raise CollectorError(f"GET {path}: {err}") from err

    def list_all(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query = {**(params or {}), "limit": str(PAGE_SIZE)}
        while True:
            page = self.get(path, query)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query = {**query, "continue": token}


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def node_summary(node: dict[str, Any]) -> dict[str, Any]:
    meta, status = node.get("metadata", {}), node.get("status", {})
    labels = meta.get("labels") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    return {
        "name": meta.get("name"),
        "ready": ready.get("status") == "True",
        "nodeGroup": labels.get("eks.amazonaws.com/nodegroup"),
        "capacityType": labels.get("eks.amazonaws.com/capacityType"),
        "instanceType": labels.get("node.kubernetes.io/instance-type"),
        "zone": labels.get("topology.kubernetes.io/zone"),
        "kubeletVersion": (status.get("nodeInfo") or {}).get("kubeletVersion"),
        "allocatable": {
            k: v for k, v in (status.get("allocatable") or {}).items() if k in ("cpu", "memory", "pods")
        },
        "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
        "createdAt": meta.get("creationTimestamp"),
    }


def _images(template: dict[str, Any]) -> list[str]:
    containers = ((template.get("spec") or {}).get("containers")) or []
    return sorted({c.get("image", "") for c in containers})


def workload_summary(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta, spec, status = obj.get("metadata", {}), obj.get("spec") or {}, obj.get("status") or {}
    summary: dict[str, Any] = {"kind": kind, "namespace": meta.get("namespace"), "name": meta.get("name")}
    if kind == "DaemonSet":
        desired, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    elif kind == "CronJob":
        summary.update(
            schedule=spec.get("schedule"),
            suspended=bool(spec.get("suspend")),
            lastScheduleTime=status.get("lastScheduleTime"),
            lastSuccessfulTime=status.get("lastSuccessfulTime"),
            images=_images((spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}),
        )
        summary["healthy"] = not summary["suspended"]
        return summary
    else:
        desired, ready = spec.get("replicas", 1), status.get("readyReplicas", 0)
    summary.update(
        desired=desired, ready=ready, healthy=ready >= desired, images=_images(spec.get("template") or {})
    )
    return summary


def event_summary(event: dict[str, Any]) -> dict[str, Any]:
    meta, involved = event.get("metadata", {}), event.get("involvedObject") or {}
    last_seen = (
        event.get("lastTimestamp")
        or (event.get("series") or {}).get("lastObservedTime")
        or event.get("eventTime")
        or meta.get("creationTimestamp")
    )
    message = (event.get("message") or "").strip()
    return {
        "namespace": meta.get("namespace") or involved.get("namespace"),
        "object": f"{involved.get('kind', '?')}/{involved.get('name', '?')}",
        "reason": event.get("reason"),
        "message": message[:MESSAGE_LIMIT],
        "count": event.get("count") or (event.get("series") or {}).get("count") or 1,
        "lastSeen": last_seen,
    }


def recent_warnings(
    events: list[dict[str, Any]], now: dt.datetime, window_minutes: int, limit: int
) -> list[dict[str, Any]]:
    since = now - dt.timedelta(minutes=window_minutes)
    summaries = [event_summary(e) for e in events if e.get("type") == "Warning"]
    recent = [s for s in summaries if (seen := parse_time(s["lastSeen"])) is not None and seen >= since]
    recent.sort(key=lambda s: s["lastSeen"], reverse=True)
    return recent[:limit]


def pod_phases(pods: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    phases: dict[str, dict[str, int]] = {}
    for pod in pods:
        namespace = pod.get("metadata", {}).get("namespace", "")
        phase = (pod.get("status") or {}).get("phase", "Unknown")
        per_ns = phases.setdefault(namespace, {})
        per_ns[phase] = per_ns.get(phase, 0) + 1
    return dict(sorted(phases.items()))


WORKLOAD_PATHS = {
    "Deployment": "/apis/apps/v1/deployments",
    "StatefulSet": "/apis/apps/v1/statefulsets",
    "DaemonSet": "/apis/apps/v1/daemonsets",
    "CronJob": "/apis/batch/v1/cronjobs",
}


def build_snapshot(
    client: ApiClient, now: dt.datetime, window_minutes: int, max_events: int
) -> dict[str, Any]:
    version = client.get("/version")
    nodes = [node_summary(n) for n in client.list_all("/api/v1/nodes")]
    workloads = [
        workload_summary(kind, obj) for kind, path in WORKLOAD_PATHS.items() for obj in client.list_all(path)
    ]
    workloads.sort(key=lambda w: (w["namespace"] or "", w["kind"], w["name"] or ""))
    events = recent_warnings(
        client.list_all("/api/v1/events", {"fieldSelector": "type=Warning"}), now, window_minutes, max_events
    )
    pods = pod_phases(client.list_all("/api/v1/pods"))
    return {
        "schemaVersion": 1,
        "generatedAt": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "cluster": {"version": version.get("gitVersion")},
        "summary": {
            "nodes": len(nodes),
            "readyNodes": sum(1 for n in nodes if n["ready"]),
            "workloads": len(workloads),
            "unhealthyWorkloads": sum(1 for w in workloads if not w["healthy"]),
            "warningEvents": len(events),
            "pods": sum(sum(p.values()) for p in pods.values()),
        },
        "nodes": sorted(nodes, key=lambda n: n["name"] or ""),
        "workloads": workloads,
        "podPhases": pods,
        "events": events,
        "eventsWindowMinutes": window_minutes,
    }


def write_atomically(path: Path, snapshot: dict[str, Any]) -> None:
    """Readers (the front page, over NFS) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(snapshot, handle, separators=(",", ":"), sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def client_from_environment() -> ApiClient:
    sa_dir = Path(os.environ.get("SERVICE_ACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount"))
    base = os.environ.get("API_SERVER")
    if not base:
        host, port = (
            os.environ.get("KUBERNETES_SERVICE_HOST"),
            os.environ.get("KUBERNETES_SERVICE_PORT", "443"),
        )
        if not host:
            raise CollectorError("not in a cluster: set API_SERVER or KUBERNETES_SERVICE_HOST")
        base = f"https://{host}:{port}"
    try:
        token = (sa_dir / "token").read_text(encoding="utf-8").strip()
    except OSError as err:
        raise CollectorError(f"cannot read the ServiceAccount token: {err}") from err
    ca_file = sa_dir / "ca.crt"
    return ApiClient(base, token, str(ca_file) if ca_file.exists() else None)


def positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise CollectorError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def main() -> int:
    try:
        window = positive_int("EVENTS_WINDOW_MINUTES", 60)
        limit = positive_int("MAX_EVENTS", 200)
        target = Path(os.environ.get("SNAPSHOT_PATH", "/data/snapshot.json"))
        snapshot = build_snapshot(client_from_environment(), dt.datetime.now(dt.UTC), window, limit)
        write_atomically(target, snapshot)
    except (CollectorError, OSError) as err:
        print(f"kubeboard-collector: {err}", file=sys.stderr)
        return 1
    summary = snapshot["summary"]
    print(f"kubeboard-collector: wrote {target}: {json.dumps(summary, sort_keys=True)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
