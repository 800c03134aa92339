"""The one module that spawns processes: each command in a session of its own, watched to the end.

Each command runs with stdin closed, its own `env=`, stdout and stderr kept apart and read as
they come into bounded captures (`tandem.capture`). When the command exits, reaches its
deadline or is cancelled, every process it started is stopped by the stop policy (SIGINT,
SIGTERM, then SIGKILL; `tandem.reap`), however far it strayed from the command's process group.
A cancelled command still returns what it wrote, marked `interrupted`, so that the tests that
ended before Ctrl-C stay in the report. Tandem reaps each command itself with `wait4`, whose
resource usage gives the CPU time it took (the scheduler learns from it).
Nothing outlives Tandem either: orphans are re-parented to Tandem (a child subreaper), and if
Tandem is killed, a watchdog kills each command by its pid and every descendant by its mark.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import itertools
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from tandem import reap
from tandem.capture import Capture
from tandem.model import Command, ProcessResult
from tandem.reap import STOP, Family, StopPolicy

SCAN = 2.0  # seconds between looks for a running command's descendants (a /proc walk)
LINGER = 1.0  # seconds the pipes may stay open once everything the command started is stopped
_SERIAL = itertools.count(1)


class _Pipes:
    """Feeds a command's output into bounded captures and notes how and when the command exited."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.captures = {1: Capture(), 2: Capture()}
        self.exited: asyncio.Future[float] = loop.create_future()  # when, monotonic
        self.closed: asyncio.Future[None] = loop.create_future()
        self.open = {1, 2}
        self.returncode: int | None = None
        self.cpu = 0.0

    def feed(self, fd: int, data: bytes) -> None:
        """Output read from the command's stdout (1) or stderr (2)."""
        self.captures[fd].feed(data)

    def shut(self, fd: int) -> None:
        """One of the pipes reached its end; `closed` once both have."""
        self.open.discard(fd)
        if not self.open and not self.closed.done():
            self.closed.set_result(None)

    def end(self, returncode: int | None, cpu: float) -> None:
        """The command exited (None: reaped elsewhere), having used `cpu` seconds."""
        self.returncode, self.cpu = returncode, cpu
        if not self.exited.done():
            self.exited.set_result(time.monotonic())


