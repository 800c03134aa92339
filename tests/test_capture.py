"""Bounded output: head and tail kept on line boundaries, the cut counted and marked, memory flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.capture import KEEP, Capture


def captured(data: bytes, keep: int, piece: int = 7) -> tuple[str, int]:
    capture = Capture(keep)
    for start in range(0, len(data), piece):
        capture.feed(data[start : start + piece])
    return capture.text()


def test_output_within_the_bound_is_kept_whole():
    assert captured(b"one\ntwo\nthree", keep=64) == ("one\ntwo\nthree", 0)


@pytest.mark.parametrize("piece", [1, 5, 64, 1000])
def test_the_cut_lands_on_line_breaks_and_counts_every_byte_dropped(piece):
    data = b"".join(b"line %03d\n" % n for n in range(100))  # 900 bytes
    text, cut = captured(data, keep=100, piece=piece)
    head, marker, tail = text.partition("[... Tandem cut ")
    assert head == "line 000\nline 001\nline 002\nline 003\nline 004\n"
    assert (
        tail.split("\n", 1)[1] == "line 095\nline 096\nline 097\nline 098\nline 099\n"
    )
    kept = len(head.encode()) + len(tail.split("\n", 1)[1].encode())
    assert cut == len(data) - kept and f"cut {cut} bytes" in marker + tail


def test_a_single_endless_line_keeps_both_ends_and_the_marker_its_own_line():
    text, cut = captured(b"<" + b"x" * 1000 + b">", keep=20)
    lines = text.split("\n")
    assert lines[0] == "<" + "x" * 9 and lines[2] == "x" * 9 + ">"
    assert lines[1] == f"[... Tandem cut {cut} bytes of output here ...]" and cut == 982


def test_a_character_split_by_the_ring_still_decodes():
    data = ("é" * 50 + "\n" + "ü" * 77).encode()
    text, _ = captured(data, keep=41, piece=3)
    assert text.endswith("ü" * 10) and "\ufffd" not in text.split("\n", 2)[2]


FLOOD = """
import sys
out = sys.stdout.buffer
out.write(b"first\\n")
chunk = (b"y" * 127 + b"\\n") * 8192
for _ in range(1024):  # 1 GiB
    out.write(chunk)
out.write(b"last\\n")
"""
DRIVER = """
import json, resource, sys
from pathlib import Path
from tandem.model import Command
from tandem.run import run_commands_sync
(result,) = run_commands_sync([Command((sys.executable, "flood.py"), Path.cwd())], 600)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
lines = result.stdout.split("\\n")
whole = all(line == "y" * 127 for line in lines[1:-3] if not line.startswith("[..."))
print(json.dumps({"peak": peak, "cut": result.cut, "ends": [lines[0], lines[-2]],
                  "kept": len(result.stdout), "whole": whole, "code": result.returncode}))
"""


def test_a_command_printing_a_gigabyte_leaves_memory_near_100_mb(tmp_path):
    (tmp_path / "flood.py").write_text(FLOOD)
    run = subprocess.run(
        [sys.executable, "-c", DRIVER],
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = json.loads(run.stdout)
    assert found["code"] == 0 and found["ends"] == ["first", "last"] and found["whole"]
    assert found["kept"] <= KEEP + 100 and found["cut"] >= 2**30 - KEEP
    # 32 MiB kept per stream plus the interpreter; a busy machine reads in bigger gulps, so
    # the bound leaves room for that, and is still an eighth of what the command printed.
    assert found["peak"] < 128 * 2**20, f"peak RSS {found['peak'] / 2**20:.0f} MB"
