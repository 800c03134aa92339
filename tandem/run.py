"""The one module that spawns processes: each command in a session of its own, watched to the end.

Each command runs with stdin closed, its own `env=`, stdout and stderr kept apart and read as
they come into bounded captures (`tandem.capture`). When the command exits, reaches its
deadline or is cancelled, every process it started is stopped by the stop policy (SIGINT,
SIGTERM, then SIGKILL; `tandem.reap`), however far it strayed from the command's process group.
Nothing outlives Tandem either: a child dies with Tandem (PR_SET_PDEATHSIG), orphans are
re-parented to Tandem (a child subreaper), and a watchdog kills what is left if Tandem is killed.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from tandem import reap
from tandem.capture import Capture
from tandem.model import Command, ProcessResult
from tandem.reap import STOP, Family, StopPolicy

SCAN = 2.0  # seconds between looks for a running command's descendants (a /proc walk)
LINGER = 1.0  # seconds the pipes may stay open once everything the command started is stopped
_SERIAL = itertools.count(1)


class _Pipes(asyncio.SubprocessProtocol):
    """Feeds a command's output into bounded captures and notes when the command exits."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.captures = {1: Capture(), 2: Capture()}
        self.exited: asyncio.Future[float] = loop.create_future()  # when, monotonic
        self.closed: asyncio.Future[None] = loop.create_future()
        self.open = {1, 2}

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.captures[fd].feed(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self.open.discard(fd)
        if not self.open and not self.closed.done():
            self.closed.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(time.monotonic())


async def run_process(
    command: Command, deadline: float, policy: StopPolicy = STOP
) -> ProcessResult:
    """Run one command until it exits or the monotonic `deadline` passes; stop all it started."""
    start, mark = time.monotonic(), f"{_guard()}/{next(_SERIAL)}"
    try:
        transport, pipes = await _spawn(command, mark)
    except OSError as exc:
        return _missing(command, exc)
    family = Family(transport.get_pid(), mark)
    try:
        timed_out = await _watch(pipes, family, deadline, policy)
    except BaseException:
        # The policy may not have finished (cancelled twice, a failure): nothing stays running.
        family.kill_now()
        raise
    finally:
        transport.close()
    return _result(command, pipes, transport.get_returncode(), start, timed_out)


def _missing(command: Command, exc: OSError) -> ProcessResult:
    """A command that could not start: code 127, as a shell says, with the reason."""
    message = f"{command.argv[0]}: {exc.strerror}"
    return ProcessResult(
        command.argv, 127, stderr=message, missing=True, purpose=command.purpose
    )


async def _spawn(
    command: Command, mark: str
) -> tuple[asyncio.SubprocessTransport, _Pipes]:
    loop = asyncio.get_running_loop()
    return await loop.subprocess_exec(
        _Pipes,
        *command.argv,
        cwd=command.cwd,
        env={**os.environ, **command.env, reap.MARK: mark},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=reap.die_with(os.getpid()),
    )


async def _watch(
    pipes: _Pipes, family: Family, deadline: float, policy: StopPolicy
) -> bool:
    """Wait for the command's exit, then stop what it left; True when the deadline came first."""
    try:
        await _exit_or_deadline(pipes, family, deadline)
    finally:
        # Exit, deadline or cancellation: nothing the command started stays.
        await reap.stop(family, policy)
    # Everything is stopped: open pipes now belong to a process that escaped every trace.
    await asyncio.wait({pipes.closed}, timeout=LINGER)
    return not pipes.exited.done() or pipes.exited.result() > deadline


async def _exit_or_deadline(pipes: _Pipes, family: Family, deadline: float) -> None:
    """Return once the command exits or the deadline passes, whoever holds its pipes."""
    while not pipes.exited.done() and (left := deadline - time.monotonic()) > 0:
        done, _ = await asyncio.wait({pipes.exited}, timeout=min(SCAN, left))
        if not done:
            # Descendants are learnt while their parents still link them to the command.
            family.alive()


def _result(
    command: Command, pipes: _Pipes, code: int | None, start: float, timed_out: bool
) -> ProcessResult:
    """What the command did; its stamp is written only when it exited 0 in time."""
    stdout, cut_out = pipes.captures[1].text()
    stderr, cut_err = pipes.captures[2].text()
    if code == 0 and not timed_out and command.stamp is not None:
        command.stamp.write_text(" ".join(command.argv))
    return ProcessResult(
        command.argv,
        code if code is not None else -signal.SIGKILL,
        stdout,
        stderr,
        time.monotonic() - start,
        timed_out,
        purpose=command.purpose,
        cut=cut_out + cut_err,
    )


@functools.cache
def _guard() -> str:
    """Once per Tandem process: adopt orphans, start the watchdog; the token that marks commands."""
    reap.become_subreaper()
    token = secrets.token_hex(8)
    if not reap.PROCFS:
        return token  # the watchdog finds what to kill through /proc
    watchdog = subprocess.Popen(
        (sys.executable, "-I", "-S", reap.WATCHDOG, token),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # no terminal signal reaches it before it is needed
    )
    atexit.register(_release, watchdog)
    return token


def _release(watchdog: subprocess.Popen) -> None:
    """At Tandem's exit: the watchdog sweeps up and ends."""
    watchdog.stdin.close()
    try:
        watchdog.wait(timeout=10)
    except subprocess.TimeoutExpired:
        watchdog.kill()


async def run_commands(
    commands: Sequence[Command], timeout: float, policy: StopPolicy = STOP
) -> tuple[ProcessResult, ...]:
    """Run commands in order, within one timeout, until one exits non-zero or times out."""
    deadline = time.monotonic() + timeout
    results: list[ProcessResult] = []
    for command in commands:
        results.append(await run_process(command, deadline, policy))
        if results[-1].returncode != 0 or results[-1].timed_out:
            break
    return tuple(results)


def run_commands_sync(
    commands: Sequence[Command], timeout: float = 900.0, policy: StopPolicy = STOP
) -> tuple[ProcessResult, ...]:
    """`run_commands` for callers outside an event loop (tests, one-off probes)."""
    results: list[ProcessResult] = []

    async def run() -> None:
        results.extend(await run_commands(commands, timeout, policy))

    # Not returned through asyncio.run: on CPython 3.11 it formats its main task's result when
    # it restores the SIGINT handler, which would copy every output twice.
    asyncio.run(run())
    return tuple(results)
