"""report.html: the lane layout, escaping, totals that match the JUnit report, and the page as
headless Chromium renders it (the `tools` tests here).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tandem.model import UNAFFECTED, Step, TestCase, Verdict, case_for
from tandem.report import files
from tandem.report.html import html_report
from tandem.report.junit import Totals, write_junit
from tandem.report.timeline import (
    Placed,
    Span,
    place,
    slack,
    spans,
    tick_step,
    timeline_svg,
)
from tandem.workflow import write_reports
from tests.report.conftest import own_totals
from tests.report.sample_run import ELAPSED, flaky_count, ran, sample_run, task

DOCS = Path(__file__).parents[2] / "docs"
WINDOW = (1280, 1600)


class Page(HTMLParser):
    """What a reader of the page gets: totals, task rows, failure cards, bars and links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.totals: dict[str, int] = {}
        self.rows: list[dict] = []  # the attributes of each task row, and its cells
        self.cases: list[dict] = []  # the attributes of each failure card
        self.bars: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.shown = ""
        self._into: tuple[str, ...] = ()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if "data-total" in found:
            self._into = ("total", found["data-total"])
        elif tag == "tr" and "data-status" in found:
            self.rows.append({**found, "cells": []})
        elif tag == "td" and self.rows and self._into != ("closed",):
            self.rows[-1]["cells"].append("")
            self._into = ("cell",)
        self._collect(tag, found)

    def _collect(self, tag: str, found: dict) -> None:
        if tag == "article":
            self.cases.append(found)
        elif tag == "g" and "bar" in found.get("class", ""):
            self.bars.append(found)
        elif tag == "output":
            self._into = ("shown",)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dd", "td", "output"):
            self._into = ()
        elif tag == "tbody":
            self._into = ("closed",)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._into[:1] == ("total",):
            self.totals[self._into[1]] = int(data)
        elif self._into == ("cell",):
            self.rows[-1]["cells"][-1] += data
        elif self._into == ("shown",):
            self.shown += data

    def visible(self, items: list[dict]) -> list[dict]:
        """The items no `hidden` attribute hides."""
        return [item for item in items if "hidden" not in item]


def junit_totals(outcomes, tmp_path: Path) -> tuple[Totals, ET.Element]:
    """The totals of the JUnit report written for `outcomes`, read back from the file."""
    path = tmp_path / "junit.xml"
    write_junit(path, outcomes, elapsed=ELAPSED, hostname="ci")
    root = ET.parse(path).getroot()
    return own_totals(root), root


def as_dict(totals: Totals) -> dict[str, int]:
    """The totals as the page labels them."""
    return {**totals._asdict(), "passed": totals.passed}


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, ET.Element]:
    """The sample run's report.html, and the root of the junit.xml written beside it."""
    junit = tmp_path / "reports" / "junit.xml"
    junit.parent.mkdir()
    landing = write_reports(junit, sample_run(), ELAPSED, "strict", tmp_path)
    assert landing.junit == junit
    return junit.parent / files.HTML, ET.parse(junit).getroot()


# --- the lane layout -------------------------------------------------------------------


def overlaps(bars: tuple[Placed, ...]) -> list[tuple[str, str]]:
    """Pairs of bars that share a lane at the same time."""
    return [
        (a.name, b.name)
        for i, a in enumerate(bars)
        for b in bars[i + 1 :]
        if a.lane < b.lane + b.slots and b.lane < a.lane + a.slots
        if a.start < b.end and b.start < a.end
    ]


def random_spans(seed: int, count: int = 60) -> list[Span]:
    """Spans of 1 to 3 slots, some starting together, as a busy run has them."""
    rng = random.Random(seed)
    spans = []
    for n in range(count):
        start = float(rng.randrange(0, 40))
        spans.append(
            Span(f"t{n}", start, start + rng.uniform(0.1, 9), rng.choice((1, 1, 2, 3)))
        )
    return spans


