"""A self-contained HTML page for one report. Every value from the logs is escaped: log lines are
attacker-controlled text, and the page must never run or load anything."""

from __future__ import annotations

from html import escape
from typing import Any

MAX_HTML_GROUPS = 500  # the JSON file carries every group; the page shows the largest ones

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d1d1f}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border:1px solid #d2d2d7;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.muted{color:#6e6e73}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def render_html(report: dict[str, Any]) -> str:
    window = report.get("window") or {}
    totals = report["totals"]
    title = f"Error report {window.get('namespace', '')} {window.get('start', '')}".strip()
    rows = []
    for group in report["groups"][:MAX_HTML_GROUPS]:
        rows.append(
            "<tr>"
            f"<td>{_e(group['namespace'])}</td><td>{_e(group['app'])}</td>"
            f"<td class=n>{_e(group['count'])}</td>"
            f"<td><code>{_e(group['signature'])}</code></td>"
            f"<td>{_e(group['firstSeen'])}<br>{_e(group['lastSeen'])}</td>"
            f"<td><code>{_e(group['sample'])}</code></td>"
            "</tr>"
        )
    hidden = len(report["groups"]) - len(rows)
    namespaces = "".join(
        f"<tr><td>{_e(ns)}</td><td class=n>{_e(v['errors'])}</td></tr>"
        for ns, v in report["namespaces"].items()
    )
    more = f"<p class=muted>{hidden} smaller groups are in the JSON report.</p>" if hidden > 0 else ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        # No scripts, no external loads: only the inline stylesheet is allowed.
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f"<p class=muted>Window {_e(window.get('start', '?'))} to {_e(window.get('end', '?'))}; "
        f"source s3://{_e(report['source']['bucket'])}/{_e(report['source']['key'])}; "
        f"generated {_e(report['generatedAt'])}.</p>"
        f"<p>{_e(totals['errors'])} error lines in {_e(totals['groups'])} groups; "
        f"{_e(totals['malformed'])} malformed lines skipped.</p>"
        "<table><tr><th>Namespace</th><th>Errors</th></tr>"
        f"{namespaces}</table>"
        "<table><tr><th>Namespace</th><th>App</th><th>Count</th><th>Signature</th>"
        "<th>First / last seen</th><th>Sample</th></tr>"
        f"{''.join(rows)}</table>{more}</body></html>\n"
    )
