"""Tandem's watchdog: when Tandem ends, however it ends, every process its commands left is killed.

Tandem starts this script once, in a session of its own, with a pipe on stdin that only Tandem
holds. Tandem writes each command's pid on it as the command starts; end of file means Tandem
is gone, even by SIGKILL, which no handler sees. The commands are then killed by those pids
(even one that cleared its environment), and their descendants, re-parented elsewhere, by the
mark every command carries in its environment (`TANDEM_RUN=<token>/<serial>`). The script runs
by path, on the standard library alone, so that it starts fast and needs nothing of Tandem's.
"""

from __future__ import annotations

import os
import signal
import sys
import time

ROUNDS = 20  # looks at /proc: a process killed in one may have forked just before it
PAUSE = 0.1  # seconds between them


def marked(prefix: bytes) -> list[int]:
    """Pids of the processes whose environment holds an entry starting with `prefix`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as file:
                entries = file.read().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or another user's
        if any(entry.startswith(prefix) for entry in entries):
            found.append(int(name))
    return found


def started(pid: int) -> str | None:
    """When the process started (clock ticks after boot), which with the pid names it; None
    once it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces or parentheses itself.
    fields = data[data.rindex(b")") + 2 :].split()
    return None if fields[0] in (b"Z", b"X") else fields[19].decode()


def leaders(pipe: int) -> dict[int, str | None]:
    """The pids Tandem writes on `pipe`, one per line, each with its start, until end of file."""
    found, pending = {}, b""
    while chunk := os.read(pipe, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        found.update((int(pid), started(int(pid))) for pid in lines)
    return found


def kill_all(prefix: bytes, named: dict[int, str | None]) -> None:
    """SIGKILL the named processes still there and the marked ones until none is left, or the
    rounds run out."""
    for _ in range(ROUNDS):
        alive = [pid for pid, start in named.items() if start and started(pid) == start]
        pids = {*marked(prefix), *alive}
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(PAUSE)


def main(token: str) -> None:
    """Wait for Tandem to go, then kill what carries its token."""
    # A terminal's signals are Tandem's to handle; this process only watches for its end.
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    kill_all(f"TANDEM_RUN={token}/".encode(), leaders(0))


if __name__ == "__main__":
    main(sys.argv[1])
