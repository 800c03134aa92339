"""A pytest plugin Tandem loads into the pytest it runs: which tests started, which ended.

pytest's `--junitxml` report never names the test it was running when it was stopped. When
`TANDEM_PROGRESS` names a file, this plugin appends one JSON line to it per event: `start` and
`end` with each test's node id, from the process that reports (xdist's controller, to which
the workers forward these hooks), and `stopped` with the captured output of a test that a
KeyboardInterrupt cut short, from the process that ran it, naming the fixture of wider scope
than the test that was being set up then, if one was. Tandem reads it back in
`tandem.adapters.pytest_progress`. It imports nothing from Tandem and runs on old Pythons and
pytests too: it runs inside the project's own environment.
"""

from __future__ import annotations

import json
import os

import pytest

ENV = "TANDEM_PROGRESS"


class Progress:
    """Appends events to one file, each line in one write, so processes never mix lines."""

    def __init__(self, path: str, reporting: bool) -> None:
        self.path, self.reporting = path, reporting
        self.fixture: tuple[str, str] | None = (
            None  # (name, scope) an interrupt stopped
        )

    def _write(self, **event: str) -> None:
        line = (json.dumps(event) + "\n").encode("utf-8")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            pass  # a record Tandem cannot keep must never fail the tests

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """A test starts."""
        if self.reporting:
            self._write(start=nodeid)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """A test ended: pytest skips this hook when a KeyboardInterrupt stops the test."""
        if self.reporting:
            self._write(end=nodeid)

    # Old-style wrappers: pluggy's `wrapper=True` needs pytest 8, and projects pin older ones.
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item):
        """Outside pytest's capture: when the test is interrupted, keep what it printed."""
        self.fixture = None
        outcome = yield
        if _interrupted(outcome):
            name, scope = self.fixture or ("", "")
            output = _captured(item)
            self._write(stopped=item.nodeid, output=output, fixture=name, scope=scope)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef):
        """Note the innermost fixture of wider scope than a test that an interrupt stops."""
        outcome = yield
        scope = str(getattr(fixturedef, "scope", "function"))
        if _interrupted(outcome) and self.fixture is None:
            # A test's own fixture hanging is the test's hang: only wider ones are noted, and
            # a function fixture seen first means the hang was in it.
            self.fixture = (
                (fixturedef.argname, scope) if scope != "function" else ("", "")
            )


def _interrupted(outcome) -> bool:
    excinfo = outcome.excinfo
    return excinfo is not None and issubclass(excinfo[0], KeyboardInterrupt)


def _captured(item) -> str:
    # pytest attaches each phase's capture to the item before the interrupt passes through;
    # the list is private, but nothing public holds the output of a test that never reported.
    sections = getattr(item, "_report_sections", [])
    return "\n".join(
        f"{f' Captured {key} {when} ':-^80}\n{content.rstrip()}"
        for when, key, content in sections
        if content.strip()
    )


def pytest_configure(config) -> None:
    """Record into the file Tandem named, if it named one."""
    path = os.environ.get(ENV)
    if path:
        # An xdist worker's starts and ends reach the controller, which records them once.
        reporting = not hasattr(config, "workerinput")
        config.pluginmanager.register(Progress(path, reporting), "tandem-progress")
