"""The command line: argparse -> the workflow's stages -> an exit code. The one place that prints errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tandem.config import find_root
from tandem.model import Step, TandemError
from tandem.report.merge import merge_reports
from tandem.report.summary import task_line, text_summary
from tandem.workflow import EXIT_INTERRUPTED, EXIT_USAGE, Options, find_projects, run

STEP_COMMANDS = {
    "check": tuple(Step),
    "build": (Step.BUILD,),
    "fmt": (Step.FMT,),
    "vet": (Step.VET,),
    "test": (Step.TEST,),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except TandemError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tandem: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        help="monorepo root (default: the nearest directory above with [tool.tandem] "
        "in its pyproject.toml, else the top of the git work tree, else .)",
    )
    parser = argparse.ArgumentParser(
        prog="tandem",
        parents=[root],
        description="Build, format-check, vet and test every Go and Python project; one JUnit report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = sub.add_parser("list", parents=[root], help="list the projects found")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    for name, steps in STEP_COMMANDS.items():
        _step_parser(sub, root, name, steps)
    merge = sub.add_parser(
        "merge", parents=[root], help="merge JUnit files (e.g. CI shards) into one"
    )
    merge.add_argument(
        "-o", "--output", type=Path, required=True, help="the merged file"
    )
    merge.add_argument(
        "inputs", type=Path, nargs="+", metavar="IN", help="JUnit files to merge"
    )
    merge.add_argument(
        "--junit-flavor", choices=("strict", "extended"), default="strict"
    )
    merge.set_defaults(handler=_merge)
    return parser


def _step_parser(sub, root, name: str, steps: tuple[Step, ...]) -> None:
    what = "build + fmt + vet + test" if name == "check" else name
    step = sub.add_parser(name, parents=[root], help=f"run {what} on every project")
    step.add_argument(
        "-p",
        "--project",
        action="append",
        default=[],
        metavar="NAME",
        help="only this project (and what it needs); repeatable",
    )
    step.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        help="exactly N tasks' worth of CPU slots "
        "(default: one per CPU, more while CPUs sit idle)",
    )
    step.add_argument(
        "--timeout", type=float, help="seconds before a task is killed (default 900)"
    )
    step.add_argument(
        "--fail-fast", action="store_true", help="start nothing new after a failure"
    )
    step.add_argument(
        "--junit", type=Path, help="report path (default: ROOT/reports/junit.xml)"
    )
    step.add_argument(
        "--junit-flavor",
        choices=("strict", "extended"),
        default="strict",
        help="strict validates against Jenkins' junit-10.xsd; extended adds file/line",
    )
    if name == "fmt":
        step.add_argument(
            "--fix", action="store_true", help="rewrite files instead of checking"
        )
    step.set_defaults(handler=_run, steps=steps)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1, not {text!r}"
        )
    return int(text)


def _root(args: argparse.Namespace) -> Path:
    root = getattr(args, "root", None) or find_root(Path.cwd())
    if not root.is_dir():
        raise TandemError(f"--root {root}: no such directory")
    return root


def _list(args: argparse.Namespace) -> int:
    root = _root(args).resolve()
    _, found = find_projects(root)
    for warning in found.warnings:
        print(f"tandem: warning: {warning}", file=sys.stderr)
    rows = [
        {
            "name": p.name,
            "language": p.language,
            "path": p.path.relative_to(root).as_posix(),
            "needs": list(p.needs),
        }
        for p in found.projects
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    for row in rows if not args.json else ():
        needs = f"  needs {', '.join(row['needs'])}" if row["needs"] else ""
        print(f"{row['name']:<24} {row['language']:<8} {row['path']}{needs}")
    return 0


def _run(args: argparse.Namespace) -> int:
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    options = Options(
        steps=args.steps,
        projects=tuple(args.project),
        jobs=args.jobs,
        timeout=args.timeout,
        fail_fast=args.fail_fast,
        junit=args.junit,
        flavour=args.junit_flavor,
        fix=getattr(args, "fix", False),
    )
    result = run(
        _root(args), options, on_done=lambda o: print(task_line(o, color), flush=True)
    )
    for warning in result.warnings:
        print(f"tandem: warning: {warning}", file=sys.stderr)
    print(f"report: {result.junit}")
    print(text_summary(result.outcomes, result.elapsed, color))
    if result.interrupted:
        print("tandem: interrupted; the report holds what finished", file=sys.stderr)
    return result.exit_code


def _merge(args: argparse.Namespace) -> int:
    merge_reports(args.output, args.inputs, flavour=args.junit_flavor)
    print(f"merged {len(args.inputs)} reports into {args.output}")
    return 0
