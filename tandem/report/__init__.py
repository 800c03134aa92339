"""The run's report: one JUnit XML file, `tandem merge`, and the summaries people read."""

from __future__ import annotations

from tandem.report.junit import (
    Report,
    Totals,
    build_report,
    render,
    totals,
    write_junit,
    write_report,
)
from tandem.report.merge import merge_reports, read_junit
from tandem.report.summary import markdown_summary, task_line, text_summary
from tandem.report.text import xml_text

__all__ = [
    "Report",
    "Totals",
    "build_report",
    "markdown_summary",
    "merge_reports",
    "read_junit",
    "render",
    "task_line",
    "text_summary",
    "totals",
    "write_junit",
    "write_report",
    "xml_text",
]
