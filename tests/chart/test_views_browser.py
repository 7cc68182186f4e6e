"""The front page in a real browser (issue 18): Debian's Chromium, headless, driven by Playwright,
against the chart's nginx serving sample data that the chart's own sync script copied from (moto)
S3. What a person sees: the rows, the counts, the links; hostile text shown as text; long text
wrapped inside the page; a report, even one with live script in it, inert in its sandboxed frame.
Screenshots of the three views go to out/screenshots/ (KUBEBOARD_SCREENSHOTS), which CI keeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chart.chart_render import Rendered
from tests.chart.views_site import (
    CHROMIUM,
    HOSTILE,
    NGINX,
    NginxSite,
    browser,
    sample_findings,
    sample_reports,
    sample_snapshot,
    screenshot_dir,
    sync_from_s3,
    write_views,
)

pytestmark = [
    pytest.mark.skipif(
        NGINX is None, reason="nginx is not installed (Debian package nginx-light; scripts/setup)"
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (Debian package chromium; scripts/setup)"
    ),
    pytest.mark.slow,
]
REPORTS, IMAGES = 30, 12


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    outcome = sync_from_s3(root / "views", REPORTS, IMAGES)
    assert outcome["skipped"] == []
    (root / "snapshot.json").write_text(json.dumps(sample_snapshot()), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(rendered_stacks: dict[str, Rendered], data: Path) -> Iterator[NginxSite]:
    """The dev stack's rendered nginx.conf and page, as the web Deployment mounts them."""
    rendered = rendered_stacks["dev"]
    conf = rendered.one("ConfigMap", "kubeboard-web-nginx")["data"]["nginx.conf"]
    files = rendered.one("ConfigMap", "kubeboard-web-site")["data"]
    with NginxSite(conf, files, data) as running:
        yield running


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    with browser() as running:
        yield running


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    page.close()


def open_view(page: Any, site: NginxSite, view: str, ready: str) -> None:
    page.goto(f"{site.url}#{view}")
    page.wait_for_selector(ready)


def texts(page: Any, selector: str) -> list[str]:
    return [str(t) for t in page.locator(selector).all_inner_texts()]


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_cluster_view(page: Any, site: NginxSite) -> None:
    open_view(page, site, "cluster", "#events tbody tr")
    snapshot = sample_snapshot()
    assert page.title() == "Kubeboard (dev)"
    assert len(texts(page, "#nodes tbody tr")) == len(snapshot["nodes"])
    assert len(texts(page, "#workloads tbody tr")) == len(snapshot["workloads"])
    messages = texts(page, "#events tbody tr td:last-child")
    assert HOSTILE in messages  # shown as text, not run or parsed
    assert page.locator("#events img").count() == 0
    assert no_sideways_scroll(page), "a long event message widens the page"
    assert page.locator("#views a[aria-current=page]").inner_text() == "Cluster"
    page.screenshot(path=str(screenshot_dir() / "cluster.png"), full_page=True)
    assert page.dialogs == []


