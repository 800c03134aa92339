"""GitLab CI: the run's task lines in a collapsible section of the job log, the summary after it.

GitLab folds what lies between a `section_start` and a `section_end` marker (each an escape
sequence at the start of a line, with a Unix time and a name), so a long run's hundreds of task
lines collapse into one line and the failures and totals stay in sight.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

SECTION = "tandem_tasks"
_CLEAR = "\x1b[0K"


def active(environ: Mapping[str, str]) -> bool:
    """True inside a GitLab CI job."""
    return environ.get("GITLAB_CI") == "true"


def section_start(header: str, name: str = SECTION, collapsed: bool = True) -> str:
    """The line that opens a section headed `header`."""
    options = "[collapsed=true]" if collapsed else ""
    return f"{_CLEAR}section_start:{int(time.time())}:{name}{options}\r{_CLEAR}{header}"


def section_end(name: str = SECTION) -> str:
    """The line that closes the section."""
    return f"{_CLEAR}section_end:{int(time.time())}:{name}\r{_CLEAR}"
