"""A loopback stand-in for the Kubernetes API, enough for Helm to install a chart offline.

Helm has no offline `template` in helm-sdkpy, but `Install(...).run(wait=False)` against this stub
renders the chart with the real engine (schema validation, templates, ordering) and returns the
manifest. The stub answers version and discovery, lists (empty unless seeded), 404 for single
objects, and accepts creates, recording them for assertions. It also serves seeded lists, so the
collector script can be run against it.

A `stateful` stub behaves like an empty cluster that keeps what it is given, so several releases
can be installed one after another: created objects are stored and served back (by name, in lists
filtered by label and field selectors, and as watch events), a created CustomResourceDefinition is
Established and its kind joins discovery (a later chart may use it), and hook Jobs and Pods report
success at once, which is what Helm waits for before it goes on.
"""

from __future__ import annotations

import json
import threading
import time
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

# (group, version) -> [(plural, kind, namespaced)]: the built-in APIs charts and Helm's storage use.
RESOURCES: dict[tuple[str, str], list[tuple[str, str, bool]]] = {
    ("", "v1"): [
        ("namespaces", "Namespace", False),
        ("nodes", "Node", False),
        ("persistentvolumes", "PersistentVolume", False),
        ("pods", "Pod", True),
        ("events", "Event", True),
        ("secrets", "Secret", True),
        ("configmaps", "ConfigMap", True),
        ("services", "Service", True),
        ("endpoints", "Endpoints", True),
        ("serviceaccounts", "ServiceAccount", True),
        ("persistentvolumeclaims", "PersistentVolumeClaim", True),
        ("resourcequotas", "ResourceQuota", True),
        ("limitranges", "LimitRange", True),
    ],
    ("apps", "v1"): [
        ("deployments", "Deployment", True),
        ("statefulsets", "StatefulSet", True),
        ("daemonsets", "DaemonSet", True),
        ("replicasets", "ReplicaSet", True),
        ("controllerrevisions", "ControllerRevision", True),
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
    ("apiextensions.k8s.io", "v1"): [("customresourcedefinitions", "CustomResourceDefinition", False)],
    ("apiregistration.k8s.io", "v1"): [("apiservices", "APIService", False)],
    ("admissionregistration.k8s.io", "v1"): [
        ("mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
        ("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False),
        ("validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
        ("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False),
    ],
    ("storage.k8s.io", "v1"): [
        ("storageclasses", "StorageClass", False),
        ("csidrivers", "CSIDriver", False),
    ],
    ("scheduling.k8s.io", "v1"): [("priorityclasses", "PriorityClass", False)],
    ("coordination.k8s.io", "v1"): [("leases", "Lease", True)],
    ("discovery.k8s.io", "v1"): [("endpointslices", "EndpointSlice", True)],
    # The LB controller's CRD, served without a CRD for the platform chart's own render (in a
    # stateful stub the controller's chart installs it like any CRD).
    ("elbv2.k8s.aws", "v1beta1"): [("ingressclassparams", "IngressClassParams", False)],
    # Argo Rollouts' CRDs, likewise: the front page's Rollout and its analysis templates.
    ("argoproj.io", "v1alpha1"): [
        ("rollouts", "Rollout", True),
        ("analysistemplates", "AnalysisTemplate", True),
    ],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
# How long a watch stays open before the stub ends it (the client then lists again).
WATCH_SECONDS = 0.5


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


ObjectKey = tuple[str, str, str, str]
"""(group, plural, namespace or "", name)"""


@dataclass
class ApiStub:
    """Seed `lists[(group, plural)]` with items to serve them; `created` records every create."""

    lists: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    stateful: bool = False
    """Keep created objects and serve them back, like an empty cluster (see the module docstring)."""
    version: dict[str, str] = field(default_factory=lambda: dict(KUBERNETES_VERSION))
    objects: dict[ObjectKey, dict[str, Any]] = field(default_factory=dict)
    """What a stateful stub holds, by (group, plural, namespace, name)."""
    custom: dict[tuple[str, str], list[tuple[str, str, bool]]] = field(default_factory=dict)
    """API resources served by created CustomResourceDefinitions, as in `RESOURCES`."""
    lock: threading.Lock = field(default_factory=threading.Lock)

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

    def with_version(self, minor: str) -> ApiStub:
        """Report Kubernetes `1.<minor>` (e.g. the plan's cluster version) from `/version`."""
        self.version = {**KUBERNETES_VERSION, "minor": minor, "gitVersion": f"v1.{minor}.0-eks-stub"}
        return self

    def resources(self) -> dict[tuple[str, str], list[tuple[str, str, bool]]]:
        merged = {key: list(value) for key, value in RESOURCES.items()}
        for key, value in self.custom.items():
            served = merged.setdefault(key, [])
            served.extend(entry for entry in value if entry not in served)
        return merged

    def crds(self) -> list[dict[str, Any]]:
        """The CustomResourceDefinitions created so far."""
        return [
            o
            for (g, p, _, _), o in self.objects.items()
            if (g, p) == ("apiextensions.k8s.io", "customresourcedefinitions")
        ]

    def store(self, group: str, plural: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("metadata", {}).get("name")
        if not name:
            return body
        if namespace and _namespaced(self, group, plural):
            body["metadata"].setdefault("namespace", namespace)
        body = _settled(body)
        with self.lock:
            self.objects[(group, plural, namespace, name)] = body
            if (group, plural) == ("apiextensions.k8s.io", "customresourcedefinitions"):
                _register_crd(self, body)
        return body


def _namespaced(stub: ApiStub, group: str, plural: str) -> bool:
    for (g, _), resources in stub.resources().items():
        for name, _, namespaced in resources:
            if g == group and name == plural:
                return namespaced
    return True


def _register_crd(stub: ApiStub, crd: dict[str, Any]) -> None:
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        entry = (names["plural"], names["kind"], spec.get("scope") == "Namespaced")
        served = stub.custom.setdefault((spec["group"], version["name"]), [])
        if entry not in served:
            served.append(entry)


def _settled(body: dict[str, Any]) -> dict[str, Any]:
    """The object as a healthy cluster would report it soon after: what Helm waits for."""
    kind = body.get("kind")
    if kind == "CustomResourceDefinition":
        body["status"] = {
            "conditions": [
                {"type": "NamesAccepted", "status": "True"},
                {"type": "Established", "status": "True"},
            ],
            "acceptedNames": body.get("spec", {}).get("names", {}),
            "storedVersions": [
                v["name"] for v in body.get("spec", {}).get("versions", []) if v.get("storage")
            ],
        }
    elif kind == "Job":
        completions = body.get("spec", {}).get("completions") or 1
        body["status"] = {
            "succeeded": completions,
            "startTime": "2026-11-01T00:00:00Z",
            "completionTime": "2026-11-01T00:00:05Z",
            "conditions": [
                {"type": "SuccessCriteriaMet", "status": "True"},
                {"type": "Complete", "status": "True"},
            ],
        }
    elif kind == "Pod":
        body["status"] = {"phase": "Succeeded"}
    return body


def _discovery(stub: ApiStub, path: str) -> dict[str, Any] | None:
    resources = stub.resources()
    if path == "/version":
        return stub.version
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }
    if path == "/apis":
        by_group: dict[str, list[str]] = {}
        for group, version in resources:
            if group:
                by_group.setdefault(group, []).append(version)
        groups = [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            for group, versions in by_group.items()
        ]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    for (group, version), served in resources.items():
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
                    for plural, kind, namespaced in served
                ],
            }
    return None


@dataclass(frozen=True)
class Target:
    group: str
    version: str
    plural: str
    namespace: str
    name: str | None


def _resource_path(path: str) -> Target | None:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    return Target(group, version, rest[0], namespace, rest[1] if len(rest) > 1 else None)


def _kind(stub: ApiStub, group: str, version: str, plural: str) -> str:
    for name, kind, _ in stub.resources().get((group, version), []):
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


def _selected(item: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """Equality-based label and field selectors (`a=b,c!=d`, `metadata.name=x`, `type=y`)."""
    labels = item.get("metadata", {}).get("labels") or {}
    for term in filter(None, query.get("labelSelector", [""])[0].split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    for term in filter(None, query.get("fieldSelector", [""])[0].split(",")):
        key, value = term.replace("==", "=").split("=", 1)
        node: Any = item
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node != value:
            return False
    return True


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

        def _body(self, target: Target | None) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if "json" in (self.headers.get("Content-Type") or "") and raw:
                return json.loads(raw)
            # Helm stores its release record as protobuf; the stub only needs to accept it.
            if target is None:
                return {}
            return {
                "kind": _kind(stub, target.group, target.version, target.plural),
                "apiVersion": _group_version(target.group, target.version),
            }

        def _items(self, target: Target, query: dict[str, list[str]]) -> list[dict[str, Any]]:
            items = list(stub.lists.get((target.group, target.plural), []))
            with stub.lock:
                items += [
                    o
                    for (g, p, ns, _), o in stub.objects.items()
                    if (g, p) == (target.group, target.plural) and target.namespace in ("", ns)
                ]
            return [i for i in items if _selected(i, query)]

        def _watch(self, target: Target, query: dict[str, list[str]]) -> None:
            """Each matching object as an ADDED event, then an idle stream the stub ends itself.

            HTTP/1.0: the stream has no length and ends when the stub closes the connection.
            """
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for item in self._items(target, query):
                    self.wfile.write(json.dumps({"type": "ADDED", "object": item}).encode() + b"\n")
                if query.get("sendInitialEvents", [""])[0] == "true":
                    # A streaming list (client-go's WatchList) ends its initial events with a bookmark.
                    bookmark = {
                        "kind": _kind(stub, target.group, target.version, target.plural),
                        "apiVersion": _group_version(target.group, target.version),
                        "metadata": {
                            "resourceVersion": "1",
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    }
                    self.wfile.write(json.dumps({"type": "BOOKMARK", "object": bookmark}).encode() + b"\n")
                self.wfile.flush()
                deadline = time.monotonic() + min(
                    WATCH_SECONDS, float(query.get("timeoutSeconds", [WATCH_SECONDS])[0])
                )
                while time.monotonic() < deadline and not getattr(self.server, "stopping", False):
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                return

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            stub.requests.append(("GET", url.path))
            if url.path == "/openapi/v2":
                # Helm validates hook objects client-side (kubectl's validator) before it creates them.
                # An empty protobuf document is a valid OpenAPI v2 with no schemas: kinds it does not
                # describe are not validated here (the tests validate every object themselves).
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = _discovery(stub, url.path)
            if found is not None:
                self._send(200, found)
                return
            target = _resource_path(url.path)
            if target is None:
                self._send(404, _status(404, "NotFound", f"the server could not find {url.path}"))
                return
            query = parse_qs(url.query)
            if target.name is not None:
                key = (target.group, target.plural, target.namespace, target.name)
                with stub.lock:
                    stored = stub.objects.get(key)
                if stored is None:
                    self._send(404, _status(404, "NotFound", f'{target.plural} "{target.name}" not found'))
                else:
                    self._send(200, stored)
                return
            if query.get("watch", [""])[0] in ("true", "1"):
                self._watch(target, query)
                return
            self._send(
                200,
                {
                    "kind": f"{_kind(stub, target.group, target.version, target.plural)}List",
                    "apiVersion": _group_version(target.group, target.version),
                    "metadata": {"resourceVersion": "1"},
                    "items": self._items(target, query),
                },
            )

        def do_POST(self) -> None:
            stub.requests.append(("POST", urlsplit(self.path).path))
            target = _resource_path(urlsplit(self.path).path)
            body = self._body(target)
            body.setdefault("metadata", {}).update(
                uid=f"uid-{len(stub.created)}", resourceVersion="1", creationTimestamp="2026-11-01T00:00:00Z"
            )
            stub.created.append(body)
            if stub.stateful and target is not None:
                name = body["metadata"].get("name")
                key = (target.group, target.plural, target.namespace, name or "")
                if name and key in stub.objects:
                    self._send(409, _status(409, "AlreadyExists", f'{target.plural} "{name}" already exists'))
                    return
                body = stub.store(target.group, target.plural, target.namespace, body)
            self._send(201, body)

        def do_PUT(self) -> None:
            stub.requests.append(("PUT", urlsplit(self.path).path))
            target = _resource_path(urlsplit(self.path).path)
            body = self._body(target)
            if stub.stateful and target is not None and body.get("metadata", {}).get("name"):
                body = stub.store(target.group, target.plural, target.namespace, body)
            self._send(200, body)

        def do_PATCH(self) -> None:
            stub.requests.append(("PATCH", urlsplit(self.path).path))
            target = _resource_path(urlsplit(self.path).path)
            body = self._body(target)
            if stub.stateful and target is not None and target.name is not None:
                key = (target.group, target.plural, target.namespace, target.name)
                with stub.lock:
                    stored = stub.objects.get(key)
                if stored is not None:
                    self._send(200, stored)
                    return
            self._send(200, body)

        def do_DELETE(self) -> None:
            stub.requests.append(("DELETE", urlsplit(self.path).path))
            target = _resource_path(urlsplit(self.path).path)
            if stub.stateful and target is not None and target.name is not None:
                with stub.lock:
                    stub.objects.pop((target.group, target.plural, target.namespace, target.name), None)
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
        server.stopping = True  # type: ignore[attr-defined]  # ends open watches
        server.shutdown()
        server.server_close()
