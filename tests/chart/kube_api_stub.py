"""A loopback stand-in for the Kubernetes API, enough for Helm to install a chart offline.

Helm has no offline `template` in helm-sdkpy, but `Install(...).run(wait=False)` against this stub
renders the chart with the real engine (schema validation, templates, ordering) and returns the
manifest. The stub answers version and discovery, lists (empty unless seeded), 404 for single
objects, and accepts creates, recording them for assertions. It also serves seeded lists, so the
collector script can be run against it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

KUBERNETES_VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.5-eks-3025e55",
    "platform": "linux/amd64",
}

# (group, version) -> [(plural, kind, namespaced)]: what the chart and Helm's own storage use.
RESOURCES: dict[tuple[str, str], list[tuple[str, str, bool]]] = {
    ("", "v1"): [
        ("namespaces", "Namespace", False),
        ("nodes", "Node", False),
        ("pods", "Pod", True),
        ("events", "Event", True),
        ("secrets", "Secret", True),
        ("configmaps", "ConfigMap", True),
        ("services", "Service", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("persistentvolumeclaims", "PersistentVolumeClaim", True),
        ("resourcequotas", "ResourceQuota", True),
        ("limitranges", "LimitRange", True),
    ],
    ("apps", "v1"): [
        ("deployments", "Deployment", True),
        ("statefulsets", "StatefulSet", True),
        ("daemonsets", "DaemonSet", True),
    ],
    ("batch", "v1"): [("cronjobs", "CronJob", True), ("jobs", "Job", True)],
    ("autoscaling", "v2"): [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True)],
    ("policy", "v1"): [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    ("networking.k8s.io", "v1"): [
        ("networkpolicies", "NetworkPolicy", True),
        ("ingresses", "Ingress", True),
        ("ingressclasses", "IngressClass", False),
    ],
    ("rbac.authorization.k8s.io", "v1"): [
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False),
        ("roles", "Role", True),
        ("rolebindings", "RoleBinding", True),
    ],
    ("admissionregistration.k8s.io", "v1"): [
        ("validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
        ("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False),
    ],
    # The LB controller's CRD (installed by its chart before the platform chart syncs).
    ("elbv2.k8s.aws", "v1beta1"): [("ingressclassparams", "IngressClassParams", False)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


@dataclass
class ApiStub:
    """Seed `lists[(group, plural)]` with items to serve them; `created` records every create."""

    lists: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def kubeconfig(self, path: Path, namespace: str = "default") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "stub", "cluster": {"server": self.url}}],
            "users": [{"name": "stub", "user": {"token": "stub-token"}}],
            "contexts": [
                {"name": "stub", "context": {"cluster": "stub", "user": "stub", "namespace": namespace}}
            ],
            "current-context": "stub",
        }
        path.write_text(json.dumps(config), encoding="utf-8")
        return path


def _discovery(path: str) -> dict[str, Any] | None:
    if path == "/version":
        return KUBERNETES_VERSION
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }
    if path == "/apis":
        groups = [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{version}", "version": version}],
                "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version},
            }
            for group, version in RESOURCES
            if group
        ]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    for (group, version), resources in RESOURCES.items():
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        if path == prefix:
            return {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": _group_version(group, version),
                "resources": [
                    {
                        "name": plural,
                        "singularName": kind.lower(),
                        "namespaced": namespaced,
                        "kind": kind,
                        "verbs": VERBS,
                    }
                    for plural, kind, namespaced in resources
                ],
            }
    return None


def _resource_path(path: str) -> tuple[str, str, str, str | None] | None:
    """(group, version, plural, name) of a resource URL, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    return group, version, rest[0], rest[1] if len(rest) > 1 else None


def _kind(group: str, version: str, plural: str) -> str:
    for name, kind, _ in RESOURCES.get((group, version), []):
        if name == plural:
            return kind
    return "Unknown"


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _handler(stub: ApiStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # keep test output quiet
            return

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if "json" in (self.headers.get("Content-Type") or "") and raw:
                return json.loads(raw)
            # Helm stores its release record as protobuf; the stub only needs to accept it.
            target = _resource_path(urlsplit(self.path).path)
            if target is None:
                return {}
            group, version, plural, _ = target
            return {"kind": _kind(group, version, plural), "apiVersion": _group_version(group, version)}

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            stub.requests.append(("GET", url.path))
            found = _discovery(url.path)
            if found is not None:
                self._send(200, found)
                return
            target = _resource_path(url.path)
            if target is None:
                self._send(404, _status(404, "NotFound", f"the server could not find {url.path}"))
                return
            group, version, plural, name = target
            if name is not None:
                self._send(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
                return
            items = stub.lists.get((group, plural), [])
            selector = parse_qs(url.query).get("fieldSelector", [""])[0]
            if selector.startswith("type="):
                items = [i for i in items if i.get("type") == selector.removeprefix("type=")]
            self._send(
                200,
                {
                    "kind": f"{_kind(group, version, plural)}List",
                    "apiVersion": _group_version(group, version),
                    "metadata": {"resourceVersion": "1"},
                    "items": items,
                },
            )

        def do_POST(self) -> None:
            stub.requests.append(("POST", urlsplit(self.path).path))
            body = self._body()
            body.setdefault("metadata", {}).update(
                uid=f"uid-{len(stub.created)}", resourceVersion="1", creationTimestamp="2026-11-01T00:00:00Z"
            )
            stub.created.append(body)
            self._send(201, body)

        def do_PUT(self) -> None:
            stub.requests.append(("PUT", urlsplit(self.path).path))
            self._send(200, self._body())

        do_PATCH = do_PUT

        def do_DELETE(self) -> None:
            stub.requests.append(("DELETE", urlsplit(self.path).path))
            self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})

    return Handler


@contextmanager
def running_stub(stub: ApiStub | None = None) -> Iterator[ApiStub]:
    """Serve `stub` on 127.0.0.1 at an ephemeral port for the duration of the block."""
    stub = stub or ApiStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="kube-api-stub", daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