def test_error_log_reports_view(page: Any, site: NginxSite, data: Path) -> None:
    open_view(page, site, "reports", "#reports tbody tr")
    index = json.loads((data / "views" / "reports" / "index.json").read_text(encoding="utf-8"))
    samples = dict(sample_reports(REPORTS))
    # Namespaces: one row each, with the latest window's errors.
    rows = [row.split("\t") for row in texts(page, "#report-namespaces tbody tr")]
    assert [row[0] for row in rows] == ["common", "dev", "prod"]
    latest = {n: max(k for k in samples if k.startswith(f"{n}/")) for n in ("common", "dev", "prod")}
    assert [int(row[2]) for row in rows] == [
        samples[latest[n]]["totals"]["errors"] for n in ("common", "dev", "prod")
    ]
    assert [int(row[3]) for row in rows] == [REPORTS // 3] * 3
    # Every window is listed, newest first, with its error count and a way to open it.
    reports = page.locator("#reports tbody tr")
    assert reports.count() == REPORTS == len(index["reports"])
    assert page.locator("#report-count").inner_text() == f"{REPORTS} of {REPORTS} reports"
    first = reports.nth(0).locator("td").all_inner_texts()
    assert first[0] == "2026-05-04 12:00" and first[1] == "prod"
    errors = [int(reports.nth(i).locator("td").nth(2).inner_text()) for i in range(REPORTS)]
    assert errors == [r["errors"] for r in index["reports"]]
    assert page.locator("#reports a:text('JSON')").count() == REPORTS
    # The hostile signature is text in the page: no element was made from it.
    dev_row = reports.filter(has_text="TypeError")
    assert HOSTILE in dev_row.locator("code").inner_text()
    assert page.locator("#reports script, #reports img").count() == 0
    assert no_sideways_scroll(page), "a long error signature widens the page"
    # The filter narrows the list to one namespace.
    page.select_option("#report-filter", "dev")
    assert page.locator("#reports tbody tr").count() == REPORTS // 3
    assert set(texts(page, "#reports tbody tr td:nth-child(2)")) == {"dev"}
    # Opening the dev report shows the Lambda's HTML in the sandboxed frame, the script as text.
    dev_row.get_by_role("button", name="Open").click()
    frame = page.frame_locator("#report-frame")
    assert HOSTILE in frame.locator("table").nth(1).inner_text()
    assert frame.locator("script").count() == 0
    assert page.locator("#report-frame").get_attribute("sandbox") == ""
    page.screenshot(path=str(screenshot_dir() / "reports.png"), full_page=True)
    assert page.dialogs == [] and page.title() == "Kubeboard (dev)"


def test_a_report_with_live_script_stays_inert(page: Any, site: NginxSite) -> None:
    """The newest common report in the bucket is unescaped HTML with a script and an onerror handler."""
    open_view(page, site, "reports", "#reports tbody tr")
    page.select_option("#report-filter", "common")
    page.locator("#reports tbody tr").first.get_by_role("button", name="Open").click()
    frame = page.frame_locator("#report-frame")
    assert frame.locator("#marker").inner_text() == "raw report"
    page.wait_for_timeout(300)
    assert frame.locator("body").get_attribute("data-ran") is None  # neither the script nor onerror ran
    assert page.title() == "Kubeboard (dev)"
    assert page.dialogs == []
    # Opened on its own (a new tab), the CSP header sandboxes it as well.
    href = page.locator("#report-viewer-tab").get_attribute("href")
    policy = page.request.get(f"{site.url}{href}").headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    tab = page.context.new_page()
    tab.goto(f"{site.url}{href}")
    tab.wait_for_selector("#marker")
    assert tab.locator("body").get_attribute("data-ran") is None
    tab.close()


def test_image_vulnerabilities_view(page: Any, site: NginxSite) -> None:
    open_view(page, site, "images", "#images tbody tr")
    samples = sample_findings(IMAGES)
    repositories = [row.split("\t") for row in texts(page, "#repositories tbody tr")]
    assert [row[0] for row in repositories] == ["kubeboard/api", "kubeboard/log-exporter", "kubeboard/web"]
    for row in repositories:
        reports = [r for key, r in samples if key.startswith(f"{row[0]}/sha256")]
        assert int(row[1]) == len(reports)
        assert int(row[2]) == sum(r["severityCounts"]["CRITICAL"] for r in reports)
        assert int(row[3]) == sum(r["severityCounts"]["HIGH"] for r in reports)
    images = page.locator("#images tbody tr")
    assert images.count() == IMAGES  # the alert ledger entries beside them are not images
    # The image with the hostile finding: its counts, then its top findings with package, versions, link.
    digest = samples[0][1]["imageDigest"]
    row = images.filter(has=page.locator(f"code[title='{digest}']"))
    cells = row.locator("td").all_inner_texts()
    counts = samples[0][1]["severityCounts"]
    assert [int(c) for c in cells[4:9]] == [
        counts["CRITICAL"],
        counts["HIGH"],
        counts["MEDIUM"],
        counts["LOW"],
        len(samples[0][1]["findings"]),
    ]
    assert cells[2] == "1.0.0"
    row.get_by_role("button", name="Show").click()
    details = page.locator("#images tr.details table.findings tbody tr")
    assert details.count() == len(samples[0][1]["findings"]) == 3
    top = details.nth(0).locator("td").all_inner_texts()
    assert top[:6] == ["CRITICAL", "CVE-2026-1000", "openssl", "3.0.1", "3.0.15", "9.8"]
    assert HOSTILE in top[6]
    link = details.nth(0).locator("a")
    assert link.get_attribute("href") == "https://nvd.nist.gov/vuln/detail/CVE-2026-1000"
    assert link.get_attribute("rel") == "noopener noreferrer"
    # A javascript: link from the data is dropped: the id stays, as text.
    unsafe = details.filter(has_text="CVE-2026-1002")
    assert unsafe.locator("a").count() == 0
    assert unsafe.locator("td").nth(4).inner_text() == "3.0.15"
    assert details.filter(has_text="CVE-2026-1001").locator("td").nth(4).inner_text() == "none yet"
    assert page.locator("#images tr.details img, #images tr.details script").count() == 0
    assert no_sideways_scroll(page), "a long finding title widens the page"
    page.screenshot(path=str(screenshot_dir() / "images.png"), full_page=True)
    # Only images with critical or high findings.
    page.check("#image-severe")
    severe = sum(1 for _, r in samples if r["severityCounts"]["CRITICAL"] + r["severityCounts"]["HIGH"])
    assert page.locator("#images tbody tr").count() == severe < IMAGES
    assert page.dialogs == []


def test_views_and_their_files_only_are_served(page: Any, site: NginxSite) -> None:
    request = page.request
    assert request.get(f"{site.url}views/reports/index.json").status == 200
    assert request.get(f"{site.url}views/images/index.json").status == 200
    # The sync's state file and anything outside the two layouts are not served.
    assert request.get(f"{site.url}views/.state.json").status == 404
    assert request.get(f"{site.url}views/reports/files/dev/../../.state.json").status in (400, 404)
    assert request.get(f"{site.url}views/reports/files/dev/2026/05/04/1200.txt").status == 404
    finding = request.get(f"{site.url}views/images/files/kubeboard/api/sha256-{0:064x}.json")
    assert finding.status == 200 and finding.headers["content-type"].startswith("application/json")
    assert "sandbox" in finding.headers["content-security-policy"]


@pytest.fixture(scope="module")
def large_site(
    rendered_stacks: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NginxSite]:
    root = tmp_path_factory.mktemp("large")
    write_views(root / "views", 1000, 500)
    (root / "snapshot.json").write_text(json.dumps(sample_snapshot()), encoding="utf-8")
    rendered = rendered_stacks["dev"]
    conf = rendered.one("ConfigMap", "kubeboard-web-nginx")["data"]["nginx.conf"]
    with NginxSite(conf, rendered.one("ConfigMap", "kubeboard-web-site")["data"], root) as running:
        yield running


def timed_view(page: Any, site: NginxSite, view: str, rows: str, expected: int) -> float:
    started = time.perf_counter()
    page.goto(f"{site.url}#{view}")
    wait_rows(page, rows, expected)
    return time.perf_counter() - started


def wait_rows(page: Any, rows: str, expected: int) -> None:
    # Playwright's own selectors: the page's CSP (rightly) refuses evaluated strings.
    page.locator(rows).nth(expected - 1).wait_for()
    assert page.locator(rows).count() == expected


def test_pages_stay_fast_with_1000_reports_and_500_images(page: Any, large_site: NginxSite) -> None:
    reports = timed_view(page, large_site, "reports", "#reports tbody tr", 200)
    started = time.perf_counter()
    for _ in range(4):
        page.click("#reports-more")
    wait_rows(page, "#reports tbody tr", 1000)
    all_reports = time.perf_counter() - started
    images = timed_view(page, large_site, "images", "#images tbody tr", 200)
    started = time.perf_counter()
    page.click("#images-more")
    page.click("#images-more")
    wait_rows(page, "#images tbody tr", 500)
    all_images = time.perf_counter() - started
    print(
        f"\nviews with 1,000 reports and 500 images: reports {reports:.2f} s (all 1,000: +{all_reports:.2f} s), "
        f"images {images:.2f} s (all 500: +{all_images:.2f} s)"
    )
    assert page.locator("#report-count").count() == 1
    # Generous bounds for a shared 2-core CI machine; benchmarks/views_bench.py prints the figures.
    assert reports < 5 and images < 5 and all_reports < 5 and all_images < 5
    assert no_sideways_scroll(page)
