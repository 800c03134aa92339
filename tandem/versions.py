"""Tool versions for the report: each language's probes (`go version`, `black --version`) run
at most once a run, and not at all while nothing that could change their answer changed.

A probe is known by its command, the stat of its executable and of the files in its working
directory that the language names (a `go.mod` there may switch Go toolchains; a report written
there changes nothing), the directories where the language's tools are found (a tool installed
or upgraded there changes their mtime) and the variables the language's tools read. Answers are
kept in the state directory's `versions.json`: a probe costs a process, and black's a third of a
CPU second, on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from tandem.adapters import Adapter
from tandem.adapters.base import Properties
from tandem.cache import noop
from tandem.model import Command, ProcessResult
from tandem.report.files import write_atomic
from tandem.run import run_process

FILE = "versions.json"
KEPT = 64  # answers kept: older ones belong to tools long replaced


async def probe_versions(root: Path, state: Path, adapter: Adapter) -> Properties:
    """An adapter's tool versions, as report properties (`missing` for a tool not found)."""
    probes = adapter.versions(root)
    keys = {name: _key(command, adapter) for name, command in probes.items()}
    known = _load(state)
    asked = {name: c for name, c in probes.items() if keys[name] not in known}
    deadline = time.monotonic() + 60
    results = await asyncio.gather(*(run_process(c, deadline) for c in asked.values()))
    found = {keys[name]: _first_line(result) for name, result in zip(asked, results)}
    # A tool not found now may be installed before the next run without a trace here.
    _save(state, {key: line for key, line in found.items() if line != "missing"})
    return tuple((name, known.get(keys[name]) or found[keys[name]]) for name in probes)


def _key(command: Command, adapter: Adapter) -> str:
    """What decides a probe's answer, as a digest."""
    executable = shutil.which(command.argv[0], path=command.env.get("PATH"))
    folder = [
        (name, noop.signature(str(command.cwd / name))) for name in adapter.PROBE_FILES
    ]
    where = [(str(d), noop.folder(str(d))) for d in adapter.watched()]
    variables = sorted(
        (name, value)
        for name, value in os.environ.items()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in adapter.ENV)
    )
    facts = (command.argv, str(command.cwd), command.env, executable, folder)
    facts += (noop.signature(executable) if executable else (), where, variables)
    return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()[:32]


def _first_line(result: ProcessResult) -> str:
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if result.returncode == 0 and lines else "missing"


def _load(state: Path) -> dict[str, str]:
    try:
        data = json.loads((state / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _save(state: Path, found: Mapping[str, str]) -> None:
    """Add `found` to the file, read again now: another language's probes may have written."""
    if not found:
        return
    kept = list({**_load(state), **found}.items())[-KEPT:]
    # The versions only spare the next run its probes: a failure to write costs nothing else.
    with contextlib.suppress(OSError):
        state.mkdir(parents=True, exist_ok=True)
        write_atomic(state / FILE, json.dumps(dict(kept), indent=0))
