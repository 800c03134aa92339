"""The command line: argparse -> the workflow's stages -> an exit code. The one place that prints errors.

Every mistake is one line on stderr. An error Tandem did not expect is one line too, exit
code 3, with its traceback in a crash log. Output to a reader that went away (`tandem check
| head -1`) stops quietly while the run goes on to write its report and exit as it would.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from tandem.config import find_root, load_config
from tandem.mask import Masker
from tandem.model import Project, Step, TandemError
from tandem.plan import make_plan
from tandem.report import github
from tandem.report.progress import Progress, wants_color, wants_live
from tandem.report.summary import text_summary
from tandem.shard import ENV_INDEX, ENV_TOTAL, Shard, parse_shard, shard_from_env
from tandem.workflow import (
    EXIT_CRASH,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Options,
    RunResult,
    default_junit,
    find_projects,
    layout,
    run,
    selection,
)

if TYPE_CHECKING:
    from tandem import affected
    from tandem.discover import Discovery

DISTRIBUTION = (
    "tandem-monorepo"  # the name on PyPI; the command and the package are `tandem`
)
STEP_COMMANDS = {
    "check": tuple(Step),
    "build": (Step.BUILD,),
    "fmt": (Step.FMT,),
    "vet": (Step.VET,),
    "test": (Step.TEST,),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except TandemError as exc:
        _say(Masker.from_env(os.environ).text(f"tandem: {exc}"), sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("tandem: interrupted", sys.stderr)
        return EXIT_INTERRUPTED
    # The one place that turns any bug into a line and a log, instead of a traceback.
    except Exception as exc:  # noqa: BLE001
        return _crashed(exc, args)


class _Parser(argparse.ArgumentParser):
    """argparse, with its mistakes said in Tandem's one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tandem: {message} (see {self.prog} --help)\n")


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print a line; once the reader has gone away, print nothing more and carry on."""
    stream = stream or sys.stdout
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        _silence(stream)


def _write(text: str) -> None:
    """Write to the terminal without a line end (the status area draws itself)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence(sys.stdout)


def _silence(stream: TextIO) -> None:
    """Point a stream whose reader left at /dev/null, so later writes and the exit flush succeed."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file descriptor: nothing is left to flush into the pipe


def _crashed(error: Exception, args: argparse.Namespace) -> int:
    """Exit code 3 for an error Tandem did not expect: one line, the traceback in a log."""
    from tandem.crash import one_line, write_crash_log  # only ever needed here

    state, masker = _crash_context(args)
    log = write_crash_log(error, state, masker)
    where = f"the traceback is in {log}" if log else "no crash log could be written"
    line = f"tandem: internal error ({one_line(error)}); {where}; please report it"
    _say(masker.text(line), sys.stderr)
    return EXIT_CRASH


def _crash_context(args: argparse.Namespace) -> tuple[Path | None, Masker]:
    """The state directory and the run's masker, as far as they can still be known."""
    try:
        root = _root(args).resolve()
        config = load_config(root)
        return root / config.state, Masker.from_env(os.environ, config.secrets)
    except Exception:  # noqa: BLE001 - whatever broke the run may break this too
        return None, Masker.from_env(os.environ)


