"""Run a Python module as `python -m` would, then write its own and its children's CPU time.

    python benchmarks/selfusage.py OUT MODULE [ARGS...]

OUT gets one line: self user, self system, children user, children system (seconds).
It separates the orchestrator's own CPU from the tools it ran, which `wait4` cannot.
Run as a script path (not `-m benchmarks...`), so it works from any directory.
"""

from __future__ import annotations

import resource
import runpy
import sys
from pathlib import Path


def main() -> None:
    """Run the module in this process; record rusage however it ends."""
    out, module, *args = sys.argv[1:]
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]  # this folder's modules must not shadow the measured program's
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        times = (own.ru_utime, own.ru_stime, kids.ru_utime, kids.ru_stime)
        Path(out).write_text(
            " ".join(f"{t:.6f}" for t in times) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
