"""`report.html`: the run as one self-contained page, written beside the JUnit report.

The counts come from the same report model as `junit.xml`, so the page and the file agree by
construction. Everything a test or a tool wrote is escaped; nothing is fetched from the
network. Without JavaScript every failure and task is shown; with it, select boxes filter
them by project, step and status (also from the address: `report.html#status=failed`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from tandem.model import UNAFFECTED, Outcome, Status, Step, TestCase, Verdict
from tandem.report.junit import Totals, build_report, count, report_cases, totals
from tandem.report.page import SCRIPT, STYLE
from tandem.report.summary import (
    LABELS,
    cache_line,
    closing_line,
    flaky_line,
    is_flaky,
    left_out_line,
    rerun_commands,
)
from tandem.report.text import clean, message_text, utc_timestamp, xml_text
from tandem.report.timeline import as_utc, timeline_notes, timeline_svg

SHOWN_FAILURES = 200  # red cases shown in full; the JUnit report has the rest
BODY = 16384  # characters of each text or output shown


def esc(text: str) -> str:
    """`text` cleaned of terminal escapes and made safe inside HTML text and attributes."""
    return html.escape(clean(text))


def html_report(outcomes: Sequence[Outcome], elapsed: float) -> str:
    """The run's page: totals, failures first, filters, the timeline and every task."""
    report = build_report(outcomes, elapsed=elapsed)
    rows = list(zip(outcomes, (count(suite.cases) for suite in report.suites)))
    body = [
        _header(outcomes, totals(report), elapsed),
        _filters(outcomes),
        _failures(outcomes),
        _timeline(outcomes),
        _tasks(rows),
    ]
    return _page(closing_line(outcomes), "\n".join(body))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _header(outcomes: Sequence[Outcome], sums: Totals, elapsed: float) -> str:
    good = "green" if all(outcomes) else "red"
    shown = ("tests", "passed", "failures", "errors", "skipped")
    cells = "".join(
        f'<div class="total {key}"><dt>{key}</dt>'
        f'<dd data-total="{key}">{getattr(sums, key)}</dd></div>'
        for key in shown
    )
    flaky = flaky_line(outcomes, lambda case: f"{case.classname}/{case.name}")
    notes = (left_out_line(outcomes), cache_line(outcomes), flaky)
    started = min(map(as_utc, (o.started for o in outcomes)), default=None)
    when = f", started {utc_timestamp(started)} UTC" if started else ""
    return (
        f'<header class="{good}"><h1>{esc(closing_line(outcomes))}</h1>'
        f'<p class="meta">{len(outcomes)} tasks in {elapsed:.2f} s{when}</p>'
        f'<dl class="totals">{cells}</dl>'
        + "".join(f'<p class="note">{esc(note)}</p>' for note in notes if note)
        + "</header>"
    )


def _filters(outcomes: Sequence[Outcome]) -> str:
    """Select boxes, hidden until the script shows them: without it nothing is filtered."""
    projects = sorted({o.task.project.name for o in outcomes})
    steps = [s.value for s in Step if any(o.task.step is s for o in outcomes)]
    tags = {tag for outcome in outcomes for tag in _tags(outcome)}
    statuses = [s.value for s in Status] + [
        t for t in ("cached", "left-out") if t in tags
    ]
    selects = (("project", projects), ("step", steps), ("status", statuses))
    return (
        '<form id="filters" class="filters" hidden>'
        + "".join(_select(name, values) for name, values in selects)
        + '<output id="shown"></output></form>'
    )


def _select(name: str, values: Iterable[str]) -> str:
    options = "".join(
        f'<option value="{esc(v)}">{esc(v.replace("-", " "))}</option>' for v in values
    )
    return (
        f'<label>{name} <select name="{name}"><option value="">all</option>'
        f"{options}</select></label>"
    )


def _tags(outcome: Outcome) -> list[str]:
    """`cached` for a task replayed from the cache, `left-out` for one a change did not reach."""
    tags = ["cached"] if outcome.replayed else []
    if any(case.type == UNAFFECTED for case in outcome.cases):
        tags.append("left-out")
    return tags


