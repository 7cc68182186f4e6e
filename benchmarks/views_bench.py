"""Benchmark of the front page's views with 1,000 error-log reports and 500 scanned images.

The chart's sync script copies the sample reports and findings from (moto, in-process) S3 to a
temporary views folder, as the CronJob does; a second run shows what an unchanged bucket costs (the
ETags match, nothing is fetched). The chart's nginx then serves the page and Debian's Chromium,
headless, opens each view: the time until the first 200 rows are drawn and until every row is.

Run: .venv/bin/python benchmarks/views_bench.py [--reports 1000] [--images 500]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.chart.views_site import (  # imported once the repository is on the path
    NginxSite,
    browser,
    chart_nginx_conf,
    chart_site_files,
    sample_snapshot,
    sync_from_s3,
)


def rows_after(page: object, selector: str, count: int, started: float) -> float:
    page.locator(selector).nth(count - 1).wait_for()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--images", type=int, default=500)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="kubeboard-views-bench-"))
    started = time.perf_counter()
    first = sync_from_s3(data / "views", args.reports, args.images, raw_hostile=False)
    sync_seconds = time.perf_counter() - started
    (data / "snapshot.json").write_text(json.dumps(sample_snapshot()), encoding="utf-8")
    sizes = {view: (data / "views" / view / "index.json").stat().st_size for view in ("reports", "images")}
    print(
        f"sync from S3 (moto, in-process): {first['reports']['fetched']} report files and "
        f"{first['images']['fetched']} findings files in {sync_seconds:.1f} s, incl. the puts; "
        f"index sizes: reports {sizes['reports'] / 1024:.0f} KiB, images {sizes['images'] / 1024:.0f} KiB"
    )
    with NginxSite(chart_nginx_conf(), chart_site_files(), data) as site, browser() as context:
        page = context.new_page()
        for view, rows, total, more in (
            ("reports", "#reports tbody tr", args.reports, "#reports-more"),
            ("images", "#images tbody tr", args.images, "#images-more"),
        ):
            started = time.perf_counter()
            page.goto(f"{site.url}#{view}")
            first_page = rows_after(page, rows, min(200, total), started)
            started = time.perf_counter()
            while page.locator(more).is_visible():
                page.click(more)
            every = rows_after(page, rows, total, started)
            print(
                f"{view}: first 200 rows drawn {first_page:.2f} s after navigation; all {total}: +{every:.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
