"""Out-of-tree copies of Python sources, so that builds never write into a project.

Build backends write `build/`, egg-info, in-place extensions and version files next to the
sources they build. Tandem builds from a mirror under its state directory instead, synced before
every build: files are copied only when their size or modification time changed (so a backend's
own incremental build in the mirror stays valid), and files gone from the source go from the
mirror. What a build leaves in the mirror (`build/`, egg-info) is kept for the next one.

Run as `python -I -S mirror.py SRC DST [SRC DST ...]` (`venv.mirror_command`): the build
step's first command, so the copying runs under the task's timeout like every other command. It
imports `os` and `sys` alone (`shutil` only to copy or remove), and runs as a file without
`site`: importing Tandem's package, or `pathlib`, would cost more than the copying.
"""

from __future__ import annotations

import os
import sys

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


def passed_over(name: str, path: str) -> bool:
    """True for a directory entry that is output, cache or an environment."""
    if name in PASSED_OVER or name.endswith(".egg-info"):
        return True
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def sync(source: str, target: str) -> int:
    """Make `target` hold `source`'s files; return how many were copied."""
    copied = 0
    os.makedirs(target, exist_ok=True)
    for here, dirs, files in os.walk(source):
        there = os.path.normpath(os.path.join(target, os.path.relpath(here, source)))
        dirs[:] = [d for d in dirs if not passed_over(d, os.path.join(here, d))]
        os.makedirs(there, exist_ok=True)
        for name in files:
            copied += _copy(os.path.join(here, name), os.path.join(there, name))
        _prune(there, set(dirs) | set(files))
    return copied


def _copy(source: str, target: str) -> bool:
    if os.path.islink(source) or os.path.islink(target):
        return _copy_link(source, target)
    stat = os.stat(source)
    try:
        same = os.stat(target)
        if (same.st_size, same.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return False
    except FileNotFoundError:
        pass
    import shutil  # here: most syncs copy nothing, and the import costs more than the walk

    shutil.copy2(source, target)  # keeps the mtime, which incremental builds compare
    return True


def _copy_link(source: str, target: str) -> bool:
    if not os.path.islink(source):
        os.unlink(target)
        return _copy(source, target)
    link = os.readlink(source)
    if os.path.islink(target) and os.readlink(target) == link:
        return False
    _remove(target)
    os.symlink(link, target)
    return True


def _prune(there: str, kept: set[str]) -> None:
    """Remove what the source no longer has, keeping the build's own outputs."""
    for name in os.listdir(there):
        entry = os.path.join(there, name)
        if name not in kept and not passed_over(name, entry):
            _remove(entry)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil  # see _copy

        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def main(argv: list[str]) -> int:
    """Sync each SRC into its DST; exit 2 on a usage mistake."""
    if not argv or len(argv) % 2:
        print("usage: python mirror.py SRC DST [SRC DST ...]", file=sys.stderr)
        return 2
    for source, target in zip(argv[::2], argv[1::2]):
        sync(source, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
