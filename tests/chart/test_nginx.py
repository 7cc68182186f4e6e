"""The front page's nginx configuration, as rendered, run by a real nginx: it serves the page and
the snapshot, redirects /logging and /infra to Grafana, and sends its security headers."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeboard_infra.observability import alloy
from tests.chart.chart_render import Rendered, stack_values

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian package nginx-light)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(
    rendered_stacks: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path]]:
    """nginx with the dev stack's rendered config; only container paths are moved into a temp dir,
    and the access log (stdout in the pod, where Alloy reads it) into a file."""
    root = tmp_path_factory.mktemp("nginx")
    site, data, scratch = root / "site", root / "data", root / "tmp"
    for folder in (site, data, scratch):
        folder.mkdir()
    rendered = rendered_stacks["dev"]
    for name, content in rendered.one("ConfigMap", "kubeboard-web-site")["data"].items():
        (site / name).write_text(content, encoding="utf-8")
    (data / "snapshot.json").write_text(json.dumps({"summary": {"nodes": 2}}), encoding="utf-8")
    port = free_port()
    conf = rendered.one("ConfigMap", "kubeboard-web-nginx")["data"]["nginx.conf"]
    conf = (
        conf.replace("/tmp/", f"{scratch}/")  # first: the other temp paths live under /tmp too
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
        .replace("/usr/share/kubeboard/site/", f"{site}/")
        .replace("/data/snapshot.json", f"{data}/snapshot.json")
        .replace("access_log /dev/stdout combined;", f"access_log {root}/access.log combined;")
    )
    if os.geteuid() == 0:  # in the cluster it runs as UID 10001; here workers must read the temp dir
        conf = "user root;\n" + conf
    (root / "nginx.conf").write_text(conf, encoding="utf-8")
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(root / "nginx.conf")], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([NGINX, "-c", str(root / "nginx.conf")], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, root / "access.log"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(served: tuple[int, Path]) -> int:
    return served[0]


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def test_page_and_snapshot_are_served(server: int) -> None:
    page = get(server, "/cluster-info/")
    assert page.status == 200
    assert page.getheader("Content-Type", "").startswith("text/html")
    snapshot = get(server, "/cluster-info/snapshot.json")
    assert snapshot.status == 200
    assert snapshot.getheader("Content-Type") == "application/json"
    assert "no-cache" in snapshot.getheader("Cache-Control", "")
    assert get(server, "/cluster-info/app.js").status == 200


def test_bare_path_redirects_relatively(server: int) -> None:
    response = get(server, "/cluster-info")
    assert response.status == 301
    # Relative, so the browser stays on the ALB's https origin.
    assert response.getheader("Location") == "/cluster-info/"


@pytest.mark.parametrize(("path", "key"), [("/logging", "loggingUrl"), ("/infra", "infraUrl")])
def test_logging_and_infra_redirect_to_grafana(server: int, path: str, key: str) -> None:
    response = get(server, path)
    assert response.status == 302
    assert response.getheader("Location") == stack_values("dev")["frontPage"]["grafana"][key]


def test_health_and_unknown_paths(server: int) -> None:
    assert get(server, "/healthz").status == 200
    assert get(server, "/").status == 404
    assert get(server, "/cluster-info/../../etc/passwd").status in (400, 404)


def test_security_headers(server: int) -> None:
    response = get(server, "/cluster-info/")
    assert "default-src 'self'" in response.getheader("Content-Security-Policy", "")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "nginx/" not in response.getheader("Server", "")


def test_alloy_reads_the_status_of_every_request_but_the_health_checks(served: tuple[int, Path]) -> None:
    """The access log the real nginx writes, read with the pipeline's own regex: what the rollout
    analysis counts (kubeboard_web_requests_total by status)."""
    port, log = served
    marker = f"/status-check-{time.monotonic_ns()}"
    assert get(port, marker).status == 404
    assert get(port, "/healthz").status == 200
    assert get(port, f"/cluster-info/?{marker}").status == 200
    config = alloy.pod_logs_config("http://loki:3100/loki/api/v1/push")
    [expression] = re.findall(r"expression = `([^`]+)`", config)
    deadline = time.monotonic() + 5
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if marker in line]
        if len(lines) == 2:
            break
        time.sleep(0.05)
    statuses = [match["status"] for line in lines if (match := re.match(expression, line))]
    assert statuses == ["404", "200"]
    # Health checks (ALB, kubelet) are not logged: they never dilute the success rate.
    assert not [line for line in log.read_text(encoding="utf-8").splitlines() if "/healthz" in line]
