"""Helpers for the Go adapter tests: recorded streams, golden renderings, fixture modules."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import textwrap
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from tandem.model import Context, Project, TestCase

DATA = Path(__file__).parent / "data" / "go"
MODULE = "example.com/fx"  # the module the recorded streams were made in (record.py)
PROJECT = "fx"


def scenarios() -> list[str]:
    """Names of the recorded `go test -json` runs."""
    return sorted(path.stem for path in DATA.glob("*.jsonl"))


def recorded(name: str) -> tuple[str, str, int]:
    """The stdout, stderr and exit code of one recorded run."""
    stdout = (DATA / f"{name}.jsonl").read_text(encoding="utf-8")
    stderr = (DATA / f"{name}.stderr").read_text(encoding="utf-8")
    return stdout, stderr, int((DATA / f"{name}.rc").read_text())


@functools.cache
def _recorded_files() -> Mapping[str, str]:
    """record.py's FILES: the fixture module the streams were recorded in."""
    spec = importlib.util.spec_from_file_location("go_record", DATA / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FILES


def recorded_source(file: str, line: int) -> str:
    """A line of the recorded fixture module's source, as `go_source.source_lines` reads one."""
    lines = _recorded_files().get(file, "").split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else ""


def render(cases: tuple[TestCase, ...]) -> str:
    """A stable text form of test cases for golden files; times to the millisecond."""
    rows = []
    for case in cases:
        row = asdict(case)
        row["time"] = f"{case.time:.3f}"
        row["verdict"] = case.verdict.value
        row["attempts"] = [
            {**asdict(a), "verdict": a.verdict.value} for a in case.attempts
        ]
        rows.append(row)
    return json.dumps(rows, indent=2, ensure_ascii=True) + "\n"


def check_golden(name: str, text: str) -> None:
    """Compare text with the golden file byte for byte; TANDEM_UPDATE_GOLDEN=1 rewrites it."""
    golden = DATA / f"{name}.golden.json"
    if os.environ.get("TANDEM_UPDATE_GOLDEN") == "1":
        golden.write_bytes(text.encode("ascii"))
    assert golden.read_bytes() == text.encode("ascii"), f"{golden.name} differs"


def write_module(root: Path, files: Mapping[str, str], module: str = MODULE) -> Path:
    """Write a Go module (go.mod plus dedented files) under root and return root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module {module}\n\ngo 1.21\n")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def go_project(path: Path, name: str = PROJECT) -> Project:
    """A Go project at path."""
    return Project(name=name, language="go", path=path)


def context(tmp: Path, timeout: float = 120.0, fix: bool = False) -> Context:
    """A context whose dist, state and workdir live under tmp."""
    workdir = tmp / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    return Context(
        root=tmp,
        dist=tmp / ".tandem" / "dist" / PROJECT,
        state=tmp / ".tandem",
        workdir=workdir,
        slots=2,
        timeout=timeout,
        fix=fix,
    )
