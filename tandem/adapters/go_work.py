"""Reading go.mod and go.work: module paths, requirements, and the workspace a module is in.

The go command uses the nearest go.work at or above a module's directory. A module that
go.work does not list fails every go command in workspace mode ("directory prefix . does
not contain modules listed in go.work"), so Tandem runs it with `GOWORK=off`. Modules it
does list resolve each other's module paths without `replace` directives, so requiring a
listed module's path makes a dependency on that module.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

GO_MOD = "go.mod"
GO_WORK = "go.work"


def lines(file: Path) -> list[str]:
    """The lines of a go.mod or go.work without `//` comments; [] when unreadable."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.split("//")[0].rstrip() for line in text.splitlines()]


def directive_args(lines: Iterable[str], verb: str) -> Iterator[str]:
    """The text after each `verb` directive, single-line (`use ./a`) or block form (`use (`)."""
    in_block = False
    for line in lines:
        stripped = line.strip()
        if in_block:
            in_block = stripped != ")"
            if in_block and stripped:
                yield stripped
            continue
        rest = stripped[len(verb) :]
        if not stripped.startswith(verb) or rest[:1] not in (" ", "\t", "("):
            continue  # another directive, or a longer word such as `replacement`
        in_block = rest.strip() == "("
        if not in_block and rest.strip():
            yield rest.strip()


def words(text: str) -> list[str]:
    """The words of a directive, unquoted: go.mod and go.work may quote paths with spaces."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def module_path(path: Path) -> str:
    """The module path declared in `<path>/go.mod`; "" when there is none."""
    found = (words(arg) for arg in directive_args(lines(path / GO_MOD), "module"))
    return next((w[0].strip("`") for w in found if w), "")


def requires(path: Path) -> frozenset[str]:
    """The module paths that `<path>/go.mod` requires."""
    found = (words(arg) for arg in directive_args(lines(path / GO_MOD), "require"))
    return frozenset(w[0] for w in found if w)


def governing(module: Path, stop: Path | None = None) -> Path | None:
    """The go.work the go command uses for `module`: the nearest at or above it (up to `stop`)."""
    # Plain strings: discovery asks for every module, and pathlib's parsing would dominate.
    folder = os.path.realpath(module)
    last = os.path.realpath(stop) if stop else None
    while True:
        candidate = os.path.join(folder, GO_WORK)
        if os.path.isfile(candidate):
            return Path(candidate)
        parent = os.path.dirname(folder)
        if folder == last or parent == folder:
            return None
        folder = parent


def uses(work: Path) -> tuple[Path, ...]:
    """Absolute directories of the modules a go.work lists in its `use` directives."""
    return _uses(work, _stamp(work))


def outside(module: Path, stop: Path | None = None) -> bool:
    """True when a go.work governs `module` without listing it: go needs GOWORK=off there."""
    work = governing(module, stop)
    return work is not None and module.resolve() not in uses(work)


def workspace_requirements(module: Path) -> tuple[Path, ...]:
    """Directories of the other modules of `module`'s go.work whose module paths it requires."""
    work, module = governing(module), module.resolve()
    if work is None or module not in uses(work):
        return ()
    by_path = _module_paths(work, _stamp(work))
    wanted = requires(module)
    return tuple(d for m, d in by_path.items() if m in wanted and d != module)


# Read once per go.work and version of it: discovery asks once per module, and reading
# the go.work and every go.mod it lists each time would cost modules squared.
def _stamp(work: Path) -> tuple[int, int]:
    try:
        status = work.stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=16)
def _uses(work: Path, _version: tuple[int, int]) -> tuple[Path, ...]:
    found = (words(arg) for arg in directive_args(lines(work), "use"))
    return tuple(dict.fromkeys((work.parent / w[0]).resolve() for w in found if w))


@functools.lru_cache(maxsize=16)
def _module_paths(work: Path, _version: tuple[int, int]) -> Mapping[str, Path]:
    return {m: d for d in uses(work) if (m := module_path(d))}
