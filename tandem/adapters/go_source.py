"""A Go module's own source files: which `go fmt ./...` would format, which are generated, and
their lines (for findings that quote them).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from tandem.adapters.go_work import GO_MOD
from tandem.lazy import lazy

if TYPE_CHECKING:
    from tandem.adapters.go_blame import Source

go_findings = lazy("tandem.adapters.go_findings")

_SKIPPED_DIRS = ("vendor", "testdata")


def go_files(root: Path) -> tuple[str, ...]:
    """Project-relative .go files that `go fmt ./...` would format, sorted."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        # Like the go command: skip vendor, testdata, _ and . dirs, and nested modules.
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIPPED_DIRS
            and not d.startswith(("_", "."))
            and not (here / d / GO_MOD).exists()
        )
        kept = (f for f in files if f.endswith(".go") and not f.startswith(("_", ".")))
        found.extend(
            (here / f).relative_to(root).as_posix()
            for f in kept
            if not is_generated(here / f)
        )
    return tuple(sorted(found))


# Go's mark of generated code, before the package clause (https://go.dev/s/generatedcode).
_GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.$", re.MULTILINE)
_PACKAGE = re.compile(r"^package ", re.MULTILINE)
_HEAD = 16384


def is_generated(file: Path) -> bool:
    """True for a Go file marked as generated: its generator's to format and vet, not ours."""
    try:
        with open(file, encoding="utf-8", errors="replace") as stream:
            head = stream.read(_HEAD)
    except OSError:
        return False
    mark, package = _GENERATED.search(head), _PACKAGE.search(head)
    return mark is not None and (package is None or mark.start() < package.start())


def source_lines(root: Path) -> Source:
    """The lines of the project's files, each file read once when first asked for."""
    read = functools.cache(functools.partial(_file_lines, root.resolve()))

    def line(file: str, number: int) -> str:
        found = read(file)
        return found[number - 1] if 0 < number <= len(found) else ""

    return line


def _file_lines(top: Path, file: str) -> list[str]:
    """The lines of `file`, relative to `top`; none when it lies outside or cannot be read."""
    path = (top / file).resolve()
    if not path.is_relative_to(top):
        return []
    try:
        return go_findings.lines_of(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
