"""Processes: separate streams, deadlines, the stop policy, strays of every kind, missing tools, stamps."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from tandem import reap
from tandem.model import Command
from tandem.reap import StopPolicy
from tandem.run import run_commands, run_commands_sync

# The default policy's order with shorter waits, so that tests that exhaust it stay quick.
QUICK = StopPolicy(
    ((signal.SIGINT, 1.0), (signal.SIGTERM, 1.0), (signal.SIGKILL, 10.0))
)


# Deadlines long enough for a child to start and get ready even on a loaded machine.
START = 8.0


def py(code: str, cwd: Path, **env: str) -> Command:
    return Command((sys.executable, "-c", code), cwd, env)


def script(tmp_path: Path, code: str, **env: str) -> Command:
    """A command that runs `code` (dedented) as a script written under tmp_path."""
    path = tmp_path / "child.py"
    path.write_text(textwrap.dedent(code))
    return Command((sys.executable, str(path)), tmp_path, env)


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rindex(b")") + 2 :].split()[0] in (b"Z", b"X")


def wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return gone(pid)


def pids(path: Path, count: int, seconds: float = 60.0) -> list[int]:
    """The pids a child wrote to `path`, one a line, once there are `count` of them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"{path} never held {count} pids")


def test_streams_are_kept_apart_and_env_is_passed(tmp_path):
    code = (
        "import os, sys; print(os.environ['GREETING']); print('oops', file=sys.stderr)"
    )
    (result,) = run_commands_sync([py(code, tmp_path, GREETING="hello")])
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "oops\n")
    assert "GREETING" not in os.environ and result.cut == 0


def test_other_unicode_line_breaks_are_kept_as_they_are(tmp_path):
    code = "import sys; sys.stdout.write('a\\x85b\\u2028c\\x0cd\\ne\\n')"
    (result,) = run_commands_sync([py(code, tmp_path)])
    assert result.stdout.split("\n") == ["a\x85b\u2028c\x0cd", "e", ""]


def test_cpu_time_counts_the_command_and_what_it_waited_for_not_its_waits(tmp_path):
    spin = "import time\nwhile time.process_time() < 0.4: pass"
    nested = (
        sys.executable,
        "-c",
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}])",
    )
    results = run_commands_sync(
        [
            py(spin, tmp_path),
            Command(nested, tmp_path),
            py("import time; time.sleep(0.6)", tmp_path),
        ]
    )
    spun, waited_for, slept = (r.cpu for r in results)
    assert (
        spun >= 0.4 and waited_for >= 0.4
    )  # the child's CPU is its parent's to report
    assert slept < 0.3 and results[2].duration >= 0.6


def test_commands_stop_at_the_first_failure(tmp_path):
    results = run_commands_sync(
        [
            py("pass", tmp_path),
            py("raise SystemExit(3)", tmp_path),
            py("pass", tmp_path),
        ]
    )
    assert [r.returncode for r in results] == [0, 3]


def test_a_missing_tool_is_code_127_not_a_crash(tmp_path):
    (result,) = run_commands_sync([Command(("no-such-tool-here",), tmp_path)])
    assert result.missing and result.returncode == 127
    assert "no-such-tool-here" in result.stderr


def test_a_timeout_stops_the_whole_process_group(tmp_path):
    command = script(
        tmp_path,
        """
        import subprocess, sys, time
        p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open("pids", "w").write(f"{p.pid}\\n")
        print("started", flush=True)
        time.sleep(120)
        """,
    )
    (result,) = run_commands_sync([command], timeout=START)
    assert result.timed_out and result.returncode != 0
    assert result.stdout.startswith("started\n")
    assert wait_gone(pids(tmp_path / "pids", 1)[0])


def test_the_policy_sends_sigint_then_sigterm_then_sigkill(tmp_path):
    command = script(
        tmp_path,
        """
        import signal, time
        def note(sig, frame):
            with open("signals", "a") as file:
                file.write(signal.Signals(sig).name + "\\n")
        signal.signal(signal.SIGINT, note)
        signal.signal(signal.SIGTERM, note)
        print("armed", flush=True)
        while True:
            time.sleep(0.1)
        """,
    )
    (result,) = run_commands_sync([command], timeout=START, policy=QUICK)
    assert result.timed_out and result.returncode == -signal.SIGKILL
    assert (tmp_path / "signals").read_text().split() == ["SIGINT", "SIGTERM"]