class _Reader(asyncio.Protocol):
    """One of a command's output pipes, read into its `_Pipes`."""

    def __init__(self, pipes: _Pipes, fd: int) -> None:
        self.pipes, self.fd = pipes, fd

    def data_received(self, data: bytes) -> None:
        self.pipes.feed(self.fd, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pipes.shut(self.fd)


async def run_process(
    command: Command, deadline: float, policy: StopPolicy = STOP
) -> ProcessResult:
    """Run one command until it exits or the monotonic `deadline` passes; stop all it started.

    Cancelled once (Tandem interrupted), the command is stopped by the policy and its result,
    marked `interrupted`, holds what it wrote; cancelled again, it is killed and the
    cancellation goes on.
    """
    start, mark = time.monotonic(), f"{_guard().token}/{next(_SERIAL)}"
    try:
        pid, pipes, readers = await _spawn(command, mark)
    except OSError as exc:
        return _missing(command, exc)
    family = Family(pid, mark)
    try:
        interrupted_at = await _watch(pipes, family, deadline, policy)
    except BaseException:
        # The policy may not have finished (cancelled twice, a failure): nothing stays running.
        family.kill_now()
        raise
    finally:
        for reader in readers:
            reader.close()
    ended = _ended(pipes, deadline, interrupted_at)
    return _result(command, pipes, start, ended)


def _missing(command: Command, exc: OSError) -> ProcessResult:
    """A command that could not start: code 127, as a shell says, with the reason."""
    message = f"{command.argv[0]}: {exc.strerror}"
    return ProcessResult(command, 127, stderr=message, missing=True)


async def _spawn(
    command: Command, mark: str
) -> tuple[int, _Pipes, list[asyncio.BaseTransport]]:
    """Start the command, its output read as it comes and its exit awaited by `wait4`, whose
    resource usage says how much CPU it took (asyncio's own reaping keeps none)."""
    # Started from the loop's thread, as asyncio's subprocess_exec does: it returns at once
    # (vfork and exec, as no preexec_fn is given).
    process = subprocess.Popen(  # noqa: ASYNC220
        command.argv,
        cwd=command.cwd,
        env={**os.environ, **command.env, reap.MARK: mark},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _guard().watch(process.pid)
    # Reaped by `_wait` alone: Popen must never wait for (or poll) this pid itself.
    process.returncode = 0
    loop, pipes = asyncio.get_running_loop(), _Pipes()
    threading.Thread(target=_wait, args=(loop, process.pid, pipes), daemon=True).start()
    readers = []
    try:
        for fd, stream in ((1, process.stdout), (2, process.stderr)):
            reader = functools.partial(_Reader, pipes, fd)
            readers.append((await loop.connect_read_pipe(reader, stream))[0])
    except BaseException:
        for reader in readers:
            reader.close()
        Family(process.pid, mark).kill_now()  # unwatched, it must not run on
        raise
    return process.pid, pipes, readers


def _wait(loop: asyncio.AbstractEventLoop, pid: int, pipes: _Pipes) -> None:
    """In a thread of its own: wait for the command's exit and hand it to the loop."""
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:  # reaped by someone else: its code and usage are lost
        code, cpu = None, 0.0
    else:
        # wait4 counts the descendants the command itself waited for.
        code, cpu = os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
    with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is waiting
        loop.call_soon_threadsafe(pipes.end, code, cpu)


async def _watch(
    pipes: _Pipes, family: Family, deadline: float, policy: StopPolicy
) -> float | None:
    """Watch the command to its end; when it was interrupted, the monotonic time it was."""
    interrupt: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    ending = asyncio.ensure_future(_end(pipes, family, deadline, policy, interrupt))
    try:
        # Shielded: a first cancellation must not cut the stop policy short (pytest writes its
        # report on SIGINT), whether it comes while the command runs or while it is stopped.
        await asyncio.shield(ending)
    except asyncio.CancelledError:
        # Interrupted: handled here, so the caller gets the partial result, not the cancellation.
        asyncio.current_task().uncancel()
        interrupt.set_result(time.monotonic())
        await ending  # a second cancellation cancels `ending` too and goes on to run_process
    return interrupt.result() if interrupt.done() else None


async def _end(
    pipes: _Pipes,
    family: Family,
    deadline: float,
    policy: StopPolicy,
    interrupt: asyncio.Future[float],
) -> None:
    """Wait for the command's exit, the deadline or an interrupt; then stop what it left."""
    # Cancelled here (a second interrupt) or failing, run_process kills what is left at once.
    await _exit_or_deadline(pipes, family, deadline, interrupt)
    # Exit, deadline or interrupt: nothing the command started stays.
    await reap.stop(family, policy)
    # Everything is stopped: open pipes now belong to a process that escaped every trace.
    await asyncio.wait({pipes.closed}, timeout=LINGER)


async def _exit_or_deadline(
    pipes: _Pipes, family: Family, deadline: float, interrupt: asyncio.Future[float]
) -> None:
    """Return once the command exits, the deadline passes or Tandem is interrupted."""
    while not (pipes.exited.done() or interrupt.done()):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        done, _ = await asyncio.wait(
            {pipes.exited, interrupt},
            timeout=min(SCAN, left),
            return_when="FIRST_COMPLETED",
        )
        if not done:
            # Descendants are learnt while their parents still link them to the command; the
            # running commands share a look taken in the last half period.
            family.alive(reap.SHARED.within(SCAN / 2))


def _ended(
    pipes: _Pipes, deadline: float, interrupted_at: float | None
) -> tuple[bool, bool]:
    """(timed out, interrupted): timed out when the deadline came before the exit and any interrupt."""
    exited = pipes.exited.result() if pipes.exited.done() else math.inf
    first = min(exited, math.inf if interrupted_at is None else interrupted_at)
    return first > deadline, interrupted_at is not None


def _result(
    command: Command, pipes: _Pipes, start: float, ended: tuple[bool, bool]
) -> ProcessResult:
    """What the command did."""
    stdout, cut_out = pipes.captures[1].text()
    stderr, cut_err = pipes.captures[2].text()
    timed_out, interrupted = ended
    code = pipes.returncode
    return ProcessResult(
        command,
        code if code is not None else -signal.SIGKILL,
        stdout,
        stderr,
        time.monotonic() - start,
        timed_out,
        cut=cut_out + cut_err,
        interrupted=interrupted,
        cpu=pipes.cpu,
    )


class _Guard:
    """Orphans adopted, the watchdog started, and the token that marks every command."""

    def __init__(self) -> None:
        reap.become_subreaper()
        self.token = secrets.token_hex(8)
        self.pipe: int | None = None
        if reap.PROCFS:  # the watchdog finds what to kill through /proc
            watchdog = subprocess.Popen(
                (sys.executable, "-I", "-S", reap.WATCHDOG, self.token),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # no terminal signal reaches it before it is needed
            )
            self.pipe = watchdog.stdin.fileno()
            atexit.register(_release, watchdog)

    def watch(self, pid: int) -> None:
        """Name a command to the watchdog: killed if Tandem dies, even with its mark gone."""
        if self.pipe is not None:
            with contextlib.suppress(OSError):  # the watchdog is gone: nobody to tell
                os.write(self.pipe, b"%d\n" % pid)


@functools.cache
def _guard() -> _Guard:
    """Once per Tandem process."""
    return _Guard()


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
    """Run commands in order, within one timeout, until one exits with a code its command does
    not call normal or calls enough, times out or is interrupted (cancelled: no further command
    starts, and the results end with its own).
    """
    deadline = time.monotonic() + timeout
    results: list[ProcessResult] = []
    for command in commands:
        result = await run_process(command, deadline, policy)
        results.append(result)
        if not result.ended_normally or result.returncode in command.enough:
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
