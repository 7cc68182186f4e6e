"""``kubeboard``: the command line of Kubeboard Infra.

``kubeboard plan <stack>`` is ``pulumi preview`` without a cloud: it runs the project's program under
Pulumi's mock runtime, evaluates the policy pack and writes ``plan.json`` and ``report.md``.
Exit codes: 0 no mandatory policy fails, 1 one does, 2 the configuration is wrong.
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
    plan.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    plan.add_argument(
        "--cwd", type=Path, default=Path.cwd(), help="the Pulumi project directory (default: .)"
    )
    plan.add_argument("--out", type=Path, help="where plan.json and report.md go (default: out/<stack>)")
    plan.add_argument("--against", type=Path, help="a base plan.json: report what this plan changes")
    plan.add_argument("--quiet", action="store_true", help="print only the summary lines")
    return parser


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

    from .plan.critical_path import DurationsError
    from .plan.document import build_plan
    from .plan.report import console_tree, critical_path_line, markdown, policy_lines
    from .plan.runner import ProgramConfigurationError
    from .plan.stack_files import StackFileError

    project_dir = args.cwd.resolve()
    try:
        base = _load_base(args.against) if args.against else None
        plan = build_plan(project_dir, args.stack)
    except (
        StackFileError,
        ProgramConfigurationError,
        PolicyConfigError,
        DurationsError,
        _UsageError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG

    diff_markdown = None
    if base is not None:
        from .plan.diff import diff_plans, render_markdown

        difference = diff_plans(base, plan)
        plan["diff"] = difference
        diff_markdown = render_markdown(difference)

    out_dir = (args.out or project_dir / "out" / args.stack).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(plan, diff_markdown), encoding="utf-8")

    if not args.quiet:
        print(console_tree(plan))
        if diff_markdown:
            print(diff_markdown)
    print(policy_lines(plan))
    print(critical_path_line(plan))
    print(f"wrote {out_dir / 'plan.json'} and {out_dir / 'report.md'}")
    return EXIT_POLICY if plan["policies"]["mandatoryViolations"] else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "plan":
        return plan_command(args)
    return EXIT_CONFIG  # argparse rejects unknown commands before this


if __name__ == "__main__":
    sys.exit(main())
