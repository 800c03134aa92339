"""The no-op run: the last run that replayed every task, replayed whole before the rest loads.

A run in which every task came from the cache, all green, leaves a record in STATE/cache/noop
(`tandem.cache.remember` writes it): the command that made it (its arguments, directory,
environment, interpreter and terminal), the stat of everything its keys and replays read (the
tree's files and directories, the tools and where they are looked up, Tandem's own code, the
cache entries, the build marks and outputs), and what it wrote: the report files and the lines
it printed, with the run's clock as placeholders. The same command run again while every one of
those stats holds is the same run: it sets the previous reports aside, writes these with its own
clock, prints the same lines and exits 0, at the cost of a few stat calls per file. Any
difference at all, and the record is passed over: the full run decides, and records anew.

Speed is the point, so this module imports nothing but the interpreter's builtins: loading a
module costs milliseconds, and a whole no-op run has a budget of tens of them.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from tandem import DEFAULT_STATE, LOCK

FORMAT = 1
RECORD = os.path.join("cache", "noop")  # under the state directory
# The run's clock in a recorded text, put there by rendering with these values.
SENTINEL_START = "1903-07-19T11:47:23"
SENTINEL_ELAPSED = 86399.987
_CLOCK_TEXT = (f"{SENTINEL_ELAPSED:.3f}", f"{SENTINEL_ELAPSED:.2f}")
_DAMAGED = (
    OSError,
    ValueError,
    EOFError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
)


def invocation(argv, cwd, environ, python=sys.executable, ttys=None) -> bytes:
    """The digest of what a command's output depends on beyond the files it reads."""
    try:
        from _blake2 import blake2b  # builtin: hashlib would load OpenSSL first
    except ImportError:  # pragma: no cover - an interpreter without it
        from hashlib import blake2b
    ttys = _ttys() if ttys is None else ttys
    # The host name is in the report (a machine renamed, or another sharing the tree).
    parts = [str(FORMAT), python, os.uname().nodename, cwd, repr(ttys), *argv, "\0"]
    parts += [f"{name}={environ[name]}" for name in sorted(environ)]
    return blake2b("\0".join(parts).encode("utf-8", "surrogateescape")).digest()


def _ttys() -> tuple[bool, bool]:
    return os.isatty(1), os.isatty(2)


def signature(path: str) -> tuple[int, ...]:
    """A file's size, mtime, ctime and inode; () when it is not there."""
    st = _stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) if st else ()


def folder(path: str) -> tuple[int, ...]:
    """A directory's mtime and inode (its entries' names change the mtime); () when gone."""
    st = _stat(path)
    return (st.st_mtime_ns, st.st_ino) if st else ()


def entry(path: str) -> tuple[int, ...]:
    """A cache entry's size and inode: a replay touches its mtime, a new entry is a new file."""
    st = _stat(path)
    return (st.st_size, st.st_ino) if st else ()


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def listing(path: str, written: list[str]) -> list[str]:
    """A directory's entry names, sorted, less the files a run writes there."""
    try:
        return sorted(set(os.listdir(path)).difference(written))
    except OSError:
        return []


def record_path(state: str) -> str:
    """Where the record of the state directory `state` lives."""
    return os.path.join(state, RECORD)


def replayed(argv: list[str]) -> int | None:
    """The exit code of `argv` replayed from a record that still holds; None to run it."""
    start = time.monotonic()
    try:
        record = _record(argv)
        return None if record is None else _replay(record, start)
    except _DAMAGED:  # a record not as `write` left it: the full path decides
        return None


def _record(argv: list[str]) -> dict | None:
    """The record this command left, if its command, files and directories are the same."""
    cwd = os.getcwd()
    for root in _roots(argv, cwd):
        path = record_path(os.path.join(root, DEFAULT_STATE))
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as file:
            record = marshal.load(file)
            record["self"] = (path, _opened(file))
        same = record.get("format") == FORMAT and record.get("root") == root
        if same and record["command"] == invocation(argv, cwd, os.environ):
            return record
    return None


