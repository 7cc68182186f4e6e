"""``kubeboard``: the command line of Kubeboard Infra.

``kubeboard plan <stack>...`` is ``pulumi preview`` without a cloud: it runs the project's program
under Pulumi's mock runtime, evaluates the policy pack and writes ``plan.json`` and ``report.md``.
Several stacks (``kubeboard plan shared dev prod``) are planned together and checked for physical
names or singletons that two of them would both create in one account and region.
``kubeboard check <plan.json>`` evaluates the same policies on a plan produced elsewhere.
``kubeboard policy-pack DIR`` writes a policy-pack directory for ``pulumi preview --policy-pack DIR``
that runs the pack installed with this command (no repository checkout needed).
Exit codes: 0 no mandatory policy fails, 1 one does, 2 the configuration is wrong (including inputs a
provider would reject, names or sizes over an AWS limit, stacks that collide, or a file that is not a
plan; plan.json and report.md list them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubeboard", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="preview a stack offline and check its policies")
    plan.add_argument(
        "stacks",
        nargs="+",
        metavar="stack",
        help="stack names: reads Pulumi.<stack>.yaml (several: checked together)",
    )
    plan.add_argument(
        "--cwd", type=Path, default=Path.cwd(), help="the Pulumi project directory (default: .)"
    )
    plan.add_argument(
        "--out",
        type=Path,
        help="where plan.json and report.md go (default: out/<stack>; several stacks: DIR/<stack>)",
    )
    plan.add_argument("--against", type=Path, help="a base plan.json: report what this plan changes")
    plan.add_argument("--quiet", action="store_true", help="print only the summary lines")
    check = commands.add_parser("check", help="evaluate the policy pack on an existing plan.json")
    check.add_argument("plan_file", type=Path, metavar="plan.json", help="a plan written by `kubeboard plan`")
    check.add_argument("--stack", help="judge as this stack (default: the plan's own `stack`)")
    pack = commands.add_parser(
        "policy-pack", help="write a policy-pack directory served from this installation"
    )
    pack.add_argument("directory", type=Path, help="where PulumiPolicy.yaml, __main__.py and config/ go")
    return parser


def policy_pack_command(args: argparse.Namespace) -> int:
    from kubeboard_policy.pack_dir import PackDirError, write_pack

    try:
        written = write_pack(args.directory)
    except (PackDirError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"policy pack written to {args.directory}: {len(written)} files")
    print(
        f"use: pulumi preview --policy-pack {args.directory} --policy-pack-config {args.directory}/config/<stack>.json"
    )
    return EXIT_OK


def _load_base(path: Path) -> dict[str, Any]:
    try:
        base = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _UsageError(f"--against {path}: cannot read a plan.json ({error})") from None
    if not isinstance(base, dict) or "resources" not in base:
        raise _UsageError(f"--against {path}: not a plan.json (no `resources`)")
    return base


class _UsageError(Exception):
    pass


def plan_command(args: argparse.Namespace) -> int:
    from kubeboard_policy.config import PolicyConfigError

    from .plan.collisions import Placement, find_collisions
    from .plan.critical_path import DurationsError
    from .plan.document import build_plans
    from .plan.report import findings
    from .plan.runner import ProgramConfigurationError
    from .plan.stack_files import StackFileError

    project_dir = args.cwd.resolve()
    stacks: list[str] = list(dict.fromkeys(args.stacks))
    try:
        if args.against and len(stacks) > 1:
            raise _UsageError("--against compares one stack with its base plan; give one stack")
        base = _load_base(args.against) if args.against else None
        plans = build_plans(project_dir, stacks)
    except (
        StackFileError,
        ProgramConfigurationError,
        PolicyConfigError,
        DurationsError,
        _UsageError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG

    for stack, plan in plans.items():
        if args.out is None:
            out_dir = project_dir / "out" / stack
        else:
            out_dir = args.out if len(stacks) == 1 else args.out / stack
        _write(plan, out_dir.resolve(), base, quiet=args.quiet)

    collisions = find_collisions(
        plans, {stack: Placement(**_placement_fields(plan)) for stack, plan in plans.items()}
    )
    for collision in collisions:
        print(f"error: {collision.message()}", file=sys.stderr)
    if collisions or any(findings(plan) for plan in plans.values()):
        # A real engine would stop at these before creating anything: a configuration error.
        return EXIT_CONFIG
    if len(stacks) > 1:
        print(f"no physical name or singleton is created by two of: {', '.join(stacks)}")
    return EXIT_POLICY if any(plan["policies"]["mandatoryViolations"] for plan in plans.values()) else EXIT_OK


def _placement_fields(plan: dict[str, Any]) -> dict[str, str]:
    return {"account": plan["placement"]["account"], "region": plan["placement"]["region"]}


def _write(plan: dict[str, Any], out_dir: Path, base: dict[str, Any] | None, *, quiet: bool) -> None:
    from .plan.report import (
        console_tree,
        critical_path_line,
        finding_lines,
        markdown,
        policy_lines,
        secrets_lines,
        warning_lines,
    )

    diff_markdown = None
    if base is not None:
        from .plan.diff import diff_plans, render_markdown

        difference = diff_plans(base, plan)
        plan["diff"] = difference
        diff_markdown = render_markdown(difference)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(plan, diff_markdown), encoding="utf-8")

    if not quiet:
        print(console_tree(plan))
        if diff_markdown:
            print(diff_markdown)
    print(policy_lines(plan))
    print(finding_lines(plan))
    print(critical_path_line(plan))
    if plan["warnings"]:
        print(warning_lines(plan))
    if secrets_lines(plan):
        print(secrets_lines(plan))
    print(f"wrote {out_dir / 'plan.json'} and {out_dir / 'report.md'}")


def check_command(args: argparse.Namespace) -> int:
    from kubeboard_policy.config import PolicyConfigError

    from .plan.check import PlanFileError, judge, load_plan
    from .plan.report import policy_lines

    try:
        plan = judge(load_plan(args.plan_file), args.stack)
    except (PlanFileError, PolicyConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print(policy_lines(plan))
    return EXIT_POLICY if plan["policies"]["mandatoryViolations"] else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "plan":
        return plan_command(args)
    if args.command == "check":
        return check_command(args)
    if args.command == "policy-pack":
        return policy_pack_command(args)
    return EXIT_CONFIG  # argparse rejects unknown commands before this


if __name__ == "__main__":
    sys.exit(main())
