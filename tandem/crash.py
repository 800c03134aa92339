"""The crash log: the traceback of an error Tandem did not expect, kept for a bug report.

It goes to STATE/crash.log, or to a fresh file in the system's temporary directory when
the state directory cannot take it, with every secret masked like the report's text.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

from tandem import __version__
from tandem.mask import Masker

LOG = "crash.log"


def write_crash_log(
    error: BaseException, state: Path | None, masker: Masker
) -> Path | None:
    """Write the traceback of `error`; the file's path, or None when nowhere would take it."""
    text = masker.text(_describe(error))
    if state is not None:
        try:
            return _in_state(text, state)
        except OSError:
            pass  # the state directory may be the trouble itself: try the temporary one
    try:
        return _in_temp(text)
    except OSError:
        return None


def _describe(error: BaseException) -> str:
    head = f"tandem {__version__}, Python {sys.version.split()[0]}, argv {sys.argv!r}"
    return f"{head}\n\n{''.join(traceback.format_exception(error))}"


def _in_state(text: str, state: Path) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    (state / LOG).write_text(text, encoding="utf-8")
    return state / LOG


def _in_temp(text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="tandem-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return Path(name)


def one_line(error: BaseException) -> str:
    """`Type: first line of the message`, short enough for one terminal line."""
    message = next((line for line in str(error).splitlines() if line.strip()), "")
    described = f"{type(error).__name__}: {message.strip()}" if message else ""
    return (described or type(error).__name__)[:200]
