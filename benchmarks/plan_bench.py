"""How long `kubeboard plan prod` takes beside its floor (the same resources replayed bare).

Both run as fresh processes, as a user would run them, so both pay the interpreter and SDK
imports; the floor registers exactly the prod plan's resources through the same typed SDK classes
under the same mock runtime (see replay_floor.py). Target: plan <= 1.5 x floor.

Usage: python benchmarks/plan_bench.py [--stack prod] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        plan_command = [
            sys.executable,
            "-m",
            "kubeboard_infra.cli",
            "plan",
            args.stack,
            "--out",
            out,
            "--quiet",
        ]
        floor_command = [sys.executable, str(ROOT / "benchmarks" / "replay_floor.py"), f"{out}/plan.json"]
        timed(plan_command)  # warm the file cache and any Lambda asset cache, and write plan.json
        plan = json.loads(Path(out, "plan.json").read_text())
        plan_times, floor_times = [], []
        floor_report = ""
        for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
            plan_times.append(timed(plan_command)[0])
            elapsed, floor_report = timed(floor_command)
            floor_times.append(elapsed)
    plan_median, floor_median = statistics.median(plan_times), statistics.median(floor_times)
    resources = len(plan["resources"])
    print(f"stack {args.stack}: {resources} resources, {args.runs} runs each (median, min)")
    print(f"kubeboard plan : {plan_median:6.2f} s  {min(plan_times):6.2f} s")
    print(f"floor (replay) : {floor_median:6.2f} s  {min(floor_times):6.2f} s   {floor_report.strip()}")
    print(f"ratio          : {plan_median / floor_median:6.2f} x   (target <= 1.50 x)")
    print(
        f"per resource   : plan {1000 * plan_median / resources:.1f} ms, floor {1000 * floor_median / resources:.1f} ms"
    )


if __name__ == "__main__":
    main()