def test_exiting_0_on_sigint_after_the_deadline_is_still_a_timeout(tmp_path):
    command = script(
        tmp_path,
        """
        import sys, time
        print("working", flush=True)
        try:
            time.sleep(120)
        except KeyboardInterrupt:
            print("saved what I had")
            sys.exit(0)
        """,
    )
    after = py("open('ran', 'w').write('yes')", tmp_path)
    results = run_commands_sync([command, after], timeout=START, policy=QUICK)
    assert len(results) == 1 and not (tmp_path / "ran").exists()
    assert results[0].returncode == 0 and results[0].timed_out
    assert results[0].stdout == "working\nsaved what I had\n"


def test_a_setsid_child_holding_stdout_ends_with_the_deadline(tmp_path):
    # The child ignores SIGINT and SIGTERM and keeps the command's stdout open.
    command = script(
        tmp_path,
        """
        import subprocess, sys, time
        stubborn = (
            "import signal, time;"
            "signal.signal(signal.SIGINT, signal.SIG_IGN);"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            "time.sleep(120)"
        )
        p = subprocess.Popen([sys.executable, "-c", stubborn], start_new_session=True)
        open("pids", "w").write(f"{p.pid}\\n")
        print("left a session leader", flush=True)
        time.sleep(120)
        """,
    )
    start = time.monotonic()
    (result,) = run_commands_sync([command], timeout=START, policy=QUICK)
    child = pids(tmp_path / "pids", 1)[0]
    assert result.timed_out and result.stdout == "left a session leader\n"
    assert time.monotonic() - start < 60
    assert gone(child)


def test_a_child_left_holding_the_pipes_is_stopped_with_its_command(tmp_path):
    command = script(
        tmp_path,
        """
        import subprocess, sys
        p = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
        )
        open("pids", "w").write(f"{p.pid}\\n")
        print("left it")
        """,
    )
    start = time.monotonic()
    (result,) = run_commands_sync([command], timeout=120)
    assert (result.returncode, result.timed_out, result.stdout) == (
        0,
        False,
        "left it\n",
    )
    assert time.monotonic() - start < 60
    assert gone(pids(tmp_path / "pids", 1)[0])


