"""The command line: argparse -> the workflow's stages -> an exit code. The one place that prints errors.

Every mistake is one line on stderr. An error Tandem did not expect is one line too, exit
code 3, with its traceback in a crash log. Output to a reader that went away (`tandem check
| head -1`) stops quietly while the run goes on to write its report and exit as it would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tandem import arguments
from tandem.cache.remember import Invocation
from tandem.config import find_root, load_config
from tandem.mask import Masker
from tandem.model import Outcome, Project, Step, TandemError
from tandem.plan import make_plan
from tandem.report import github, gitlab
from tandem.report.progress import Progress, wants_color, wants_live
from tandem.report.summary import task_line, text_summary
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _parser().parse_args(argv)
    args.argv = tuple(sys.argv[1:] if argv is None else argv)
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


def _parser() -> argparse.ArgumentParser:
    """The command line, its commands handled here."""
    return arguments.parser({"list": _list, "run": _run, "merge": _merge})


def _shard(args: argparse.Namespace) -> Shard | None:
    """`--shard K/N`; else GitLab's parallel job number, said on stderr when it is used."""
    if args.shard:
        return parse_shard(args.shard)
    found = shard_from_env(os.environ)
    if found is not None:
        _say(f"tandem: shard {found} (from {ENV_INDEX}/{ENV_TOTAL})", sys.stderr)
    return found


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
    if project.generate:  # where its code generation is declared
        row["generate"] = project.generate.declared_in
    return row if reason is None else {**row, "reason": reason}


def _listed(row: Mapping[str, Any], width: int) -> str:
    """A project's line: what it needs; or, when a change chose it, why (paths padded to `width`)."""
    head = f"{row['name']:<24} {row['language']:<8} "
    if "reason" in row:
        return f"{head}{row['path']:<{width}}  {row['reason']}"
    needs = f"  needs {', '.join(row['needs'])}" if row["needs"] else ""
    generates = f"  generates code ({row['generate']})" if "generate" in row else ""
    return f"{head}{row['path']}{needs}{generates}"


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
    progress = Progress(_say, color, wants_live(sys.stdout, os.environ), write=_write)
    folded = gitlab.active(os.environ)
    if folded:
        _say(gitlab.section_start("tandem: every task, as it ended"))
    try:
        result = run(
            _root(args),
            _options(args),
            watcher=progress,
            on_wait=lambda message: _say(f"tandem: {message}", sys.stderr),
            remember_as=_invocation(args, color, folded),
        )
    finally:
        progress.close()
        if folded:
            _say(gitlab.section_end())
    _tell(result, color, _root(args).resolve())
    return result.exit_code


def _invocation(
    args: argparse.Namespace, color: bool, folded: bool
) -> Invocation | None:
    """The command line a run that replays everything is recorded for, with what it prints
    (`tandem.cache.noop`); None on a CI service, which is told more than the lines."""
    if folded or github.active(os.environ):
        return None

    def printed(outcomes: Sequence[Outcome], elapsed: float, junit: Path) -> str:
        lines = [task_line(outcome, color) for outcome in outcomes]
        return "".join(
            f"{line}\n" for line in (*lines, *_closing(junit, outcomes, elapsed, color))
        )

    return Invocation(args.argv, printed)


def _closing(
    junit: Path, outcomes: Sequence[Outcome], elapsed: float, color: bool
) -> tuple[str, str]:
    """Where the report is, and the summary."""
    return f"report: {junit}", text_summary(outcomes, elapsed, color)


def _options(args: argparse.Namespace) -> Options:
    """What a step command asks for, as the workflow takes it."""
    return Options(
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


def _tell(result: RunResult, color: bool, root: Path) -> None:
    """The warnings, where the report is, the summary; on GitHub its annotations too."""
    for warning in result.warnings:
        _say(f"tandem: warning: {warning}", sys.stderr)
    for line in _closing(result.junit, result.outcomes, result.elapsed, color):
        _say(line)
    if github.active(os.environ):
        _on_github(result, root)
    if result.lost:
        _say(f"tandem: {result.lost}; the report is at {result.junit}", sys.stderr)
    if result.interrupted:
        _say("tandem: interrupted; the report holds what finished", sys.stderr)


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
