"""Out-of-tree copies of Python sources, so that builds never write into a project.

Build backends write `build/`, egg-info, in-place extensions and version files next to the
sources they build. Tandem builds from a mirror under its state directory instead, synced before
every build: files are copied only when their size or modification time changed (so a backend's
own incremental build in the mirror stays valid), and files gone from the source go from the
mirror. What a build leaves in the mirror (`build/`, egg-info) is kept for the next one.

Run as `python mirror.py SRC DST [SRC DST ...]` (`command`): the build step's first command,
so the copying runs under the task's timeout like every other command. It imports nothing but
the standard library, and runs as a file without `site`: importing Tandem's package would cost
more than the copying.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

# Directories that hold outputs, caches or environments, never sources a build needs.
PASSED_OVER = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        ".tandem",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
    }
)


def passed_over(name: str, path: Path) -> bool:
    """True for a directory entry that is output, cache or an environment."""
    if name in PASSED_OVER or name.endswith(".egg-info"):
        return True
    return (path / "pyvenv.cfg").is_file()


def command(*paths: Path) -> tuple[str, ...]:
    """The command that syncs each SRC into the DST after it: `python -I -S mirror.py ...`."""
    return (sys.executable, "-I", "-S", __file__, *map(str, paths))


def mirror_path(mirrors: Path, source: Path) -> Path:
    """Where `source` is mirrored: its absolute path below `mirrors`, so relative paths between
    mirrored projects (`path = "../lib"`) still point at each other."""
    return mirrors / source.resolve().relative_to(source.resolve().anchor)


def sync(source: Path, target: Path) -> int:
    """Make `target` hold `source`'s files; return how many were copied."""
    copied = 0
    target.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        there = target / here.relative_to(source)
        dirs[:] = [d for d in dirs if not passed_over(d, here / d)]
        there.mkdir(exist_ok=True)
        for name in files:
            copied += _copy(here / name, there / name)
        _prune(there, set(dirs) | set(files))
    return copied


def _copy(source: Path, target: Path) -> bool:
    if source.is_symlink() or target.is_symlink():
        return _copy_link(source, target)
    stat = source.stat()
    try:
        same = target.stat()
        if (same.st_size, same.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return False
    except FileNotFoundError:
        pass
    shutil.copy2(source, target)  # keeps the mtime, which incremental builds compare
    return True


def _copy_link(source: Path, target: Path) -> bool:
    if not source.is_symlink():
        target.unlink()
        return _copy(source, target)
    link = os.readlink(source)
    if target.is_symlink() and os.readlink(target) == link:
        return False
    _remove(target)
    target.symlink_to(link)
    return True


def _prune(there: Path, kept: set[str]) -> None:
    """Remove what the source no longer has, keeping the build's own outputs."""
    for entry in list(there.iterdir()):
        if entry.name not in kept and not passed_over(entry.name, entry):
            _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def main(argv: Sequence[str]) -> int:
    """Sync each SRC into its DST; exit 2 on a usage mistake."""
    if not argv or len(argv) % 2:
        print(
            "usage: python mirror.py SRC DST [SRC DST ...]",
            file=sys.stderr,
        )
        return 2
    for source, target in zip(argv[::2], argv[1::2]):
        sync(Path(source), Path(target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