@pytest.mark.parametrize("leeway", [0.0, 1.0])
@pytest.mark.parametrize("seed", range(5))
def test_no_two_bars_share_a_lane_at_once(seed, leeway):
    spans = random_spans(seed)
    bars = place(spans, leeway)
    assert overlaps(bars) == []
    for span, bar in zip(spans, bars):
        assert (bar.name, bar.slots) == (span.name, span.slots)
        assert span.start <= bar.start <= span.start + leeway
        assert bar.end - bar.start == pytest.approx(span.end - span.start)


def test_a_two_slot_task_takes_two_adjacent_lanes():
    spans = [
        Span("a", 0, 5, 1),
        Span("b", 0, 1, 1),
        Span("c", 0, 5, 1),
        Span("wide", 2, 4, 2),
    ]
    bars = place(spans)
    assert [bar.lane for bar in bars[:3]] == [0, 1, 2]
    # Lane 1 is free but lane 2 is not: the wide task gets two new lanes side by side.
    assert (bars[3].lane, bars[3].slots) == (3, 2)
    assert overlaps(bars) == []


def test_lanes_are_added_rather_than_overlap():
    bars = place([Span(name, 0, 3, 1) for name in "abc"])
    assert sorted(bar.lane for bar in bars) == [0, 1, 2]


def test_a_freed_lane_is_used_again():
    bars = place([Span("a", 0, 2, 1), Span("b", 0, 5, 1), Span("c", 2, 4, 1)])
    assert [bar.lane for bar in bars] == [0, 1, 0]


def test_the_layout_does_not_depend_on_the_order_of_the_tasks():
    spans = random_spans(7)
    by_name = {bar.name: bar for bar in place(spans, 1.0)}
    shuffled = spans[:]
    random.Random(1).shuffle(shuffled)
    assert {bar.name: bar for bar in place(shuffled, 1.0)} == by_name
    assert place(spans, 1.0) == place(spans, 1.0)


def test_a_start_kept_to_the_second_follows_the_task_it_waited_for():
    # b really started when a ended at 2.4; its start was kept as 2.
    spans = [Span("a", 0, 2.4, 1), Span("b", 2, 3, 1)]
    assert place(spans) == (Placed("a", 0, 0, 2.4, 1), Placed("b", 1, 2, 3, 1))
    assert place(spans, 1.0) == (Placed("a", 0, 0, 2.4, 1), Placed("b", 0, 2.4, 3.4, 1))


def test_a_lane_free_at_the_start_comes_before_waiting_for_one():
    # Three tasks at once later on need three lanes anyway: b need not wait for a.
    later = [Span(name, 5, 6, 1) for name in "xyz"]
    bars = place([Span("a", 0, 2.4, 1), Span("b", 2, 3, 1), *later], 1.0)
    assert [(bar.lane, bar.start) for bar in bars[:2]] == [(0, 0), (1, 2)]
    assert overlaps(bars) == []


def test_exact_starts_are_drawn_where_they_are():
    first = ran("orders", Step.BUILD, 0, 2.4)
    later = replace(first, started=first.started + timedelta(seconds=2.1))
    assert slack([first, later]) == 0.0 and slack(sample_run()) == 1.0
    svg = timeline_svg([first, later])
    assert svg.count('class="lane"') == 2  # they overlap: no lane is shared


@pytest.mark.parametrize(
    ("length", "step"), [(0.4, 0.05), (7.9, 1), (10, 1), (42, 5), (95, 10), (3600, 500)]
)
def test_time_marks_fall_on_round_seconds(length, step):
    assert tick_step(length) == pytest.approx(step)


# --- the page ---------------------------------------------------------------------------


def test_the_totals_are_those_of_the_junit_report(tmp_path):
    outcomes = sample_run()
    expected, root = junit_totals(outcomes, tmp_path)
    page = Page(html_report(outcomes, ELAPSED))
    assert page.totals == as_dict(expected)
    assert len(page.rows) == len(root.findall("testsuite")) == len(outcomes)
    sums = [sum(int(row["cells"][i]) for row in page.rows) for i in range(4, 9)]
    assert sums == [expected.tests, expected.passed, *expected[1:]]