def test_a_double_forked_daemon_is_gone_after_its_command(tmp_path):
    command = script(
        tmp_path,
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork():
                os._exit(0)
            # The daemon: no parent, no session of ours, no pipes; it writes its pid and waits.
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            open("pids", "w").write(f"{os.getpid()}\\n")
            time.sleep(120)
            os._exit(0)
        os.wait()
        while not os.path.exists("pids"):
            time.sleep(0.05)
        print("daemon started")
        """,
    )
    (result,) = run_commands_sync([command], timeout=120)
    assert result.returncode == 0 and result.stdout == "daemon started\n"
    assert gone(pids(tmp_path / "pids", 1)[0])


def test_pipes_held_by_a_process_that_escaped_every_trace_do_not_hold_the_run(tmp_path):
    # Double-forked, in a session of its own and with a fresh environment: nothing ties it to
    # the command any more, yet it keeps stdout open.
    command = script(
        tmp_path,
        """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork():
                os._exit(0)
            code = "import os, time; open('pids', 'w').write(f'{os.getpid()}\\\\n'); time.sleep(120)"
            os.execve(sys.executable, [sys.executable, "-c", code], {})
        os.wait()
        while not os.path.exists("pids"):
            time.sleep(0.05)
        print("escaped")
        """,
    )
    start = time.monotonic()
    (result,) = run_commands_sync([command], timeout=120)
    escaped = pids(tmp_path / "pids", 1)[0]
    try:
        assert (result.returncode, result.timed_out) == (0, False)
        assert result.stdout == "escaped\n" and time.monotonic() - start < 30
    finally:
        os.kill(escaped, signal.SIGKILL)


def test_cancelling_a_run_stops_its_processes(tmp_path):
    command = script(
        tmp_path,
        """
        import os, subprocess, sys, time
        p = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
        )
        open("pids", "w").write(f"{os.getpid()}\\n{p.pid}\\n")
        time.sleep(120)
        """,
    )

    async def cancel_soon():
        job = asyncio.ensure_future(run_commands([command], 120))
        await asyncio.to_thread(pids, tmp_path / "pids", 2)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)

    asyncio.run(cancel_soon())
    assert all(gone(pid) for pid in pids(tmp_path / "pids", 2))


def test_a_cancelled_run_returns_what_the_command_wrote_and_starts_nothing_more(
    tmp_path,
):
    command = script(
        tmp_path,
        """
        import os, signal, sys, time
        def save(*_):
            print("saved on SIGINT", flush=True)
            sys.exit(2)
        signal.signal(signal.SIGINT, save)
        print("started", flush=True)
        open("pids", "w").write(f"{os.getpid()}\\n")
        time.sleep(120)
        """,
    )
    after = py("open('after', 'w').close()", tmp_path)

    async def cancel_once():
        job = asyncio.ensure_future(run_commands([command, after], 120))
        await asyncio.to_thread(pids, tmp_path / "pids", 1)
        job.cancel()
        return await job  # the cancellation is handled: the results come back

    (result,) = asyncio.run(cancel_once())
    assert (result.interrupted, result.timed_out, result.returncode) == (True, False, 2)
    assert result.stdout == "started\nsaved on SIGINT\n"
    assert not (tmp_path / "after").exists()
    assert gone(pids(tmp_path / "pids", 1)[0])


def test_a_second_cancellation_kills_at_once_and_goes_on(tmp_path):
    command = script(
        tmp_path,
        """
        import os, signal, time
        # Notes the SIGINT and goes on: only SIGKILL ends it.
        signal.signal(
            signal.SIGINT, lambda *_: open("interrupted", "w").write("1\\n")
        )
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open("pids", "w").write(f"{os.getpid()}\\n")
        while True:
            time.sleep(0.1)
        """,
    )
    patient = StopPolicy(((signal.SIGINT, 120.0), (signal.SIGKILL, 10.0)))

    async def cancel_twice():
        job = asyncio.ensure_future(run_commands([command], 300, patient))
        await asyncio.to_thread(pids, tmp_path / "pids", 1)
        job.cancel()
        await asyncio.to_thread(pids, tmp_path / "interrupted", 1)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        return job

    start = time.monotonic()
    job = asyncio.run(cancel_twice())
    assert job.cancelled() and time.monotonic() - start < 60
    assert wait_gone(pids(tmp_path / "pids", 1)[0])


DRIVER = """
import sys
from pathlib import Path
from tandem.model import Command
from tandem.run import run_commands_sync
run_commands_sync([Command((sys.executable, "child.py"), Path.cwd())], timeout=600)
"""


def test_a_killed_tandem_takes_every_process_of_its_commands_along(tmp_path):
    # The command's child stays in its group; its grandchild is a double-forked daemon.
    script(
        tmp_path,
        """
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        if os.fork() == 0:
            os.setsid()
            if os.fork():
                os._exit(0)
            open("pids", "a").write(f"{os.getpid()}\\n")
            time.sleep(120)
            os._exit(0)
        os.wait()
        open("pids", "a").write(f"{os.getpid()}\\n{child.pid}\\n")
        time.sleep(120)
        """,
    )
    with killed_tandem(tmp_path):
        found = pids(tmp_path / "pids", 3)
    assert all(wait_gone(pid) for pid in found)


@contextlib.contextmanager
def killed_tandem(tmp_path: Path) -> Iterator[None]:
    """Run child.py under Tandem in a process of its own; SIGKILL that process on leaving."""
    tandem = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        yield
    finally:
        tandem.kill()
        tandem.wait()


def test_a_killed_tandem_takes_a_command_along_that_cleared_its_environment(tmp_path):
    # The command replaces itself with a program that has no environment, so no mark either.
    script(
        tmp_path,
        """
        import os, sys
        open("pids", "a").write(f"{os.getpid()}\\n")
        os.execve(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)"], {})
        """,
    )
    with killed_tandem(tmp_path):
        (found,) = pids(tmp_path / "pids", 1)
        time.sleep(0.5)  # the exec is done: the environment holds no mark
    assert wait_gone(found)


def test_the_running_commands_periodic_looks_at_proc_share_one_within_its_age():
    shared = reap._Shared()
    first = shared.within(60.0)
    assert first is shared.within(60.0) and os.getpid() in first  # one look serves both
    assert shared.within(-1.0) is not first  # an older look is taken again
