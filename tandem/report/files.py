"""Where the report lands: checked before the run, the last one set aside, a fallback at the end.

A run checks the directories it will write before it starts any task, so that a path it
cannot write is a one-line mistake, not a lost hour. It then moves the previous report and
summary aside (`junit.xml` -> `junit.xml.previous`): a run that dies before writing leaves
no green report behind to be mistaken for its own. If the report cannot be written where
asked at the end after all (the disk filled, the directory went away), it is written to a
fresh temporary directory instead, and the run says where.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tandem.model import TandemError

SUMMARY = "summary.md"
HTML = "report.html"
PREVIOUS = ".previous"


@dataclass(frozen=True)
class Landing:
    """Where the report was written, and why not where it was asked for ("" when it was)."""

    junit: Path
    problem: str = ""


def check_directory(path: Path, what: str) -> None:
    """Create `path` if needed and prove it writable; a TandemError naming the problem if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except (FileExistsError, NotADirectoryError):
        raise TandemError(
            f"{what} {path}: {_blocker(path)} is a file; move it or choose another path"
        ) from None
    except OSError as exc:
        raise TandemError(
            f"{what} {path} is not writable ({exc.strerror or exc}); "
            "fix its permissions or choose another path"
        ) from None


def _blocker(path: Path) -> Path:
    """The first file on the way to `path` that is no directory."""
    ancestors = reversed((path, *path.parents))
    return next((p for p in ancestors if p.exists() and not p.is_dir()), path)


def check_report(junit: Path) -> None:
    """The report and the files beside it can be written: no directory in their place."""
    for path in beside(junit):
        if path.is_dir():
            raise TandemError(
                f"report path {path} is a directory; remove it or pass --junit FILE"
            )
    check_directory(junit.parent, "report directory")


def beside(junit: Path) -> tuple[Path, ...]:
    """The report, the summary and the HTML page beside it."""
    return (junit, junit.parent / SUMMARY, junit.parent / HTML)


def written(junit: Path) -> tuple[Path, ...]:
    """Every file a run writes beside the report: those, and their previous ones."""
    mine = beside(junit)
    return (*mine, *(path.with_name(path.name + PREVIOUS) for path in mine))


def set_aside(junit: Path) -> None:
    """Move the previous report, summary and page to `NAME.previous`: no stale one stays."""
    for path in beside(junit):
        try:
            if path.is_file():
                os.replace(path, path.with_name(path.name + PREVIOUS))
        except OSError as exc:
            raise TandemError(
                f"cannot move the previous report {path} aside ({exc.strerror}); remove it"
            ) from None


def land(junit: Path, write: Callable[[Path], None]) -> Landing:
    """Write the report with `write(path)` at `junit`, or in a temporary directory if that fails."""
    try:
        write(junit)
        return Landing(junit)
    except OSError as exc:
        problem = f"could not write {junit} ({exc.strerror or exc})"
    fallback = Path(tempfile.mkdtemp(prefix="tandem-report-")) / junit.name
    write(fallback)
    return Landing(fallback, problem)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` to `path` through a temporary file beside it, so no reader sees half."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(name, 0o644)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