def _marks(outcome: Outcome, status: str) -> str:
    """The data attributes the filters read."""
    task = outcome.task
    return (
        f'data-project="{esc(task.project.name)}" data-step="{task.step.value}" '
        f'data-status="{status}" data-tags="{" ".join(_tags(outcome))}"'
    )


def _failures(outcomes: Sequence[Outcome]) -> str:
    red = [(o, case) for o in outcomes for case in report_cases(o) if case.red]
    if not red:
        return '<section id="failures"><h2>Failures</h2><p>None.</p></section>'
    shown = [_failure(outcome, case) for outcome, case in red[:SHOWN_FAILURES]]
    if len(red) > SHOWN_FAILURES:
        more = len(red) - SHOWN_FAILURES
        shown.append(f"<p>… and {more} more red cases in the JUnit report.</p>")
    return (
        f'<section id="failures"><h2>Failures <span class="count">{len(red)}</span></h2>'
        + "\n".join(shown)
        + "</section>"
    )


def _failure(outcome: Outcome, case: TestCase) -> str:
    status = Status.ERROR if case.verdict is Verdict.ERROR else Status.FAILED
    message = message_text(case.message)
    parts = [
        (
            f'<h3><span class="badge {status.value}">{LABELS[status]}</span> '
            f"{esc(outcome.task.id)} <code>{esc(case.classname)}</code> "
            f"<code>{esc(case.name)}</code></h3>"
        ),
        f'<p class="message">{esc(message)}</p>' if message else "",
        f"<pre>{esc(xml_text(case.text, BODY))}</pre>" if case.text.strip() else "",
        _output("standard output", case.stdout),
        _output("standard error", case.stderr),
        _attempts(case),
        *(
            f'<p class="rerun">{esc(label)}: <code>{esc(command)}</code></p>'
            for label, command in rerun_commands(case)
        ),
    ]
    marks = _marks(outcome, status.value)
    return f'<article class="case {status.value}" {marks}>{"".join(parts)}</article>'


def _output(title: str, text: str) -> str:
    if not text.strip():
        return ""
    body = esc(xml_text(text, BODY))
    return f"<details><summary>{title}</summary><pre>{body}</pre></details>"


def _attempts(case: TestCase) -> str:
    runs = len(case.attempts) + 1
    return f'<p class="attempts">failed in all {runs} runs</p>' if runs > 1 else ""


def _timeline(outcomes: Sequence[Outcome]) -> str:
    svg = timeline_svg(outcomes) or "<p>No task ran: there is nothing to draw.</p>"
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in timeline_notes(outcomes))
    return f'<section id="timeline"><h2>Timeline</h2>{svg}{notes}</section>'


HEADINGS = ("task", "project", "step", "status", "tests", "passed", "failures")
HEADINGS += ("errors", "skipped", "time", "slots", "note")
STEPS = {step: index for index, step in enumerate(Step)}


def _tasks(rows: list[tuple[Outcome, Totals]]) -> str:
    """Every task by project, then step in the order people read them."""
    rows = sorted(
        rows, key=lambda row: (row[0].task.project.name, STEPS[row[0].task.step])
    )
    head = "".join(f"<th>{name}</th>" for name in HEADINGS)
    body = "\n".join(_row(outcome, sums) for outcome, sums in rows)
    return (
        f'<section id="tasks"><h2>Tasks <span class="count">{len(rows)}</span></h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></section>"
    )


def _row(outcome: Outcome, sums: Totals) -> str:
    task, status = outcome.task, outcome.status
    numbers = (sums.tests, sums.passed, sums.failures, sums.errors, sums.skipped)
    cells = [
        esc(task.id),
        esc(task.project.name),
        task.step.value,
        f'<span class="badge {status.value}">{LABELS[status]}</span>',
        *map(str, numbers),
        f"{outcome.duration:.2f} s",
        str(outcome.slots or ""),
        esc(_note(outcome)),
    ]
    tds = "".join(f"<td>{cell}</td>" for cell in cells)
    return f'<tr class="{status.value}" {_marks(outcome, status.value)}>{tds}</tr>'


def _note(outcome: Outcome) -> str:
    words = [tag.replace("-", " ") for tag in _tags(outcome)]
    flaky = sum(map(is_flaky, report_cases(outcome)))
    if flaky:
        words.append(f"{flaky} flaky")
    return ", ".join(words)
