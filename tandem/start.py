"""The `tandem` command: an unchanged re-run is replayed before the rest of Tandem loads."""

from __future__ import annotations

import sys


def main() -> int:
    """Run the command line; the last run again when nothing it read changed (`tandem.cache.noop`)."""
    from tandem.cache import noop

    code = noop.replayed(sys.argv[1:])
    if code is not None:
        return code
    from tandem import cli

    return cli.main()
