"""The command line's grammar: every command, option and help text (the handlers are the CLI's).

Mistakes in the arguments are said in Tandem's one line, exit code 2, instead of a usage block.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NoReturn

from tandem.model import Step
from tandem.workflow import EXIT_USAGE

Handler = Callable[[argparse.Namespace], int]

DISTRIBUTION = (
    "tandem-monorepo"  # the name on PyPI; the command and the package are `tandem`
)
STEP_COMMANDS = {
    "check": tuple(Step),
    "generate": (Step.GENERATE,),
    "build": (Step.BUILD,),
    "fmt": (Step.FMT,),
    "vet": (Step.VET,),
    "test": (Step.TEST,),
}


class Parser(argparse.ArgumentParser):
    """argparse, with its mistakes said in Tandem's one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tandem: {message} (see {self.prog} --help)\n")


STEP_DESCRIPTIONS = {
    "check": "Build, format-check, vet and test every project (or those named with -p) in "
    "parallel within one CPU budget, and check its generated code; write one JUnit report "
    "and a summary.",
    "generate": "Regenerate the code of projects that declare .proto generation (buf.gen.yaml "
    "or `generate`) and compare it with the checked-in code; --fix writes it.",
    "build": "Build every project: go install; the Python environment and a wheel.",
    "fmt": "Check formatting (gofmt; black or ruff format); --fix rewrites the files.",
    "vet": "Vet every project: go vet; ruff check.",
    "test": "Test every project: go test; pytest (under pytest-xdist where the project uses it).",
}
EPILOG = """exit codes:
  0    everything green
  1    anything red (a failing test, finding, build break, timeout)
  2    a usage or configuration mistake, said in one line
  3    Tandem itself failed; the line names the crash log
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); the report holds what finished

environment:
  NO_COLOR, FORCE_COLOR  no colour on a terminal; colour even off one
  TERM=dumb, CI=true     no live status area: plain lines, and every 30 s what still runs
  TANDEM_ROOT, TANDEM_DIST   set for every task: the root and the build output
  CI_NODE_INDEX, CI_NODE_TOTAL   GitLab's `parallel:` job: the shard, unless --shard says
  *TOKEN*, *SECRET*, *PASSWORD*, *KEY*   values masked in everything Tandem writes
"""


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked (the look-up is slow)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="print the version", **kwargs
        )

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        import importlib.metadata

        try:
            version = importlib.metadata.version(DISTRIBUTION)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        sys.stdout.write(f"tandem {version}\n")
        parser.exit(0)


def parser(handlers: Mapping[str, Handler]) -> argparse.ArgumentParser:
    """The whole command line; `handlers` run `list`, the step commands (`run`) and `merge`."""
    root = Parser(add_help=False)
    root.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        help="monorepo root (default: the nearest directory above with [tool.tandem] "
        "in its pyproject.toml, else the top of the git work tree, else .)",
    )
    parser = Parser(
        prog="tandem",
        parents=[root],
        description="Build, format-check, vet and test every Go and Python project; one JUnit report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = sub.add_parser(
        "list",
        parents=[root],
        help="list the projects found",
        description="List the projects found under the root, their language and what they need.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument(
        "--changed-since",
        metavar="REF",
        help="only the projects that changes since the merge base of REF and HEAD reach "
        "(uncommitted and untracked files too), each with why",
    )
    _shard_flags(listing, "instead: what shard K of N of `tandem check` runs")
    listing.set_defaults(handler=handlers["list"])
    for name, steps in STEP_COMMANDS.items():
        _step_parser(sub, root, name, steps, handlers["run"])
    merge = sub.add_parser(
        "merge",
        parents=[root],
        help="merge JUnit files (e.g. CI shards) into one",
        description="Merge JUnit files (e.g. CI shards' reports) into one, every case once.",
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
    merge.set_defaults(handler=handlers["merge"])
    return parser


def _step_parser(sub, root, name: str, steps: tuple[Step, ...], run: Handler) -> None:
    what = "build + fmt + vet + test" if name == "check" else name
    step = sub.add_parser(
        name,
        parents=[root],
        help=f"run {what} on every project",
        description=STEP_DESCRIPTIONS[name],
    )
    step.add_argument(
        "-p",
        "--project",
        action="append",
        default=[],
        metavar="NAME",
        help="only this project (and what it needs); a glob like 'svc-*'; repeatable",
    )
    step.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        help="exactly N tasks' worth of CPU slots "
        "(default: one per CPU, more while CPUs sit idle)",
    )
    step.add_argument(
        "--timeout",
        type=_positive_seconds,
        help="seconds before a task is killed (default 900)",
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
    step.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="run every task, even those whose inputs are unchanged since a green run",
    )
    step.add_argument(
        "--changed-since",
        metavar="REF",
        help="only the projects changed since the merge base with the git REF, and those "
        "that need them",
    )
    step.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="fail at once, instead of waiting, while another run holds the root",
    )
    _shard_flags(step, "run and report only shard K of N (1-based)")
    if name in ("fmt", "generate"):
        step.add_argument(
            "--fix", action="store_true", help="rewrite files instead of checking"
        )
    if Step.TEST in steps:
        step.add_argument(
            "--retries",
            type=_count,
            default=0,
            metavar="N",
            help="rerun each failed test alone up to N times; one that passes is "
            "reported flaky (default 0; a project's `retries` setting wins)",
        )
        step.add_argument(
            "-k",
            "--select",
            metavar="NAME",
            help="only the tests whose name holds NAME, in any case, in every language "
            "(go test -run, pytest -k)",
        )
        step.add_argument(
            "test_args",
            nargs="*",
            metavar="-- ARGS",
            help="arguments for the test tool itself: `-- -run TestX` (go test), "
            "`-- -k money` (pytest)",
        )
    step.set_defaults(handler=run, steps=steps)


def _shard_flags(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help=f"{what}, dealt by recorded durations, a long test step split into packages "
        "or files; default: GitLab's CI_NODE_INDEX/CI_NODE_TOTAL when both are set",
    )
    parser.add_argument(
        "--durations-from",
        dest="durations",
        type=Path,
        action="append",
        default=[],
        metavar="JUNIT",
        help="with --shard: deal by the suite times of this earlier report (repeatable; "
        "one not there yet counts as none) instead of STATE/durations.json",
    )


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1, not {text!r}"
        )
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 0, not {text!r}"
        )
    return int(text)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds, not {text!r}"
        )
    return value