def test_failures_come_first_with_their_output_and_rerun_commands():
    text = html_report(sample_run(), ELAPSED)
    order = [
        text.index(f'<section id="{name}"')
        for name in ("failures", "timeline", "tasks")
    ]
    assert order == sorted(order)
    assert text.index('id="filters"') < order[0]
    page = Page(text)
    assert [case["data-status"] for case in page.cases] == ["error", "failed", "failed"]
    assert "tandem test -p pricing -- tests/test_rules.py::TestDiscounts::" in text
    assert "tests/test_rules.py:48: AssertionError" in "".join(page.text)
    assert "<summary>standard output</summary><pre>rules loaded: 12" in text


def test_what_tests_wrote_stays_text():
    nasty = '<script>alert("x")</script>'
    case = TestCase(
        'pkg/"><img src=x onerror=alert(1)>',
        nasty,
        verdict=Verdict.FAILURE,
        message=nasty,
        text=nasty,
        stdout=nasty,
    )
    text = html_report([ran("orders", Step.TEST, 0, 1, case)], 1.0)
    page = Page(text)
    assert [tag for tag, _ in page.tags].count("script") == 1
    assert "img" not in [tag for tag, _ in page.tags]
    assert nasty in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text


def test_filters_by_project_step_and_status():
    outcomes = [
        *sample_run(),
        case_for(
            task("orders", Step.FMT),
            Verdict.SKIPPED,
            UNAFFECTED,
            "not run: unchanged since origin/main",
        ),
    ]
    page = Page(html_report(outcomes, ELAPSED))
    selects = [attrs["name"] for tag, attrs in page.tags if tag == "select"]
    assert selects == ["project", "step", "status"]
    options = {attrs["value"] for tag, attrs in page.tags if tag == "option"}
    projects = {"catalog", "contract-tests", "gokit", "orders", "pricing"}
    statuses = {"passed", "failed", "error", "skipped", "cached", "left-out"}
    steps = {"build", "fmt", "vet", "test"}  # the steps the sample run holds
    assert options == {""} | projects | steps | statuses
    for row in page.rows:
        assert {"data-project", "data-step", "data-status", "data-tags"} <= row.keys()
    tags = {row["cells"][0]: row["data-tags"] for row in page.rows}
    assert tags["catalog:test"] == "cached" and tags["pricing:test"] == ""
    assert [row["cells"][-1] for row in page.rows].count("left out") == 1


def test_without_javascript_everything_is_shown():
    page = Page(html_report(sample_run(), ELAPSED))
    form = next(attrs for tag, attrs in page.tags if tag == "form")
    assert "hidden" in form
    assert page.visible(page.rows) == page.rows
    assert page.visible(page.cases) == page.cases


