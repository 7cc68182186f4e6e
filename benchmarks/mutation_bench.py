"""Mutation score per area: how many small, realistic source changes the area's own tests catch.

    .venv/bin/pip install -e '.[mutation]'            # Cosmic Ray, pinned in pyproject.toml
    nice -n 10 .venv/bin/python benchmarks/mutation_bench.py [--area policy] [--limit N] [--json FILE]

Python areas are mutated with Cosmic Ray's operators (flipped comparisons and boundaries, `and`/`or`
swapped, `not` added or dropped, constants and numbers changed, loops skipped, exceptions no longer
caught). Cosmic Ray does not read Helm templates, so the chart's security templates get the textual
mutations listed in mutation_templates.yaml (a rule dropped, a label flipped, a CIDR widened, a
validation removed, ...).

Every mutant is applied to a private copy of the repository, never to the work tree. The runner
imports the heavy dependencies once and forks one child per mutant that runs only the area's tests
(`pytest -x`) in process: a mutant is killed when a test fails, survives when all pass, and times
out after a multiple of the unmutated run. Mutants listed in mutation_equivalents.yaml (the same
behaviour written differently, each with its reason) are left out of the score.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import importlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
EQUIVALENTS = HERE / "mutation_equivalents.yaml"
TEMPLATE_MUTATIONS = HERE / "mutation_templates.yaml"

# Cosmic Ray operators that model the regressions seen in review: a flipped or off-by-one
# comparison, a dropped or inverted condition, a changed constant, a skipped loop, an error no
# longer handled. Its other operators (every arithmetic operator into every other) mostly make
# code that cannot run, which any test kills and which says nothing about the tests.
OPERATORS = (
    "core/ReplaceComparisonOperator_Eq_NotEq",
    "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Lt_LtE",
    "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE",
    "core/ReplaceComparisonOperator_GtE_Gt",
    "core/ReplaceComparisonOperator_Is_IsNot",
    "core/ReplaceComparisonOperator_IsNot_Is",
    "core/ReplaceAndWithOr",
    "core/ReplaceOrWithAnd",
    "core/ReplaceUnaryOperator_Delete_Not",
    "core/AddNot",
    "core/ReplaceTrueWithFalse",
    "core/ReplaceFalseWithTrue",
    "core/NumberReplacer",
    "core/ReplaceBinaryOperator_Add_Sub",
    "core/ReplaceBinaryOperator_Sub_Add",
    "core/ReplaceBreakWithContinue",
    "core/ReplaceContinueWithBreak",
    "core/ZeroIterationForLoop",
    "core/ExceptionReplacer",
)


@dataclass(frozen=True)
class Area:
    """Source files to mutate and the fast subset of tests that must catch each change."""

    kind: str  # "python" (Cosmic Ray) or "template" (mutation_templates.yaml)
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    # Imported once before forking so each mutant pays only for its tests. Never anything that
    # starts threads (Helm's Go runtime does not survive a fork), never the mutated modules.
    preload: tuple[str, ...] = ()
    # A pytest -k expression when only some tests of the files bear on the area.
    keyword: str | None = None


AREAS: dict[str, Area] = {
    "policy": Area(
        kind="python",
        sources=("policy/*.py",),
        exclude=("policy/__main__.py",),
        tests=(
            "tests/policy/test_policies.py",
            "tests/policy/test_config.py",
            "tests/policy/test_offline.py",
        ),
        preload=("pulumi", "pulumi_policy", "pydantic", "yaml"),
    ),
    "chart": Area(
        kind="template",
        sources=(
            "charts/kubeboard/templates/networkpolicies.yaml",
            "charts/kubeboard/templates/namespaces.yaml",
            "charts/kubeboard/templates/tenancy.yaml",
            "charts/kubeboard/templates/rbac-teams.yaml",
            "charts/kubeboard/templates/validate.yaml",
        ),
        tests=(
            "tests/chart/test_network_policies.py",
            "tests/chart/test_tenancy.py",
            "tests/chart/test_render.py",
            "tests/chart/test_values_schema.py",
            "tests/chart/test_workload_security.py",
            "tests/chart/test_security_edges.py",
        ),
    ),
    "scan_gate": Area(
        kind="python",
        sources=("scripts/scan_gate.py",),
        tests=("tests/test_scan_gate.py",),
        preload=("boto3", "botocore", "moto", "requests"),
    ),
    # The stack-file rules: every section's own checks and the reading of Pulumi.<stack>.yaml.
    "settings": Area(
        kind="python",
        sources=("components/settings/*.py", "components/plan/stack_files.py"),
        tests=(
            "tests/test_malformed_settings.py",
            "tests/test_settings_edge.py",
            "tests/test_settings_bounds.py",
        ),
        preload=("pulumi", "pulumi_aws", "pydantic", "yaml"),
    ),
    # The offline plan's promises: secrets masked, a secret in clear caught, literal exit codes, the diff.
    "plan": Area(
        kind="python",
        sources=(
            "components/plan/recorder.py",
            "components/plan/policies.py",
            "components/plan/check.py",
            "components/plan/diff.py",
            "components/cli.py",
        ),
        tests=("tests/test_plan.py", "tests/test_plan_diff.py", "tests/policy/test_check.py"),
        # The tests that build whole stacks take half a minute each: these do not need them.
        keyword="secret or exit_code or diff or usage_error or recorder or out_dir",
        preload=("pulumi", "pulumi_aws", "pulumi_policy", "pydantic", "yaml"),
    ),
    "scan_findings": Area(
        kind="python",
        sources=("lambdas/scan_findings/*.py",),
        tests=("tests/lambdas/test_scan_findings.py",),
        preload=("boto3", "botocore", "moto", "requests", "hypothesis"),
    ),
    "log_report": Area(
        kind="python",
        sources=("lambdas/log_report/*.py",),
        tests=("tests/lambdas/test_log_report.py",),
        preload=("boto3", "botocore", "moto"),
    ),
    "log_exporter": Area(
        kind="python",
        sources=("lambdas/log_exporter/*.py",),
        tests=("tests/lambdas/test_log_exporter.py", "tests/lambdas/test_log_classifier.py"),
        preload=("boto3", "botocore", "moto"),
    ),
}
# What a run without --area covers: the areas whose full run fits a coffee break.
DEFAULT_AREAS = ("policy", "chart", "scan_gate")

# Copies of the repository leave these out: history, environments and caches.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "*.pyc"
)


@dataclass
class Mutant:
    path: str  # relative to the repository
    line: int
    before: str
    after: str
    mutated_text: str
    operator: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        return (
            f"{self.where} [{self.operator}] {self.before.strip()}  ->  {self.after.strip() or '(removed)'}"
        )


@dataclass
class AreaResult:
    name: str
    mutants: int = 0
    killed: int = 0
    timeouts: int = 0
    equivalent: list[tuple[Mutant, str]] = field(default_factory=list)
    survivors: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def scored(self) -> int:
        return self.mutants - len(self.equivalent)

    @property
    def score(self) -> float:
        return 100.0 * (self.killed + self.timeouts) / self.scored if self.scored else 100.0


# --- Generating mutants ------------------------------------------------------------------------


def source_files(area: Area) -> list[Path]:
    files: list[Path] = []
    for pattern in area.sources:
        for path in sorted(ROOT.glob(pattern)):
            relative = str(path.relative_to(ROOT))
            if not any(fnmatch.fnmatch(relative, x) for x in area.exclude):
                files.append(path)
    if not files:
        raise SystemExit(f"error: no source file matches {area.sources}")
    return files


def changed_line(original: str, mutated: str) -> tuple[int, str, str]:
    """The first line a mutation changes: its number, the original and the mutated text."""
    old, new = original.splitlines(), mutated.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            return i1 + 1, " ".join(old[i1:i2]), " ".join(new[j1:j2])
    return 0, "", ""


def python_mutants(area: Area) -> Iterator[Mutant]:
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    for path in source_files(area):
        relative = str(path.relative_to(ROOT))
        code = path.read_text(encoding="utf-8")
        seen: set[str] = set()
        for name in OPERATORS:
            operator = get_operator(name)()
            count = sum(len(list(operator.mutation_positions(n))) for n in ast_nodes(get_ast(code)))
            for occurrence in range(count):
                try:
                    mutated = mutate_code(code, operator, occurrence)
                except AttributeError:
                    # Cosmic Ray's ExceptionReplacer cannot rewrite a dotted name inside an
                    # `except (a.Error, b.Error)` tuple; that occurrence is not generated.
                    continue
                if mutated is None or mutated == code or mutated in seen:
                    continue
                seen.add(mutated)
                line, before, after = changed_line(code, mutated)
                yield Mutant(relative, line, before, after, mutated, name.removeprefix("core/"))


def template_mutants(area: Area) -> Iterator[Mutant]:
    mutations = yaml.safe_load(TEMPLATE_MUTATIONS.read_text(encoding="utf-8"))
    wanted = {str(ROOT / s) for s in area.sources}
    for index, mutation in enumerate(mutations):
        path = ROOT / mutation["file"]
        if str(path) not in wanted:
            continue
        code = path.read_text(encoding="utf-8")
        found = code.count(mutation["find"])
        if found != 1:
            raise SystemExit(
                f"error: {TEMPLATE_MUTATIONS.name}[{index}] ({mutation['change']}): 'find' occurs "
                f"{found} times in {mutation['file']}, must occur once"
            )
        mutated = code.replace(mutation["find"], mutation["replace"])
        line, before, after = changed_line(code, mutated)
        yield Mutant(mutation["file"], line, before, after, mutated, mutation["change"])


def load_equivalents() -> list[dict[str, str]]:
    entries = yaml.safe_load(EQUIVALENTS.read_text(encoding="utf-8")) or []
    for index, entry in enumerate(entries):
        missing = {"file", "before", "after", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"error: {EQUIVALENTS.name}[{index}]: missing {', '.join(sorted(missing))}")
    return entries


def equivalent_reason(mutant: Mutant, equivalents: list[dict[str, str]]) -> str | None:
    """Matched by file and the changed line's text, so line numbers may move."""
    for entry in equivalents:
        if (
            entry["file"] == mutant.path
            and entry["before"].strip() == mutant.before.strip()
            and entry["after"].strip() == mutant.after.strip()
        ):
            return entry["reason"]
    return None