def _roots(argv: list[str], cwd: str) -> list[str]:
    """Where the command's root may be: `--root`'s directory, else the directory and those above."""
    for i, arg in enumerate(argv):
        if arg == "--root" and i + 1 < len(argv):
            return [os.path.abspath(argv[i + 1])]
        if arg.startswith("--root="):
            return [os.path.abspath(arg.partition("=")[2])]
    found, here = [], cwd
    while True:
        found.append(here)
        parent = os.path.dirname(here)
        if parent == here:
            return found
        here = parent


def _replay(record: dict, start: float) -> int | None:
    """Write the recorded reports and lines when every stat holds; None when one does not."""
    lock = _lock(record["state"])
    if lock is None:
        return None
    try:
        if not _holds(record):
            return None
        for path in record["touched"]:
            os.utime(path)  # as a replay does: recently used entries are evicted last
        clock = _clock(start)
        _write_reports(record["reports"], clock)
        _print(_clocked(record["stdout"], clock))
        return 0
    except OSError:
        return None
    finally:
        os.close(lock)


def _lock(state: str) -> int | None:
    """The run lock, if no other run holds it (the full path waits, and says so)."""
    # The same lock as `tandem.lock`, taken here without it: that module's imports (the
    # model) would cost this path more than the whole replay.
    import fcntl  # an extension module beside the interpreter: cheap, and only once here

    fd = os.open(os.path.join(state, LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


def _opened(file) -> tuple[int, ...]:
    st = os.fstat(file.fileno())
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _holds(record: dict) -> bool:
    """True when the record is still there (no run began since it was read) and every file,
    directory and entry has the stat it holds."""
    written = [
        os.path.basename(path) for report in record["reports"] for path in report[:2]
    ]
    path, opened = record["self"]
    return (
        signature(path) == opened
        and all(signature(p) == s for p, s in record["files"])
        and all(folder(p) == s for p, s in record["dirs"])
        and all(entry(p) == s for p, s in record["entries"])
        and all(os.path.lexists(p) == s for p, s in record["present"])
        and all(listing(p, written) == s for p, s in record["listings"])
    )


def _write_reports(reports: list, clock: tuple[bytes, ...]) -> None:
    """Set each previous report aside, then write the recorded one with this run's clock."""
    for path, previous, _ in reports:
        if os.path.isfile(path):
            os.replace(path, previous)
    for path, _, template in reports:
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as out:
            out.write(_clocked(template, clock))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)


def _clock(start: float) -> tuple[bytes, ...]:
    """This run's clock as the texts show it: its start, and its seconds to 3 and 2 places."""
    elapsed = time.monotonic() - start
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return now.encode(), f"{elapsed:.3f}".encode(), f"{elapsed:.2f}".encode()


def _clocked(template: bytes, clock: tuple[bytes, ...]) -> bytes:
    """The text with the placeholders of the run's clock replaced by this run's."""
    placeholders = (SENTINEL_START, *_CLOCK_TEXT)  # the longer number first
    for placeholder, value in zip(placeholders, clock, strict=True):
        template = template.replace(placeholder.encode(), value)
    return template


def _print(text: bytes) -> None:
    """What the run printed; nothing more once the reader has gone (`| head`)."""
    data = memoryview(text)
    try:
        while data:
            data = data[os.write(1, data) :]
    except BrokenPipeError:
        pass


def write(state: str, record: dict) -> None:
    """Keep `record` for the next run of its command (atomically; a failure only costs speed)."""
    path = record_path(state)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as out:
            marshal.dump({**record, "format": FORMAT}, out)
        os.replace(temporary, path)
    except OSError:
        forget(state)


def forget(state: str) -> None:
    """No record: the next run of any command is a full one."""
    for path in (record_path(state), f"{record_path(state)}.{os.getpid()}.tmp"):
        try:
            os.unlink(path)
        except OSError:
            pass
