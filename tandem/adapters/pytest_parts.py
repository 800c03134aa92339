"""A Python project's test step in parts, for shards: its test files, and the rest.

The parts are the files that look like tests (`test_*.py`, `*_test.py`) plus `REST`: whatever
else pytest collects (other `python_files`, doctests, plugins' items). A part runs as pytest
always runs, with `--ignore` for everything outside it, never naming files: what pytest would
not collect unsharded (a `collect_ignore`, `testpaths`, `norecursedirs`) it does not collect in
a part either, so the parts of a step hold exactly the whole step's tests, each once.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from tandem.model import Project, Step

REST = "(rest)"  # the part that holds whatever no listed file does
TEST_FILES = ("test_*.py", "*_test.py")  # pytest's default `python_files`
# pytest's default `norecursedirs`; a test file there would not be collected anyway.
SKIPPED_DIRS = (
    "*.egg",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)
# Never ignored: a directory's conftest and package marker shape how its tests import and run.
KEPT = ("conftest.py", "__init__.py")


def parts(project: Project) -> tuple[str, ...]:
    """The project's test files, project-relative and sorted, and `REST`; () without any."""
    # Files and node ids named outright escape `--ignore`: each part would run them.
    if _names_tests(project.args.get(Step.TEST, ())):
        return ()
    files = _test_files(project.path, {str(p) for p in project.nested})
    return (REST, *files) if files else ()


def _names_tests(args: tuple[str, ...]) -> bool:
    return any(not a.startswith("-") and (".py" in a or "::" in a) for a in args)


def _test_files(root: Path, nested: set[str]) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if _searched(Path(folder, d), nested))
        here = Path(folder).relative_to(root).as_posix()
        matched = (n for n in names if any(fnmatch.fnmatch(n, p) for p in TEST_FILES))
        found.extend(str(PurePosixPath(here, name)) for name in matched)
    return sorted(found)


def _searched(directory: Path, nested: set[str]) -> bool:
    name = directory.name
    if name.startswith(".") or name == "__pycache__" or str(directory) in nested:
        return False
    skipped = any(fnmatch.fnmatch(name, pattern) for pattern in SKIPPED_DIRS)
    return not skipped and not (directory / "pyvenv.cfg").exists()


def ignore_args(project: Project, part: tuple[str, ...]) -> tuple[str, ...]:
    """pytest's `--ignore` arguments that leave `part` of the test step, and nothing else."""
    if not part:
        return ()
    if REST in part:
        others = (f for f in parts(project) if f != REST and f not in part)
    else:
        others = _outside(project.path, set(part))
    return tuple(f"--ignore={path}" for path in others)


def _outside(root: Path, kept: set[str]) -> Iterator[str]:
    """Every entry of the directories on the way to the kept files that is not on that way."""
    ways = {str(parent) for file in kept for parent in PurePosixPath(file).parents}
    for folder in sorted(ways):
        for name in _entries(root / folder):
            path = str(PurePosixPath(folder, name))
            if path not in kept and path not in ways and name not in KEPT:
                yield path


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []  # gone since the parts were listed: nothing there to leave out
