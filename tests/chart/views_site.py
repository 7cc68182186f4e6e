"""The front page as a person sees it: sample data, the chart's nginx serving it, headless Chromium.

- ``sample_reports`` / ``sample_findings``: error-log reports and image-scan findings in the shapes
  the two Lambdas write (the report HTML is rendered by ``log_report.render`` itself), with
  hostile and overlong text in them;
- ``sync_from_s3``: puts them in (moto) S3 and runs the chart's views sync over them, as in the cluster;
- ``write_views``: the same files and indexes written directly, for the large benchmark sets;
- ``NginxSite``: the chart's nginx configuration run by a real nginx on a loopback port;
- ``browser``: Debian's Chromium, headless, with a fresh profile, driven by Playwright.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from log_report.render import render_html

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "charts" / "kubeboard" / "files"
# Debian's chromium (scripts/setup installs it); KUBEBOARD_CHROMIUM names another build of Chromium.
CHROMIUM = (
    os.environ.get("KUBEBOARD_CHROMIUM")
    or shutil.which("chromium")
    or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
)
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<script>alert("xss")</script><img src=x onerror="document.title=\'pwned\'">'
LONG_TOKEN = "x" * 3000
NAMESPACES = ("common", "dev", "prod")
REPOSITORIES = ("kubeboard/api", "kubeboard/log-exporter", "kubeboard/web")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED", "UNDEFINED")


def screenshot_dir() -> Path:
    """Where the browser tests put their screenshots (CI keeps out/; README: front page)."""
    folder = Path(os.environ.get("KUBEBOARD_SCREENSHOTS", ROOT / "out" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sync_module() -> ModuleType:
    """charts/kubeboard/files/sync_views.py, the script the CronJob runs, loaded as a module."""
    spec = importlib.util.spec_from_file_location("kubeboard_sync_views", FILES / "sync_views.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up by name while the file runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- sample data -----------------------------------------------------------------------------------

START = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def sample_reports(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` report windows as (key suffix ``<ns>/<YYYY>/<MM>/<DD>/<HHMM>``, report JSON).

    The newest window of ``dev`` carries a signature and a sample holding a script tag and an
    overlong token; error counts are ``7 * (n % 5)`` so some windows have none."""
    reports = []
    for index in range(count):
        namespace = NAMESPACES[index % len(NAMESPACES)]
        start = START - dt.timedelta(minutes=10 * (index // len(NAMESPACES)))
        errors = 7 * (index % 5)
        hostile = index == 1
        signature = (
            f"TypeError: cannot read property {HOSTILE} of undefined {LONG_TOKEN}"
            if hostile
            else f"ERROR payment declined for order <n> (upstream {index % 4})"
        )
        groups = (
            [
                {
                    "namespace": namespace,
                    "app": "checkout" if not hostile else "web<b>bold</b>",
                    "signature": signature,
                    "count": errors,
                    "firstSeen": start.isoformat().replace("+00:00", "Z"),
                    "lastSeen": (start + dt.timedelta(minutes=9)).isoformat().replace("+00:00", "Z"),
                    "sample": signature.replace("<n>", "1234"),
                }
            ]
            if errors
            else []
        )
        report = {
            "source": {
                "bucket": "kubeboard-dev-error-logs-raw",
                "key": f"errors/{namespace}/{start:%Y/%m/%d/%H%M}.jsonl.gz",
            },
            "window": {
                "namespace": namespace,
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": (start + dt.timedelta(minutes=10)).isoformat().replace("+00:00", "Z"),
            },
            "generatedAt": (start + dt.timedelta(minutes=21)).isoformat().replace("+00:00", "Z"),
            "totals": {"lines": errors + 3, "errors": errors, "malformed": index % 2, "groups": len(groups)},
            "malformedReasons": {"not_json": index % 2} if index % 2 else {},
            "namespaces": {namespace: {"errors": errors}},
            "groups": groups,
        }
        reports.append((f"{namespace}/{start:%Y/%m/%d/%H%M}", report))
    return reports


def sample_findings(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` image reports as (key suffix ``<repository>/<digest>``, findings JSON)."""
    images = []
    for index in range(count):
        repository = REPOSITORIES[index % len(REPOSITORIES)]
        digest = f"sha256:{index:064x}"
        findings = []
        for number in range(index % 7 + (3 if index == 0 else 0)):
            severity = SEVERITIES[number % 4]
            findings.append(
                {
                    "id": f"CVE-2026-{1000 + number}",
                    "severity": severity,
                    "title": f"{HOSTILE} overflow in parser {LONG_TOKEN}"
                    if index == 0 and number == 0
                    else "Heap overflow in parser",
                    "description": "A crafted input overflows a buffer.",
                    "uri": f"https://nvd.nist.gov/vuln/detail/CVE-2026-{1000 + number}"
                    if number != 2
                    else "javascript:alert(1)",
                    "package": "openssl",
                    "packageVersion": "3.0.1",
                    "fixedInVersion": "3.0.15" if number % 2 == 0 else None,
                    "score": 9.8 - number,
                }
            )
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in findings:
            counts[finding["severity"]] += 1
        images.append(
            (
                f"{repository}/{digest}",
                {
                    "schemaVersion": 1,
                    "generatedAt": (START - dt.timedelta(minutes=index)).isoformat(),
                    "scanType": "ENHANCED",
                    "registryId": "111122223333",
                    "repository": repository,
                    "imageDigest": digest,
                    "imageTags": [f"1.{index}.0", "release"] if index % 2 else [f"1.{index}.0"],
                    "scanStatus": "ACTIVE",
                    "scanCompletedAt": (START - dt.timedelta(minutes=index)).isoformat(),
                    "severityCounts": counts,
                    "reportedSeverityCounts": {k: v for k, v in counts.items() if v},
                    "findingCount": len(findings),
                    "findings": findings,
                },
            )
        )
    return images


def sample_snapshot() -> dict[str, Any]:
    """A cluster snapshot as the collector writes it, with a hostile and an overlong event message."""
    return {
        "schemaVersion": 1,
        "generatedAt": "2026-05-04T12:00:00Z",
        "cluster": {"version": "v1.36.0-eks-1"},
        "summary": {
            "nodes": 2,
            "readyNodes": 2,
            "workloads": 2,
            "unhealthyWorkloads": 1,
            "warningEvents": 2,
            "pods": 9,
        },
        "nodes": [
            {
                "name": f"ip-10-10-3{n}-1.ec2.internal",
                "ready": True,
                "nodeGroup": "system",
                "capacityType": "ON_DEMAND",
                "instanceType": "t3.large",
                "zone": "ap-northeast-2a",
                "kubeletVersion": "v1.36.0",
            }
            for n in range(2)
        ],
        "workloads": [
            {
                "kind": "Deployment",
                "namespace": "common",
                "name": "kubeboard-web",
                "desired": 2,
                "ready": 2,
                "healthy": True,
                "images": ["nginx"],
            },
            {
                "kind": "Deployment",
                "namespace": "dev",
                "name": "api",
                "desired": 2,
                "ready": 1,
                "healthy": False,
                "images": ["api:1.0"],
            },
        ],
        "events": [
            {
                "lastSeen": "2026-05-04T11:59:00Z",
                "namespace": "dev",
                "object": "Pod/api-1",
                "reason": "BackOff",
                "count": 3,
                "message": HOSTILE,
            },
            {
                "lastSeen": "2026-05-04T11:58:00Z",
                "namespace": "dev",
                "object": "Pod/api-2",
                "reason": "Failed",
                "count": 1,
                "message": LONG_TOKEN,
            },
        ],
        "eventsWindowMinutes": 60,
    }


RAW_HOSTILE_HTML = (
    "<!DOCTYPE html><html><head><title>raw</title></head><body><p id=marker>raw report</p>"
    "<script>document.body.setAttribute('data-ran','1');parent.document.title='pwned';</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-ran','2')\"></body></html>"
)
"""A report that is NOT escaped (as if someone else wrote to the bucket): it must stay inert too."""


# --- views on disk ---------------------------------------------------------------------------------


def sync_from_s3(views_dir: Path, reports: int, images: int, *, raw_hostile: bool = True) -> dict[str, Any]:
    """The samples in moto S3, copied by the chart's own sync script: what the CronJob does."""
    import boto3
    from moto import mock_aws

    sync = sync_module()
    with mock_aws():
        s3 = boto3.client("s3", region_name="ap-northeast-2")
        config = {"CreateBucketConfiguration": {"LocationConstraint": "ap-northeast-2"}}
        s3.create_bucket(Bucket="reports", **config)
        s3.create_bucket(Bucket="findings", **config)
        for index, (suffix, report) in enumerate(sample_reports(reports)):
            s3.put_object(Bucket="reports", Key=f"reports/{suffix}.json", Body=json.dumps(report).encode())
            # The newest report of common is replaced by unescaped HTML with scripts in it.
            html = RAW_HOSTILE_HTML if raw_hostile and index == 0 else render_html(report)
            s3.put_object(Bucket="reports", Key=f"reports/{suffix}.html", Body=html.encode())
        for suffix, finding in sample_findings(images):
            s3.put_object(
                Bucket="findings", Key=f"scan-findings/{suffix}.json", Body=json.dumps(finding).encode()
            )
            # The alert ledger beside the reports is not an image.
            s3.put_object(Bucket="findings", Key=f"scan-findings/{suffix}.alerts/{'0' * 64}.json", Body=b"{}")
        env = {"VIEWS_DIR": str(views_dir), "REPORTS_BUCKET": "reports", "FINDINGS_BUCKET": "findings"}
        result: dict[str, Any] = sync.Syncer(s3, sync.Config.from_env(env), now=START).run()
    return result


def write_views(views_dir: Path, reports: int, images: int) -> None:
    """The files and indexes the sync writes, built from the samples without S3 (large sets)."""
    sync = sync_module()
    summaries = []
    for suffix, report in sample_reports(reports):
        namespace, start = suffix.split("/", 1)
        window = sync.ReportWindow(namespace, start, {"json": {}, "html": {}})
        for kind, body in (("json", json.dumps(report)), ("html", render_html(report))):
            target = views_dir / "reports" / "files" / f"{suffix}.{kind}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        summaries.append(sync.report_summary(window, report))
    summaries.sort(key=lambda r: (r["start"], r["namespace"]), reverse=True)
    sync.write_json(
        views_dir / "reports" / "index.json",
        {
            "schemaVersion": 1,
            "generatedAt": "2026-05-04T12:30:00Z",
            "configured": True,
            "windowsInBucket": reports,
            "reports": summaries,
            "namespaces": sync.namespace_summaries(summaries),
        },
    )
    image_summaries = []
    for suffix, finding in sample_findings(images):
        repository, digest = suffix.rsplit("/", 1)
        target = views_dir / "images" / "files" / repository / f"{digest.replace(':', '-')}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(finding), encoding="utf-8")
        image_summaries.append(sync.image_summary(repository, digest, finding, 10))
    sync.write_json(
        views_dir / "images" / "index.json",
        {
            "schemaVersion": 1,
            "generatedAt": "2026-05-04T12:30:00Z",
            "configured": True,
            "imagesInBucket": images,
            "images": image_summaries,
            "repositories": sync.repository_summaries(image_summaries),
        },
    )


# --- nginx and the browser -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chart_nginx_conf(
    logging_url: str = "/grafana/d/kubeboard-error-logs",
    infra_url: str = "/grafana/d/kubeboard-infrastructure",
) -> str:
    """files/nginx.conf with its two template values filled (what the chart's tpl renders)."""
    conf = (FILES / "nginx.conf").read_text(encoding="utf-8")
    return conf.replace("{{ .Values.frontPage.grafana.loggingUrl }}", logging_url).replace(
        "{{ .Values.frontPage.grafana.infraUrl }}", infra_url
    )


def chart_site_files(title: str = "Kubeboard (dev)") -> dict[str, str]:
    files = {
        name: (FILES / name).read_text(encoding="utf-8") for name in ("index.html", "app.js", "style.css")
    }
    files["config.json"] = json.dumps({"title": title, "links": []})
    return files


class NginxSite:
    """The chart's nginx.conf on 127.0.0.1:<port>; only the container paths are moved to a temp dir."""

    def __init__(self, conf: str, site_files: dict[str, str], data_dir: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kubeboard-site-"))
        site, scratch = self.root / "site", self.root / "tmp"
        site.mkdir()
        scratch.mkdir()
        for name, content in site_files.items():
            (site / name).write_text(content, encoding="utf-8")
        self.port = free_port()
        conf = (
            conf.replace("/tmp/", f"{scratch}/")
            .replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
            .replace("/usr/share/kubeboard/site/", f"{site}/")
            .replace("/data/", f"{data_dir}/")
            .replace("access_log /dev/stdout combined;", "access_log off;")
        )
        if os.geteuid() == 0:  # in the cluster it runs as UID 10001; here workers must read the temp dirs
            conf = "user root;\n" + conf
        (self.root / "nginx.conf").write_text(conf, encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cluster-info/"

    def __enter__(self) -> NginxSite:
        assert NGINX is not None
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(self.root / "nginx.conf")], capture_output=True, text=True, check=False
        )
        if checked.returncode != 0:
            raise RuntimeError(checked.stderr)
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.root / "nginx.conf")], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def browser(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A Playwright browser context on Debian's Chromium, headless, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="kubeboard-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": width, "height": height},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
