"""The modeled time of a first `pulumi up` of each stack beside the floor EKS itself sets.

Both figures come from the same model as `kubeboard plan` (components/plan/critical_path.py and
its durations table): the critical path is the longest chain of what each resource waits for; the
floor is when the cluster, its first node group and the managed add-ons can be done, plus one Helm
release. Target: critical path <= 1.15 x floor for every stack. Also prints the destroy estimate.

Usage: python benchmarks/critical_path_bench.py [--stacks dev prod] [--cwd DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubeboard_infra.plan.document import build_plan

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.15


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    parser.add_argument("--cwd", type=Path, default=ROOT, help="the Pulumi project directory")
    args = parser.parse_args()
    print(
        f"{'stack':<8}{'critical path':>15}{'floor':>8}{'ratio':>8}{'destroy':>10}  longest chain ends with"
    )
    missed = []
    for stack in args.stacks:
        section = build_plan(args.cwd.resolve(), stack)["criticalPath"]
        deploy, destroy = section["deploy"], section["destroy"]
        floor, ratio = deploy["floorSeconds"], deploy["ratioToFloor"]
        tail = " -> ".join(step["name"] for step in deploy["chain"][-3:])
        print(
            f"{stack:<8}{deploy['seconds']:>13} s{floor:>6} s{ratio:>8.3f}{destroy['seconds']:>8} s  {tail}"
        )
        if ratio > TARGET_RATIO:
            missed.append(stack)
    print(
        f"target: critical path <= {TARGET_RATIO} x floor: {'missed by ' + ', '.join(missed) if missed else 'met'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
