"""The one module that spawns processes: commands in their own process groups, and the scheduler.

Each command runs with stdin closed, its own `env=`, stdout and stderr kept
apart, and in a new session so that a timeout or an interrupt can stop the
whole process group (SIGTERM, a grace period, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence

from tandem.model import Command, ProcessResult

GRACE = 3.0  # seconds between SIGTERM and SIGKILL
LINGER = 2.0  # seconds the pipes may stay open after the command itself exited
EXIT_POLL = 0.2  # seconds between looks at whether a command with open pipes has exited


async def run_process(command: Command, deadline: float) -> ProcessResult:
    """Run one command until it exits or the monotonic `deadline` passes."""
    start = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *command.argv,
            cwd=command.cwd,
            env={**os.environ, **command.env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        message = f"{command.argv[0]}: {exc.strerror}"
        return ProcessResult(
            command.argv, 127, stderr=message, missing=True, purpose=command.purpose
        )
    out, err, timed_out = await _collect(proc, deadline)
    # Whatever the command started in its group ends with it: no process is left behind.
    _signal_group(proc.pid, signal.SIGKILL)
    if proc.returncode == 0 and command.stamp is not None:
        command.stamp.write_text(" ".join(command.argv))
    code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
    elapsed = time.monotonic() - start
    return ProcessResult(
        command.argv,
        code,
        _decode(out),
        _decode(err),
        elapsed,
        timed_out,
        purpose=command.purpose,
    )


async def _collect(
    proc: asyncio.subprocess.Process, deadline: float
) -> tuple[bytes, bytes, bool]:
    """The command's output, and whether the deadline stopped it."""
    communicate = asyncio.ensure_future(proc.communicate())
    try:
        await _exit_or_deadline(proc, communicate, deadline)
        # The leader is done; a child it left behind may still hold the pipes open.
        out, err = await asyncio.wait_for(asyncio.shield(communicate), LINGER)
        return out, err, False
    except TimeoutError:
        timed_out = proc.returncode is None
        return (*await _stop(proc, communicate), timed_out)
    except asyncio.CancelledError:
        await _stop(proc, communicate)
        raise


async def _exit_or_deadline(
    proc: asyncio.subprocess.Process, communicate: asyncio.Future, deadline: float
) -> None:
    """Return once the command exited, its pipes open or not; TimeoutError at the deadline."""
    # asyncio's wait() also waits for the pipes, so the exit itself is read off returncode.
    while not communicate.done() and proc.returncode is None:
        if time.monotonic() >= deadline:
            raise TimeoutError
        await asyncio.wait(
            {communicate}, timeout=min(EXIT_POLL, max(0.0, deadline - time.monotonic()))
        )


async def _stop(
    proc: asyncio.subprocess.Process, communicate: asyncio.Future
) -> tuple[bytes, bytes]:
    """SIGTERM the process group, then SIGKILL it after the grace period; collect what it wrote."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        return await asyncio.wait_for(asyncio.shield(communicate), GRACE)
    except TimeoutError:
        _signal_group(proc.pid, signal.SIGKILL)
        return await communicate
    finally:
        # Grandchildren that outlived the leader still belong to the group.
        _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


async def run_commands(
    commands: Sequence[Command], timeout: float
) -> tuple[ProcessResult, ...]:
    """Run commands in order, within one timeout, until one exits non-zero."""
    deadline = time.monotonic() + timeout
    results: list[ProcessResult] = []
    for command in commands:
        results.append(await run_process(command, deadline))
        if results[-1].returncode != 0:
            break
    return tuple(results)


def run_commands_sync(
    commands: Sequence[Command], timeout: float = 900.0
) -> tuple[ProcessResult, ...]:
    """`run_commands` for callers outside an event loop (tests, one-off probes)."""
    return asyncio.run(run_commands(commands, timeout))
