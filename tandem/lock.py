"""One run at a time per root: an flock on STATE/lock, held for the whole run.

A second run waits for the first, saying so once, or gives up at once with `--no-wait`.
The lock file holds the pid of the run that has it, for that message; the kernel releases
the lock when its holder exits, however it exits, so a crashed run never blocks the next.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tandem import LOCK
from tandem.model import TandemError


@contextmanager
def run_lock(
    state: Path, *, wait: bool, on_wait: Callable[[str], None]
) -> Iterator[None]:
    """Hold `state`/lock while the block runs; wait for another run to let go first."""
    path = state / LOCK
    fd = _open(path)
    try:
        if not _try_lock(fd):
            said = f"another tandem run holds {path} (pid {_holder(path)})"
            if not wait:
                raise TandemError(f"{said}; wait for it, or drop --no-wait")
            on_wait(f"{said}; waiting")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise TandemError(
            f"cannot open the run lock {path} ({exc.strerror or exc}); remove what is there"
        ) from None


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    """The pid the holder wrote, or `unknown` in the moment before it writes one."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    return text if text.isdigit() else "unknown"
