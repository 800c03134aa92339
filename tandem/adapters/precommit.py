"""The formatter hooks of a project's `.pre-commit-config.yaml`, and the versions they pin.

Many projects pin black and ruff nowhere but here. The file is read line by line in the layout
pre-commit itself writes (`- repo:`, `rev:`, `- id:`), so no YAML parser is needed; anything
else simply yields nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONFIG = ".pre-commit-config.yaml"
# Hook ids that format, by the tool that formats; the repositories that carry them.
FORMAT_HOOKS = {"black": "black", "black-jupyter": "black", "ruff-format": "ruff"}
TOOL_REPOS = {
    "black": ("psf/black", "psf/black-pre-commit-mirror"),
    "ruff": ("astral-sh/ruff-pre-commit", "charliermarsh/ruff-pre-commit"),
}
_KEY = re.compile(r"^\s*-?\s*(repo|rev|id)\s*:\s*['\"]?([^'\"#\s]+)")


@dataclass(frozen=True)
class Hook:
    """One hook: its id, and the repository and revision it comes from."""

    repo: str
    rev: str
    id: str


def hooks(path: Path) -> tuple[Hook, ...]:
    """The hooks of the project's pre-commit configuration; none when it has none."""
    try:
        lines = (
            (path / CONFIG).read_text(encoding="utf-8", errors="replace").splitlines()
        )
    except OSError:
        return ()
    found, repo, rev = [], "", ""
    for line in lines:
        match = _KEY.match(line)
        if match is None:
            continue
        key, value = match.groups()
        if key == "repo":
            repo, rev = value, ""
        elif key == "rev":
            rev = value
        else:
            found.append(Hook(repo, rev, value))
    return tuple(found)


def formatter(path: Path) -> str | None:
    """ "black" or "ruff" when a pre-commit hook formats the project with it."""
    return next((FORMAT_HOOKS[h.id] for h in hooks(path) if h.id in FORMAT_HOOKS), None)


def pinned(path: Path, tool: str) -> str | None:
    """The version of `tool` that the project's pre-commit configuration pins."""
    repos = TOOL_REPOS.get(tool, ())
    for hook in hooks(path):
        if hook.rev and any(hook.repo.rstrip("/").endswith(r) for r in repos):
            return hook.rev.removeprefix("v")
    return None
