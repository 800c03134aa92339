"""Candidate project directories: one pruned walk of the tree, and root-relative glob patterns.

Patterns match name by name: `*`, `?` and `[...]` within one name, `**` across any number
of names (none included). Without include patterns every directory is a candidate. Caches,
environments, build output and vendored code are never entered, so that the walk stays fast
on large trees; a directory that an include pattern spells out literally is entered anyway.
Symbolic links to directories are not followed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

Parts = tuple[str, ...]  # a root-relative path as its names; () is the root

SKIPPED_NAMES = frozenset(
    {
        "node_modules",
        "vendor",
        "third_party",
        "testdata",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
    }
)
VENV_MARKER = "pyvenv.cfg"
# Inside a project these hold its test fixtures, which may look like projects themselves.
PROJECT_FILES = frozenset({"go.mod", "pyproject.toml", "setup.py"})
FIXTURE_NAMES = frozenset({"tests", "test", "testing", "fixtures", "test_data"})


def split(pattern: str) -> Parts:
    """A root-relative pattern or path as its names; "." and empty names dropped."""
    names = pattern.replace("\\", "/").split("/")
    return tuple(name for name in names if name not in ("", "."))


def matches(pattern: Parts, parts: Parts, *, partial: bool = False) -> bool:
    """True when `parts` matches `pattern`; with `partial`, when it or a path below it could."""
    if not parts:
        return partial or all(name == "**" for name in pattern)
    if not pattern:
        return False
    if pattern[0] == "**":
        return matches(pattern[1:], parts, partial=partial) or matches(
            pattern, parts[1:], partial=partial
        )
    return fnmatchcase(parts[0], pattern[0]) and matches(
        pattern[1:], parts[1:], partial=partial
    )


def ignored(name: str) -> bool:
    """True for directories that hold no projects of the repository: tools' and installers'."""
    return name.startswith(".") or name in SKIPPED_NAMES or name.endswith(".egg-info")


@dataclass(frozen=True)
class Rules:
    """Which directories the walk yields, and which it enters."""

    include: tuple[Parts, ...] = ()  # () = every directory
    exclude: tuple[Parts, ...] = ()
    never: frozenset[Parts] = frozenset()  # Tandem's own output and state

    @classmethod
    def of(
        cls, include: Iterable[str], exclude: Iterable[str], never: Iterable[str]
    ) -> Rules:
        """Rules from the config's root-relative patterns and directories."""
        return cls(
            tuple(map(split, include)),
            tuple(map(split, exclude)),
            frozenset(map(split, never)),
        )

    def wanted(self, parts: Parts) -> bool:
        """True when the directory is a candidate for a project."""
        return not self.include or any(matches(p, parts) for p in self.include)

    def named(self, parts: Parts) -> bool:
        """True when a pattern without `**` matches the directory: a project is expected there."""
        return any("**" not in p and matches(p, parts) for p in self.include)

    def excluded(self, parts: Parts) -> bool:
        """True for Tandem's own directories and those an exclude pattern matches."""
        return parts in self.never or any(matches(p, parts) for p in self.exclude)

    def enters(self, parts: Parts) -> bool:
        """True when the walk looks into the directory."""
        if self.excluded(parts) or (ignored(parts[-1]) and not self._spelled(parts)):
            return False
        return not self.include or any(
            matches(p, parts, partial=True) for p in self.include
        )

    def _spelled(self, parts: Parts) -> bool:
        return any(p[: len(parts)] == parts for p in self.include)


def walk(root: Path, rules: Rules) -> Iterator[tuple[Parts, frozenset[str]]]:
    """Candidate directories under `root` with the names of the files each holds."""
    todo: list[Parts] = [] if rules.excluded(()) else [()]
    base = str(root)
    while todo:
        parts = todo.pop()
        dirs, files = _listing(os.path.join(base, *parts))
        if VENV_MARKER in files:
            continue  # a virtualenv, whatever its name
        if rules.wanted(parts):
            yield parts, files
        if not PROJECT_FILES.isdisjoint(files):
            dirs = [name for name in dirs if name not in FIXTURE_NAMES]
        todo.extend(child for name in dirs if rules.enters(child := (*parts, name)))


def _listing(folder: str) -> tuple[list[str], frozenset[str]]:
    dirs, files = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                is_dir = _is_dir(entry)
                (dirs if is_dir else files).append(entry.name)
    except OSError:
        return [], frozenset()  # unreadable: nothing can be found there
    return dirs, frozenset(files)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
