"""Throughput and peak memory of the error-report Lambda against the floor of gunzip + JSON decoding.

Generates exports of 50 MB and 200 MB (uncompressed) in a temporary directory, then, for each size,
runs in fresh subprocesses (so each peak RSS is its own):
  floor   read the gzip object in chunks, split lines, json.loads every line; nothing else;
  report  what the Lambda does to an object: stream, group, build the JSON report and the HTML page.
Times are CPU seconds of the measured work (the machine may be shared; wall time is shown too).
Each is repeated (interleaved) and the fastest run counts, which filters out noise from other load.
Targets: report time <= 2.5x floor time; peak RSS < 128 MB and flat across sizes.

Then long lines, each run once: 22,000 distinct 20 KB stack traces and 2,000 distinct 100 KB ones
(distinct first lines, so every one is a new signature and the group limit is reached).
Target: peak RSS of the report < 160 MB, whatever the lines' length and count.

    .venv/bin/python benchmarks/log_report_bench.py [--sizes 50,200] [--repeat 3] [--keep DIR]
        [--long 22000x20,2000x100]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000
T0 = 1_795_316_400_000_000_000  # 2026-11-22T03:00:00Z

# Error lines of the kinds a cluster produces: ids, addresses, timestamps, quoted values, numbers.
TEMPLATES = [
    'ERROR failed to process order {n} for user "{email}" after {ms}ms: context deadline exceeded',
    'level=error ts={iso} caller=handler.go:{n3} msg="request failed" request_id={uuid} remote={ip}:{port}',
    "panic: runtime error: index out of range [{n2}] with length {n3}\n"
    "goroutine {n} [running]: main.handle(0x{hex})",
    '{iso} ERROR [worker-{n2}] Exception in thread "main" java.lang.IllegalStateException: '
    "session {hex16} expired",
    "ERROR connection to {ip}:5432 refused (attempt {n1} of 5), retrying in {ms}ms",
    'E{mmdd} {hms}.{us} {n} reflector.go:{n3}] failed to list *v1.Pod: Get "https://{ip}:443/api/v1/pods?limit=500"'
    ": dial tcp {ip}:443: i/o timeout",
    "ERROR payment {uuid} declined by gateway: insufficient funds (code {n3})",
    "ERROR Unhandled exception in request handler: KeyError: 'customer_id'",
]
NAMESPACES = ["prod", "dev", "common"]
APPS = ["api", "worker", "web", "payments", "scheduler"]


def _line(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        n=rng.randint(1, 99999),
        n1=rng.randint(1, 5),
        n2=rng.randint(1, 999),
        n3=rng.randint(1, 9999),
        email=f"user-{rng.randint(1, 10**6)}@example.com",
        ms=rng.randint(1, 5000),
        iso=f"2026-11-22T03:0{rng.randint(0, 9)}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}Z",
        uuid=uuid.UUID(int=rng.getrandbits(128)),
        ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        port=rng.randint(1024, 65535),
        hex=f"{rng.getrandbits(40):x}",
        hex16=f"{rng.getrandbits(64):016x}",
        mmdd="1122",
        hms=f"03:0{rng.randint(0, 9)}:{rng.randint(0, 59):02d}",
        us=f"{rng.randint(0, 999999):06d}",
    )


def generate(path: Path, size_mb: int, seed: int = 42) -> int:
    """Write a gzip JSON-lines export of about `size_mb` MB uncompressed, as the exporter writes it."""
    rng = random.Random(seed)
    target = size_mb * MB
    written = lines = 0
    with gzip.open(path, "wb", compresslevel=6) as out:
        batch: list[bytes] = []
        while written < target:
            app = rng.choice(APPS)
            doc = {
                "ts": T0 + rng.randint(0, 600 * 10**9 - 1),
                "namespace": rng.choice(NAMESPACES),
                "app": app,
                "pod": f"{app}-7d9f{rng.randint(100, 999)}-x{rng.randint(10, 99)}k",
                "container": app,
                "line": _line(rng),
            }
            raw = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
            batch.append(raw)
            written += len(raw)
            lines += 1
            if len(batch) >= 4096:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
    return lines


def generate_long(path: Path, count: int, line_kb: int, seed: int = 7) -> int:
    """`count` distinct multi-line traces of about `line_kb` KB each, with distinct first lines."""
    rng = random.Random(seed)
    letters = "ghijklmnopqrstuvwxyz"  # no hex digits: the signature keeps them, so each head is new
    frames = "".join(f"\n\tat com.example.service.Layer{i}.call(Layer{i}.java:{i + 10})" for i in range(40))
    with gzip.open(path, "wb", compresslevel=6) as out:
        for index in range(count):
            word = "".join(rng.choice(letters) for _ in range(16))
            body = f"ERROR request {word} failed: {uuid.UUID(int=rng.getrandbits(128))}"
            while len(body) < line_kb * 1000:
                body += frames + f"\n\tcontext {rng.getrandbits(64):x}"
            doc = {"ts": T0 + index, "namespace": "prod", "app": "api", "pod": "api-1", "container": "api"}
            doc["line"] = body[: line_kb * 1000]
            out.write(json.dumps(doc, separators=(",", ":")).encode() + b"\n")
    return count


# --------------------------------------------------------------------------- measured in a subprocess


def _measure(mode: str, path: str) -> None:
    import resource

    sys.path.insert(0, str(ROOT / "lambdas"))  # imported by its Lambda runtime name
    from log_report.reader import LineTooLong, iter_line_batches

    if mode == "report":
        # The Lambda's own imports (boto3, Powertools) belong to its footprint.
        from datetime import UTC, datetime

        from log_report import handler  # noqa: F401
        from log_report.aggregate import aggregate
        from log_report.render import render_html
        from log_report.report import build_report

    start, cpu_start = time.perf_counter(), time.process_time()
    with open(path, "rb") as body:
        if mode == "floor":
            loads = json.loads
            count = 0
            for batch in iter_line_batches(body):
                if isinstance(batch, LineTooLong):
                    continue
                for raw in batch:
                    if raw:
                        loads(raw)
                        count += 1
            summary = {"lines": count}
        else:
            agg = aggregate(iter_line_batches(body))
            report = build_report(agg, bucket="b", key="k", window={}, generated_at=datetime.now(UTC))
            json.dumps(report).encode()
            render_html(report).encode()
            summary = {"lines": agg.lines, "groups": len(agg.groups), "malformed": agg.malformed}
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": cpu, "wall": seconds, "peak_rss_mb": peak_kib * 1024 / MB, **summary}))


def _run(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", mode, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="50,200", help="uncompressed export sizes in MB")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument(
        "--long", default="22000x20,2000x100", help="long-line cases as COUNTxKB, comma-separated ('' skips)"
    )
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure)
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="log-report-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for size in sizes:
            path = folder / f"export-{size}mb.jsonl.gz"
            if not path.exists():
                t = time.perf_counter()
                lines = generate(path, size)
                print(
                    f"generated {path.name}: {lines:,} lines, {path.stat().st_size / MB:.1f} MB gzip "
                    f"({time.perf_counter() - t:.1f}s)",
                    flush=True,
                )
            floors, reports = [], []
            for _ in range(args.repeat):  # interleaved, so background load hits both alike
                floors.append(_run("floor", path))
                reports.append(_run("report", path))
            floor = min(floors, key=lambda r: r["seconds"])
            report = min(reports, key=lambda r: r["seconds"])
            rows.append((size, floor, report, max(r["peak_rss_mb"] for r in reports)))
        long_rows = []
        for case in filter(None, args.long.split(",")):
            count, line_kb = (int(part) for part in case.split("x"))
            path = folder / f"long-{count}x{line_kb}kb.jsonl.gz"
            if not path.exists():
                generate_long(path, count, line_kb)
            long_rows.append((count, line_kb, _run("report", path)))

    print()
    print(
        f"{'export':>8} {'lines':>10} {'floor s':>8} {'floor MB/s':>10} {'report s':>9} {'report MB/s':>11} "
        f"{'ratio':>6} {'wall f/r s':>12} {'floor RSS':>9} {'report RSS':>10} {'groups':>7}"
    )
    ok = True
    for size, floor, report, peak in rows:
        ratio = report["seconds"] / floor["seconds"]
        ok &= ratio <= 2.5 and peak < 128
        print(
            f"{size:>6}MB {report['lines']:>10,} {floor['seconds']:>8.2f} {size / floor['seconds']:>10.1f} "
            f"{report['seconds']:>9.2f} {size / report['seconds']:>11.1f} {ratio:>5.2f}x "
            f"{floor['wall']:>5.1f}/{report['wall']:<6.1f}"
            f"{floor['peak_rss_mb']:>7.1f}MB {peak:>8.1f}MB {report['groups']:>7}"
        )
    if len(rows) > 1:
        growth = rows[-1][3] - rows[0][3]
        print(f"\npeak RSS growth from {rows[0][0]} MB to {rows[-1][0]} MB of input: {growth:+.1f} MB")
    print("targets (ratio <= 2.5x, peak RSS < 128 MB):", "met" if ok else "NOT met")
    if long_rows:
        print(f"\n{'long lines':>16} {'report s':>9} {'report RSS':>10} {'groups':>7} {'malformed':>9}")
        long_ok = True
        for count, line_kb, report in long_rows:
            long_ok &= report["peak_rss_mb"] < 160
            print(
                f"{count:>7,} x {line_kb:>3} KB {report['seconds']:>9.2f} {report['peak_rss_mb']:>8.1f}MB "
                f"{report['groups']:>7} {report['malformed']:>9}"
            )
        print("target (peak RSS < 160 MB):", "met" if long_ok else "NOT met")
        ok &= long_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