# --- Running the tests against each mutant -------------------------------------------------------


class Workspace:
    """A private copy of the repository whose import names point at the copy's sources."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kubeboard-mutation-"))
        self.repo = self.dir / "repo"
        shutil.copytree(ROOT, self.repo, ignore=NOT_COPIED, symlinks=True)
        shim = self.dir / "imports"
        shim.mkdir()
        # The editable install's finder comes after sys.path, so these names win.
        (shim / "kubeboard_policy").symlink_to(self.repo / "policy")
        (shim / "kubeboard_infra").symlink_to(self.repo / "components")
        sys.path[:0] = [str(shim), str(self.repo)]
        os.chdir(self.repo)

    def remove(self) -> None:
        os.chdir(ROOT)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_tests(area: Area, timeout: float | None) -> str:
    """'passed', 'failed' or 'timeout': the area's tests in a forked child, stopping at the first failure."""
    pid = os.fork()
    if pid == 0:  # child: its own process group, so a timeout also ends what the tests started
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        args = [*area.tests, "-x", "-q", "-n", "0", "-p", "no:randomly", "-p", "no:cacheprovider"]
        if area.keyword:
            args += ["-k", area.keyword]
        code = pytest.main(args)
        os._exit(int(code))
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if deadline is not None and time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.05)


