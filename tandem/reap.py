"""Every process a command started, found through /proc, and stopped by one policy.

A test may start a child in its own process group or session, or double-fork a daemon, so the
command's process group is not enough. Tandem becomes a child subreaper (Linux), so orphaned
descendants are re-parented to it instead of to init; a `Family` then finds a command's
processes by parent links from its leader, by the sessions and process groups they belong to,
and, for orphans handed to Tandem, by the mark each command carries in its environment.
Where /proc is missing (not Linux), a family is the leader's process group alone.
"""

from __future__ import annotations

import asyncio
import ctypes
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

PR_SET_CHILD_SUBREAPER = 36
MARK = (
    "TANDEM_RUN"  # `<run token>/<command serial>`; watchdog.py matches it by name too
)
POLL = 0.1  # seconds between looks at /proc while waiting for processes to go
PROCFS = os.path.isdir("/proc/self")
WATCHDOG = str(Path(__file__).with_name("watchdog.py"))


@dataclass(frozen=True)
class StopPolicy:
    """How to stop processes: each signal in turn, and how long to wait for them after it.

    SIGINT comes first because tools save their work on it and not on SIGTERM: pytest writes its
    `--junitxml` report on KeyboardInterrupt, go test reports the test it was running.
    """

    steps: tuple[tuple[signal.Signals, float], ...] = (
        (signal.SIGINT, 5.0),
        (signal.SIGTERM, 3.0),
        (signal.SIGKILL, 2.0),
    )


STOP = StopPolicy()


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def become_subreaper() -> bool:
    """Have orphaned descendants re-parented to this process instead of to init (Linux)."""
    return _PRCTL is not None and _PRCTL(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


class Proc(NamedTuple):
    """One line of /proc/PID/stat: who a process is and where it belongs."""

    pid: int
    state: str
    ppid: int
    pgid: int
    sid: int
    start: int  # clock ticks after boot: with the pid, names a process even after pid reuse

    @property
    def key(self) -> tuple[int, int]:
        """The pid with the start time, so that a reused pid is not mistaken for a member."""
        return self.pid, self.start

    @property
    def alive(self) -> bool:
        """Not a zombie waiting to be reaped, nor dead."""
        return self.state not in ("Z", "X", "x")


def snapshot() -> dict[int, Proc]:
    """Every process of the machine that /proc shows, by pid."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    found = (_stat(name) for name in names if name.isdigit())
    return {proc.pid: proc for proc in found if proc is not None}


class _Shared:
    """The last look at /proc, which the running commands' periodic looks share."""

    def __init__(self) -> None:
        self.taken, self.procs = -math.inf, {}

    def within(self, age: float) -> dict[int, Proc] | None:
        """A look no older than `age` seconds (None without /proc)."""
        if not PROCFS:
            return None
        now = time.monotonic()
        if now - self.taken > age:
            self.taken, self.procs = now, snapshot()
        return self.procs


SHARED = _Shared()


def _group(leader: int) -> dict[int, Proc]:
    """Without /proc, the leader's process group stands for the family, signalled as one."""
    try:
        os.killpg(leader, 0)
    except (ProcessLookupError, PermissionError):
        return {}
    return {leader: Proc(leader, "R", 0, leader, leader, 0)}


def _stat(pid: str) -> Proc | None:
    try:
        # os.open and os.read, not open(): a look reads every process's stat, and a buffered
        # file object costs more than the read.
        handle = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            data = os.read(handle, 4096)
        finally:
            os.close(handle)
        # The command name is in parentheses and may hold spaces or parentheses itself.
        fields = data[data.rindex(b")") + 2 :].split()
        ppid, pgid, sid = int(fields[1]), int(fields[2]), int(fields[3])
        return Proc(int(pid), fields[0].decode(), ppid, pgid, sid, int(fields[19]))
    except (OSError, ValueError, IndexError):
        return None  # gone meanwhile, or not readable


def _environ(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            return file.read().split(b"\0")
    except OSError:
        return []


class Family:
    """The processes of one command: its leader and every descendant, however it left the tree."""

    def __init__(self, leader: int, mark: str) -> None:
        self.leader, self.mark = leader, f"{MARK}={mark}".encode()
        self.known: set[tuple[int, int]] = set()
        self.groups = {leader}  # the leader's own session and group (start_new_session)
        # Tandem's children without this command's mark: their environment is read once.
        self.strangers: set[tuple[int, int]] = set()
        self.tandem = os.getpid()

    def alive(self, procs: dict[int, Proc] | None = None) -> list[Proc]:
        """The family's live processes, from `procs` (a look at /proc) or a fresh look; adopted
        zombies are reaped."""
        if procs is None:
            procs = snapshot() if PROCFS else _group(self.leader)
        # Until nothing changes: a process adopted now may be the parent or group of another.
        while sum([self._adopt(proc, procs) for proc in procs.values()]):
            pass
        members = [proc for proc in procs.values() if proc.key in self.known]
        self._reap(members)
        return [proc for proc in members if proc.alive]

    def _adopt(self, proc: Proc, procs: dict[int, Proc]) -> bool:
        """Count `proc` in when it belongs; True when it is new."""
        if proc.key in self.known or not self._belongs(proc, procs):
            return False
        self.known.add(proc.key)
        self.groups.update((proc.pgid, proc.sid))
        return True

    def _belongs(self, proc: Proc, procs: dict[int, Proc]) -> bool:
        parent = procs.get(proc.ppid)
        if proc.sid in self.groups or proc.pgid in self.groups:
            return True
        if parent is not None and parent.key in self.known:
            return True
        return proc.ppid == self.tandem and self._marked(proc)

    def _marked(self, proc: Proc) -> bool:
        """An orphan re-parented to Tandem is ours when it carries this command's mark."""
        if proc.key in self.strangers:
            return False
        if self.mark in _environ(proc.pid):
            return True
        self.strangers.add(proc.key)
        return False

    def _reap(self, members: list[Proc]) -> None:
        """Collect the exit of orphans re-parented to Tandem (`tandem.run` reaps the leader itself)."""
        for proc in members:
            if not proc.alive and proc.ppid == self.tandem and proc.pid != self.leader:
                try:
                    os.waitpid(proc.pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def kill_now(self) -> None:
        """SIGKILL whatever is left, at once: for when stopping by the policy cannot finish."""
        for proc in self.alive():
            _signal(proc.pid, signal.SIGKILL)


async def stop(family: Family, policy: StopPolicy = STOP) -> None:
    """Stop every process of the family: each signal of the policy in turn, until none is left."""
    for sig, grace in policy.steps:
        if await _signal_until_gone(family, sig, grace):
            return


async def _signal_until_gone(family: Family, sig: int, grace: float) -> bool:
    """Send `sig` once to each member, also to those born meanwhile; True once all are gone."""
    sent: set[tuple[int, int]] = set()
    until = time.monotonic() + grace
    while members := family.alive():
        for proc in members:
            # Once only: a second SIGINT would interrupt pytest while it writes its report.
            if proc.key not in sent:
                _signal(proc.pid, sig)
                sent.add(proc.key)
        if time.monotonic() >= until:
            return False
        await asyncio.sleep(POLL)
    return True


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig) if PROCFS else os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
