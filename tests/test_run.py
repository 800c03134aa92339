"""Processes: separate streams, timeouts that kill the whole group, missing tools, stamps."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from tandem.model import Command
from tandem.run import run_commands, run_commands_sync


def py(code: str, cwd: Path, **env: str) -> Command:
    return Command((sys.executable, "-c", code), cwd, env)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_streams_are_kept_apart_and_env_is_passed(tmp_path):
    code = (
        "import os, sys; print(os.environ['GREETING']); print('oops', file=sys.stderr)"
    )
    (result,) = run_commands_sync([py(code, tmp_path, GREETING="hello")])
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "oops\n")
    assert "GREETING" not in os.environ


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


def test_a_timeout_kills_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid));"
        "print('started', flush=True); time.sleep(60)"
    )
    (result,) = run_commands_sync([py(code, tmp_path)], timeout=2.0)
    assert result.timed_out and result.returncode != 0
    assert result.stdout == "started\n"
    assert wait_gone(int(pidfile.read_text()))


def test_a_term_resistant_process_is_killed_after_the_grace_period(tmp_path):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('armed', flush=True); time.sleep(60)"
    )
    start = time.monotonic()
    (result,) = run_commands_sync([py(code, tmp_path)], timeout=1.0)
    assert result.timed_out and result.stdout == "armed\n"
    assert time.monotonic() - start < 10


def test_cancelling_a_run_stops_its_processes(tmp_path):
    pidfile = tmp_path / "child.pid"
    code = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"

    async def cancel_soon():
        job = asyncio.ensure_future(run_commands([py(code, tmp_path)], 60))
        while not pidfile.exists() or not pidfile.read_text():
            await asyncio.sleep(0.05)
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)

    asyncio.run(cancel_soon())
    assert wait_gone(int(pidfile.read_text()))


def test_a_stamp_is_written_only_on_success(tmp_path):
    good, bad = tmp_path / "good.stamp", tmp_path / "bad.stamp"
    run_commands_sync([Command((sys.executable, "-c", "pass"), tmp_path, stamp=good)])
    run_commands_sync(
        [Command((sys.executable, "-c", "raise SystemExit(1)"), tmp_path, stamp=bad)]
    )
    assert good.exists() and not bad.exists()


def test_a_child_left_holding_the_pipes_is_stopped_with_its_command(tmp_path):
    pidfile = tmp_path / "daemon.pid"
    code = (
        "import subprocess, sys;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid)); print('left it')"
    )
    start = time.monotonic()
    (result,) = run_commands_sync([py(code, tmp_path)], timeout=60)
    assert (
        result.returncode == 0 and not result.timed_out and result.stdout == "left it\n"
    )
    assert time.monotonic() - start < 15
    assert wait_gone(int(pidfile.read_text()))