STEP_DESCRIPTIONS = {
    "check": "Build, format-check, vet and test every project (or those named with -p) in "
    "parallel within one CPU budget; write one JUnit report and a summary.",
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
        _say(f"tandem {version}")
        parser.exit(0)


def _parser() -> argparse.ArgumentParser:
    root = _Parser(add_help=False)
    root.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        help="monorepo root (default: the nearest directory above with [tool.tandem] "
        "in its pyproject.toml, else the top of the git work tree, else .)",
    )
    parser = _Parser(
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
    listing.set_defaults(handler=_list)
    for name, steps in STEP_COMMANDS.items():
        _step_parser(sub, root, name, steps)
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
    merge.set_defaults(handler=_merge)
    return parser


def _step_parser(sub, root, name: str, steps: tuple[Step, ...]) -> None:
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
    if name == "fmt":
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
    step.set_defaults(handler=_run, steps=steps)


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


def _shard(args: argparse.Namespace) -> Shard | None:
    """`--shard K/N`; else GitLab's parallel job number, said on stderr when it is used."""
    if args.shard:
        return parse_shard(args.shard)
    found = shard_from_env(os.environ)
    if found is not None:
        _say(f"tandem: shard {found} (from {ENV_INDEX}/{ENV_TOTAL})", sys.stderr)
    return found


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


def _root(args: argparse.Namespace) -> Path:
    root = getattr(args, "root", None) or find_root(Path.cwd())
    if not root.is_dir():
        raise TandemError(f"--root {root}: no such directory")
    return root


def _list(args: argparse.Namespace) -> int:
    root = _root(args).resolve()
    config, found = find_projects(root)
    for warning in found.warnings:
        _say(f"tandem: warning: {warning}", sys.stderr)
    picked = selection(root, config, found, args.changed_since, default_junit(root))
    reasons = picked.chosen if picked else dict.fromkeys(p.name for p in found.projects)
    shard = _shard(args)
    if shard is not None:
        state = layout(root, config).state
        return _list_shard(state, found, shard, tuple(args.durations), reasons)
    rows = [_row(p, root, reasons[p.name]) for p in found.projects if p.name in reasons]
    if args.json:
        _say(json.dumps(rows, indent=2))
    width = max((len(row["path"]) for row in rows), default=0)
    for row in rows if not args.json else ():
        _say(_listed(row, width))
    if picked:
        _say(_left_out(picked), sys.stderr)
    return 0


def _list_shard(
    state: Path,
    found: Discovery,
    shard: Shard,
    durations: tuple[Path, ...],
    named: Mapping[str, Any],
) -> int:
    """`tandem list --shard K/N`: what that shard of `tandem check` would run and report."""
    from tandem import shard_plan  # only a shard's listing deals out work

    tasks = make_plan(found.projects, tuple(Step), named) if named else ()
    known = shard_plan.durations(state, durations)
    share = shard_plan.share_of(tasks, shard, known, found.broken)
    for line in shard_plan.describe(share, shard):
        _say(line)
    return 0


def _row(project: Project, root: Path, reason: str | None) -> dict[str, Any]:
    """A project as `list --json` gives it; with why it was chosen when a change chose it."""
    row = {
        "name": project.name,
        "language": project.language,
        "path": _shown(project.path, root),
        "needs": list(project.needs),
    }
    return row if reason is None else {**row, "reason": reason}


def _listed(row: Mapping[str, Any], width: int) -> str:
    """A project's line: what it needs; or, when a change chose it, why (paths padded to `width`)."""
    head = f"{row['name']:<24} {row['language']:<8} "
    if "reason" in row:
        return f"{head}{row['path']:<{width}}  {row['reason']}"
    needs = f"  needs {', '.join(row['needs'])}" if row["needs"] else ""
    return f"{head}{row['path']}{needs}"


def _left_out(picked: affected.Selection) -> str:
    """The closing line of an affected-only listing: what it left out, since which commit."""
    count = len(picked.left_out)
    since = f"since {picked.ref} ({picked.base[:7]})"
    if not count:
        return f"left out no projects: every one is affected {since}"
    noun = "project" if count == 1 else "projects"
    return f"left out {count} {noun} unaffected {since}: {', '.join(picked.left_out)}"


def _shown(path: Path, root: Path) -> str:
    """`path` relative to the root, or whole where a link led it outside."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _run(args: argparse.Namespace) -> int:
    color = wants_color(sys.stdout, os.environ)
    options = Options(
        steps=args.steps,
        projects=tuple(args.project),
        jobs=args.jobs,
        timeout=args.timeout,
        fail_fast=args.fail_fast,
        junit=args.junit,
        flavour=args.junit_flavor,
        fix=getattr(args, "fix", False),
        retries=getattr(args, "retries", 0),
        wait=args.wait,
        test_args=tuple(getattr(args, "test_args", ())),
        select=getattr(args, "select", None),
        cache=args.cache,
        changed_since=args.changed_since,
        shard=_shard(args),
        durations=tuple(args.durations),
    )
    live = wants_live(sys.stdout, os.environ)
    progress = Progress(_say, color, live, write=_write)
    try:
        result = run(
            _root(args),
            options,
            watcher=progress,
            on_wait=lambda message: _say(f"tandem: {message}", sys.stderr),
        )
    finally:
        progress.close()
    for warning in result.warnings:
        _say(f"tandem: warning: {warning}", sys.stderr)
    _say(f"report: {result.junit}")
    _say(text_summary(result.outcomes, result.elapsed, color))
    if github.active(os.environ):
        _on_github(result, _root(args).resolve())
    if result.lost:
        _say(f"tandem: {result.lost}; the report is at {result.junit}", sys.stderr)
    if result.interrupted:
        _say("tandem: interrupted; the report holds what finished", sys.stderr)
    return result.exit_code


def _on_github(result: RunResult, root: Path) -> None:
    """Annotations on the pull request's diff, and the summary on the job's page."""
    for line in github.annotations(result.outcomes, root):
        _say(line)
    problem = github.append_summary(os.environ, result.junit.parent / "summary.md")
    if problem:
        _say(f"tandem: warning: {problem}", sys.stderr)


def _merge(args: argparse.Namespace) -> int:
    from tandem.report.merge import merge_reports  # only `tandem merge` reads reports

    masker = Masker.from_env(os.environ)
    merge_reports(args.output, args.inputs, flavour=args.junit_flavor, masker=masker)
    _say(f"merged {len(args.inputs)} reports into {args.output}")
    return 0
