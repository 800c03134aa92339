"""What people read: a line per finished task, the end-of-run summary and a Markdown summary.

The red cases come last, just above the totals, where the eye lands when a run
ends. The closing line `tandem: N passed, N failed, N skipped` is read by CI
tooling, so it is never coloured. Whether to colour is the caller's decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from tandem.model import UNAFFECTED, Outcome, Status, TestCase, Verdict
from tandem.report.junit import report_cases
from tandem.report.text import clean, message_text

LABELS = {
    Status.PASSED: "PASS",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIP",
}
COLOURS = {
    Status.PASSED: "32",
    Status.FAILED: "31",
    Status.ERROR: "31",
    Status.SKIPPED: "33",
}
ICONS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.ERROR: "💥",
    Status.SKIPPED: "⏭️",
}
SHOWN_CASES = 30  # red cases shown in full; the report has the rest
SHOWN_LINES = 8  # lines of each red case's text in the terminal
MARKDOWN_LINES = 20
LINE_WIDTH = 300


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _counts(cases: Iterable[TestCase]) -> dict[Verdict, int]:
    counts = dict.fromkeys(Verdict, 0)
    for case in cases:
        counts[case.verdict] += 1
    return counts


def _all_cases(outcomes: Iterable[Outcome]) -> list[tuple[Outcome, TestCase]]:
    return [(outcome, case) for outcome in outcomes for case in report_cases(outcome)]


def task_line(outcome: Outcome, color: bool = False) -> str:
    """One line for a finished task: verdict, project:step, what its cases add up to, seconds."""
    status = outcome.status
    label = _paint(f"{LABELS[status]:<5}", COLOURS[status], color)
    replayed = " (cached)" if outcome.replayed else ""
    return f"{label} {outcome.task.id}  {_detail(outcome)}  {outcome.duration:.2f}s{replayed}"


def _detail(outcome: Outcome) -> str:
    cases = report_cases(outcome)
    if outcome.status is Status.SKIPPED:
        reasons = (message_text(case.message) for case in cases)
        return next((reason for reason in reasons if reason), "skipped")
    counts, flaky = _counts(cases), sum(map(is_flaky, cases))
    passed = f"{counts[Verdict.PASSED]} passed" + (f" ({flaky} flaky)" if flaky else "")
    parts = [f"{counts[Verdict.FAILURE]} failed"] if counts[Verdict.FAILURE] else []
    errors = counts[Verdict.ERROR]
    parts += [f"{errors} error" + ("s" if errors > 1 else "")] if errors else []
    parts += [f"{counts[Verdict.SKIPPED]} skipped"] if counts[Verdict.SKIPPED] else []
    return ", ".join([passed, *parts])


def closing_line(outcomes: Sequence[Outcome]) -> str:
    """`tandem: N passed, N failed, N skipped`, errors counted as failed."""
    counts = _counts(case for _, case in _all_cases(outcomes))
    failed = counts[Verdict.FAILURE] + counts[Verdict.ERROR]
    passed, skipped = counts[Verdict.PASSED], counts[Verdict.SKIPPED]
    return f"tandem: {passed} passed, {failed} failed, {skipped} skipped"


def totals_line(outcomes: Sequence[Outcome], elapsed: float) -> str:
    """Tests, tasks and seconds, worded so that it never reads like the closing line."""
    counts = _counts(case for _, case in _all_cases(outcomes))
    tests = sum(counts.values())
    return (
        f"{tests} tests in {len(outcomes)} tasks, {elapsed:.2f}s:"
        f" passed {counts[Verdict.PASSED]}, failures {counts[Verdict.FAILURE]},"
        f" errors {counts[Verdict.ERROR]}, skipped {counts[Verdict.SKIPPED]}"
    )


def cache_line(outcomes: Sequence[Outcome]) -> str:
    """`replayed N of M tasks from the cache`; "" when none was."""
    replayed = sum(outcome.replayed for outcome in outcomes)
    ran = [o for o in outcomes if not _left_out(o)]
    return f"replayed {replayed} of {len(ran)} tasks from the cache" if replayed else ""


def left_out_line(outcomes: Sequence[Outcome]) -> str:
    """`left out N projects: <why>: a, b`, for `--changed-since`; "" when none was."""
    left = [o for o in outcomes if _left_out(o)]
    if not left:
        return ""
    names = list(dict.fromkeys(o.task.project.name for o in left))
    why = message_text(left[0].cases[0].message).removeprefix("not run: ")
    shown = ", ".join(names[:SHOWN_CASES]) + (
        ", ..." if len(names) > SHOWN_CASES else ""
    )
    return f"left out {len(names)} projects ({why}): {shown}"


def _left_out(outcome: Outcome) -> bool:
    return any(case.type == UNAFFECTED for case in outcome.cases)


def is_flaky(case: TestCase) -> bool:
    """Passed after failed attempts (reruns)."""
    return case.verdict is Verdict.PASSED and bool(case.attempts)


def flaky_line(outcomes: Sequence[Outcome], shown: Callable[[TestCase], str]) -> str:
    """`flaky: N (passed on retry): ...`, each test as `shown` writes it; "" when none is."""
    flaky = [case for _, case in _all_cases(outcomes) if is_flaky(case)]
    if not flaky:
        return ""
    names = [shown(case) for case in flaky[:SHOWN_CASES]]
    more = [f"and {len(flaky) - SHOWN_CASES} more"] if len(flaky) > SHOWN_CASES else []
    return f"flaky: {len(flaky)} (passed on retry): {', '.join(names + more)}"


def _red(outcomes: Sequence[Outcome]) -> list[tuple[Outcome, TestCase]]:
    return [(outcome, case) for outcome, case in _all_cases(outcomes) if case.red]


def _excerpt(case: TestCase, lines: int) -> list[str]:
    """The message, then the first `lines` lines of the text, each cut to LINE_WIDTH."""
    message = message_text(case.message)
    body = [line[:LINE_WIDTH] for line in clean(case.text).strip("\n").split("\n")]
    body = body[1:] if message and body and body[0].strip() == message else body
    head = ([message] if message else []) + [line for line in body if line.strip()]
    cut = len(head) - lines
    return head[:lines] + ([f"... ({cut} more lines)"] if cut > 0 else [])


def text_summary(
    outcomes: Sequence[Outcome], elapsed: float, color: bool = False
) -> str:
    """The end-of-run summary: skipped tasks, red cases at the bottom, then the totals."""
    skip = _paint("SKIP ", COLOURS[Status.SKIPPED], color)
    skipped = [o for o in outcomes if o.status is Status.SKIPPED and not _left_out(o)]
    lines = [f"{skip} {o.task.id}  {_detail(o)}" for o in skipped]
    lines += [line for line in (left_out_line(outcomes), cache_line(outcomes)) if line]
    flaky = flaky_line(
        outcomes, lambda case: f"{clean(case.classname)}/{clean(case.name)}"
    )
    lines += [flaky] if flaky else []
    red = _red(outcomes)
    for outcome, case in red[:SHOWN_CASES]:
        lines += _red_lines(outcome, case, color)
    if len(red) > SHOWN_CASES:
        lines.append(
            f"... and {len(red) - SHOWN_CASES} more red cases in the JUnit report"
        )
    lines += ["", totals_line(outcomes, elapsed), closing_line(outcomes)]
    return "\n".join(lines if lines[0] else lines[1:]) + "\n"


def _red_lines(outcome: Outcome, case: TestCase, color: bool) -> list[str]:
    label = LABELS[Status.ERROR if case.verdict is Verdict.ERROR else Status.FAILED]
    where = f"{outcome.task.id}  {clean(case.classname)}/{clean(case.name)}{_at(case)}"
    excerpt = [f"      {line}" for line in _excerpt(case, SHOWN_LINES)]
    reruns = [f"      {name}: {command}" for name, command in rerun_commands(case)]
    head = f"{_paint(f'{label:<5}', COLOURS[Status.FAILED], color)} {where}"
    return [head, *excerpt, *reruns]


def _at(case: TestCase) -> str:
    """`  (file:line)` where the case says where it failed, project-relative; else "" (also
    when its name is the file already, as a formatting case's is)."""
    if not case.file or case.file in case.name:
        return ""
    return f"  ({clean(case.file)}{f':{case.line}' if case.line else ''})"


def rerun_commands(case: TestCase) -> list[tuple[str, str]]:
    """How to run a red test again alone: the tool's command and Tandem's, where known."""
    found = dict(case.properties)
    named = (("rerun", "rerun"), ("rerun.tandem", "or"))
    return [(label, found[key]) for key, label in named if key in found]


def markdown_summary(outcomes: Sequence[Outcome], elapsed: float) -> str:
    """A CI step summary: the totals, one table row per task, red cases in short code blocks."""
    good = all(outcomes)
    heading = f"## {'✅' if good else '❌'} {closing_line(outcomes)}"
    lines = [heading, "", totals_line(outcomes, elapsed), ""]
    notes = [line for line in (left_out_line(outcomes), cache_line(outcomes)) if line]
    lines += [*notes, ""] if notes else []
    lines += _table([o for o in outcomes if not _left_out(o)])
    flaky = flaky_line(outcomes, lambda case: _code(f"{case.classname}/{case.name}"))
    lines += ["", flaky] if flaky else []
    red = _red(outcomes)
    if red:
        lines += ["", "### Failures"]
    for outcome, case in red[:SHOWN_CASES]:
        lines += [
            "",
            f"**{_md(outcome.task.id)}** {_code(case.classname)} {_code(case.name)}",
        ]
        lines += _block(_excerpt(case, MARKDOWN_LINES))
        lines += [
            f"{label}: {_code(command)}  " for label, command in rerun_commands(case)
        ]
    if len(red) > SHOWN_CASES:
        lines += [
            "",
            f"… and {len(red) - SHOWN_CASES} more red cases in the JUnit report.",
        ]
    return "\n".join(lines) + "\n"


def _table(outcomes: Sequence[Outcome]) -> list[str]:
    rows = ["| Task | Result | Passed | Failed | Errors | Skipped | Time |"]
    rows.append("|---|---|--:|--:|--:|--:|--:|")
    for outcome in outcomes:
        counts, status = _counts(report_cases(outcome)), outcome.status
        cells = [_md(outcome.task.id), f"{ICONS[status]} {LABELS[status]}"]
        cells += [str(counts[verdict]) for verdict in Verdict]
        rows.append(f"| {' | '.join(cells)} | {outcome.duration:.2f}s |")
    return rows


def _md(text: str) -> str:
    """Plain text safe inside a table cell or a bold span."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", clean(text))


def _code(text: str) -> str:
    """An inline code span that holds any backticks `text` contains."""
    text = clean(text).replace("\n", " ")
    ticks = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _block(lines: list[str]) -> list[str]:
    """A fenced code block longer than any backtick run inside it."""
    runs = re.findall("`+", "\n".join(lines))
    fence = "`" * max([3, *(len(run) + 1 for run in runs)])
    return [f"{fence}text", *lines, fence]
