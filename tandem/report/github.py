"""GitHub Actions: an annotation per red case, and the Markdown summary on the job's page.

Annotations are workflow commands on standard output (`::error file=F,line=N,title=T::text`),
which GitHub shows on the pull request's diff; it keeps at most 10 errors per step, so the
first ones are the failures listed first by the summary too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tandem.model import Outcome, TestCase
from tandem.report.junit import file_prefix, report_cases
from tandem.report.text import clean

MAX_ANNOTATIONS = 50


def active(environ: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job."""
    return environ.get("GITHUB_ACTIONS") == "true"


def annotations(outcomes: Sequence[Outcome], root: Path) -> list[str]:
    """One `::error` command per red case (at most 50), files relative to the root."""
    found = [
        _annotation(case, file_prefix(outcome.task.project.path, root), outcome.task.id)
        for outcome in outcomes
        for case in report_cases(outcome)
        if case.red
    ]
    return found[:MAX_ANNOTATIONS]


def _annotation(case: TestCase, prefix: str, task: str) -> str:
    fields = {"title": f"{task} {clean(case.classname)}/{clean(case.name)}"}
    if case.file:
        fields["file"] = prefix + case.file
        fields.update({"line": str(case.line)} if case.line else {})
    props = ",".join(
        f"{key}={_escape_property(value)}" for key, value in fields.items()
    )
    message = case.message or case.text or case.type
    return f"::error {props}::{_escape_data(clean(message))}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def append_summary(environ: Mapping[str, str], markdown: Path) -> str | None:
    """Add the run's summary.md to the job's step summary; a warning when that fails."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target or not markdown.is_file():
        return None
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(markdown.read_text(encoding="utf-8"))
    except OSError as exc:
        return f"could not add the summary to GITHUB_STEP_SUMMARY ({exc.strerror})"
    return None