def test_nothing_is_fetched_from_the_network():
    text = html_report(sample_run(), ELAPSED)
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""\b(?:src|href|action)\s*=|@import|url\(""", text)
    assert not re.search(r"<(?:link|iframe|img|object|embed)\b", text)


def test_the_timeline_draws_the_tasks_that_ran_on_their_slots():
    outcomes = sample_run()
    page = Page(html_report(outcomes, ELAPSED))
    drawn = [o for o in outcomes if o.slots > 0]
    assert len(page.bars) == len(drawn) == 12
    projects = {bar["data-project"] for bar in page.bars}
    assert projects == {"orders", "pricing", "contract-tests"}
    assert "8 tasks replayed from the cache took no CPU" in page.text
    svg = timeline_svg(outcomes)
    assert "<title>contract-tests:test: 5.20 s on 2 slots, passed</title>" in svg
    busy = [
        replace(o, cpu=4.0) if o.task.id == "contract-tests:test" else o
        for o in outcomes
    ]
    assert (
        "contract-tests:test: 5.20 s on 2 slots, 4.00 s of CPU, passed"
        in timeline_svg(busy)
    )
    wide = re.search(r"on 2 slots.*?<rect [^>]*height=\"(\d+)\"", svg)
    assert int(wide[1]) > 2 * 20  # two lanes tall
    assert flaky_count(outcomes) == 1
    assert "1 flaky" in [row["cells"][-1] for row in page.rows]


def test_an_empty_run_is_a_page_too():
    page = Page(html_report([], 0.0))
    assert page.totals == as_dict(Totals())
    assert page.rows == [] and page.bars == []
    assert "No task ran: there is nothing to draw." in page.text


def test_starts_in_other_time_zones_and_naive_ones_line_up():
    first = ran("orders", Step.BUILD, 0, 1)
    east = first.started.astimezone(timezone(timedelta(hours=2)))
    naive = first.started.replace(tzinfo=None) + timedelta(seconds=3)
    east, naive = replace(first, started=east), replace(first, started=naive)
    bars = place(spans([first, east, naive]))
    assert [(bar.lane, bar.start) for bar in bars] == [(0, 0), (1, 0), (0, 3)]


def test_it_is_written_beside_the_junit_report_and_set_aside_with_it(written):
    page, _ = written
    junit = page.with_name("junit.xml")
    assert page.is_file() and page in files.written(junit)
    files.set_aside(junit)
    assert not page.exists() and (junit.parent / "report.html.previous").is_file()


# --- in a browser -----------------------------------------------------------------------


def chromium() -> str:
    """Debian's chromium; a failure, not a skip, when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")
    if found is None:
        pytest.fail(
            "no chromium on the PATH: the HTML report is checked in Debian's chromium package; "
            "`ci/run tests` installs it when run as root (apt-get install chromium)"
        )
    return found


def headless(tmp_path: Path, *args: str) -> str:
    """Run headless chromium with its own profile; its standard output."""
    profile = tmp_path / "profile"
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        # No calls home: the page is local, and the machine reaches no other host.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.tools
def test_chromium_renders_the_junit_totals(written, tmp_path):
    page_path, root = written
    page = Page(headless(tmp_path, "--dump-dom", page_path.as_uri()))
    assert page.totals == as_dict(own_totals(root))
    suites = [suite.get("name") for suite in root.iter("testsuite")]
    assert sorted(row["cells"][0] for row in page.visible(page.rows)) == sorted(suites)
    red = own_totals(root).failures + own_totals(root).errors
    assert len(page.visible(page.cases)) == red
    assert page.shown == f"{len(suites)} of {len(suites)} tasks shown"
    form = next(attrs for tag, attrs in page.tags if tag == "form")
    assert "hidden" not in form  # the script ran


@pytest.mark.tools
def test_chromium_filters_by_the_address(written, tmp_path):
    page_path, root = written
    page = Page(headless(tmp_path, "--dump-dom", page_path.as_uri() + "#status=failed"))
    suites = list(root.iter("testsuite"))
    failed = [
        suite.get("name")
        for suite in suites
        if int(suite.get("failures")) and not int(suite.get("errors"))
    ]
    assert sorted(row["cells"][0] for row in page.visible(page.rows)) == sorted(failed)
    assert len(page.visible(page.cases)) == own_totals(root).failures
    assert page.shown == f"{len(failed)} of {len(suites)} tasks shown"
    lit = [bar for bar in page.bars if "dim" not in bar["class"].split()]
    assert sorted(f"{b['data-project']}:{b['data-step']}" for b in lit) == sorted(
        failed
    )


@pytest.mark.tools
def test_chromium_takes_the_screenshot_in_the_docs(written, tmp_path):
    page_path, _ = written
    shot = tmp_path / "report.png"
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    args = ("--hide-scrollbars", f"--screenshot={shot}", size, page_path.as_uri())
    headless(tmp_path, *args)
    assert png_size(shot) == WINDOW
    if os.environ.get("TANDEM_UPDATE_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "report.png")
    message = (
        "docs/report.png is missing or resized; TANDEM_UPDATE_SCREENSHOT=1 makes it"
    )
    docs = DOCS / "report.png"
    assert docs.is_file() and png_size(docs) == WINDOW, message
