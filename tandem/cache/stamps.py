"""Stamps: a command that made something from known inputs leaves a file saying so.

The environment's last command carries the stamp; an adapter that finds the stamp holding the
same digest of inputs leaves the environment as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from tandem.model import ProcessResult
from tandem.report.files import write_atomic


def record(results: Iterable[ProcessResult]) -> None:
    """Write the stamp of each command that ended normally."""
    for result in results:
        stamp = result.command.stamp
        if stamp is not None and result.ended_normally:
            write_atomic(stamp, " ".join(result.argv))
