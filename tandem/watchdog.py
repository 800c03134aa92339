"""Tandem's watchdog: when Tandem ends, however it ends, every process its commands left is killed.

Tandem starts this script once, in a session of its own, with a pipe on stdin that only Tandem
holds. End of file on that pipe means Tandem is gone, even by SIGKILL, which no handler sees. The
kernel already killed Tandem's direct children (PR_SET_PDEATHSIG); their descendants were
re-parented elsewhere, so they are found by the mark every command carries in its environment
(`TANDEM_RUN=<token>/<serial>`) and killed. The script runs by path, on the standard library
alone, so that it starts fast and needs nothing of Tandem's.
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


def kill_marked(prefix: bytes) -> None:
    """SIGKILL marked processes until none is left, or the rounds run out."""
    for _ in range(ROUNDS):
        pids = marked(prefix)
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
    while os.read(0, 4096):
        pass
    kill_marked(f"TANDEM_RUN={token}/".encode())


if __name__ == "__main__":
    main(sys.argv[1])