def area_mutants(
    name: str, area: Area, limit: int | None, sample: int | None, only: list[str] | None = None
) -> list[Mutant]:
    mutants = list(python_mutants(area) if area.kind == "python" else template_mutants(area))
    if sample is not None and sample < len(mutants):
        # Seeded by the area's name: the same sample every run, so scores compare across runs.
        chosen = sorted(random.Random(name).sample(range(len(mutants)), sample))
        mutants = [mutants[i] for i in chosen]
    if only:
        mutants = [m for m in mutants if m.where in only or m.path in only]
    return mutants[:limit]


def run_area(name: str, area: Area, mutants: list[Mutant], equivalents: list[dict[str, str]]) -> AreaResult:
    result = AreaResult(name)
    started = time.monotonic()
    workspace = Workspace()
    try:
        for module in area.preload:
            importlib.import_module(module)
        baseline_started = time.monotonic()
        if run_tests(area, None) != "passed":
            raise SystemExit(f"error: {name}: the tests fail without any mutation: {' '.join(area.tests)}")
        timeout = max(30.0, 3 * (time.monotonic() - baseline_started))
        print(f"{name}: {len(mutants)} mutants, per-mutant timeout {timeout:.0f} s", flush=True)
        for index, mutant in enumerate(mutants, 1):
            reason = equivalent_reason(mutant, equivalents)
            result.mutants += 1
            if reason is not None:
                result.equivalent.append((mutant, reason))
                continue
            target = workspace.repo / mutant.path
            original = target.read_text(encoding="utf-8")
            target.write_text(mutant.mutated_text, encoding="utf-8")
            try:
                outcome = run_tests(area, timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            if outcome == "failed":
                result.killed += 1
            elif outcome == "timeout":
                result.timeouts += 1
            else:
                result.survivors.append(mutant)
                print(f"  survived {index}/{len(mutants)}: {mutant.describe()}", flush=True)
            if index % 25 == 0:
                print(f"  {index}/{len(mutants)} done, {time.monotonic() - started:.0f} s", flush=True)
    finally:
        workspace.remove()
    result.seconds = time.monotonic() - started
    return result


def report(results: list[AreaResult]) -> None:
    print()
    print(
        f"{'area':<11} {'mutants':>7} {'equiv':>5} {'killed':>6} {'timeout':>7} {'survived':>8} {'score':>6} {'time':>7}"
    )
    for r in results:
        print(
            f"{r.name:<11} {r.mutants:>7} {len(r.equivalent):>5} {r.killed:>6} {r.timeouts:>7} "
            f"{len(r.survivors):>8} {r.score:>5.1f}% {r.seconds:>6.0f}s"
        )
    for r in results:
        if r.survivors:
            print(f"\nsurviving mutants, {r.name}:")
            for mutant in r.survivors:
                print(f"  {mutant.describe()}")
        if r.equivalent:
            print(f"\nequivalent mutants, {r.name} (not scored):")
            for mutant, reason in r.equivalent:
                print(f"  {mutant.describe()}\n      {reason}")


def as_json(results: list[AreaResult]) -> list[dict[str, Any]]:
    return [
        {
            "area": r.name,
            "mutants": r.mutants,
            "equivalent": len(r.equivalent),
            "killed": r.killed,
            "timeouts": r.timeouts,
            "survived": len(r.survivors),
            "score": round(r.score, 1),
            "seconds": round(r.seconds),
            "survivors": [m.describe() for m in r.survivors],
        }
        for r in results
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--area",
        action="append",
        choices=sorted(AREAS),
        help=f"area to mutate, repeatable (default: {', '.join(DEFAULT_AREAS)})",
    )
    parser.add_argument("--limit", type=int, help="only the first N mutants of each area (a quick look)")
    parser.add_argument(
        "--sample", type=int, help="a fixed random sample of N mutants per area (the same one every run)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="FILE[:LINE]",
        help="only the mutants of this file or line, repeatable (applied after --sample)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants without running any test")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    for option in ("limit", "sample"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option}: must be >= 1")
    names = args.area or list(DEFAULT_AREAS)
    sys.dont_write_bytecode = True  # a mutant must never be served from a stale .pyc
    if args.list:
        for name in names:
            mutants = area_mutants(name, AREAS[name], args.limit, args.sample, args.only)
            print(f"{name}: {len(mutants)} mutants")
            for mutant in mutants:
                print(f"  {mutant.describe()}")
        return 0
    equivalents = load_equivalents()
    results = [
        run_area(
            name,
            AREAS[name],
            area_mutants(name, AREAS[name], args.limit, args.sample, args.only),
            equivalents,
        )
        for name in names
    ]
    report(results)
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
