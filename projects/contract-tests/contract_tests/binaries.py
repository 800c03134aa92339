"""Find the Go services' binaries: Tandem's build output, or a fresh build.

Under Tandem, TANDEM_DIST holds what the build step made
(<dist>/<project>/<binary>). Run on its own, this project builds the
binaries itself with the same command Tandem uses.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

# project → the binary the tests run from it
BINARIES = {"catalog": "catalog", "orders": "orders", "gokit": "whsign"}


class MissingBinary(RuntimeError):
    """A binary that should have been built is not there."""


def locate(
    projects: Path, scratch: Path, env: Mapping[str, str] | None = None
) -> dict[str, Path]:
    """Paths of every binary in BINARIES, keyed by project."""
    env = os.environ if env is None else env
    dist = env.get("TANDEM_DIST")
    if dist:
        return {project: _built(Path(dist), project) for project in BINARIES}
    return {
        project: build(projects / project, scratch / project) for project in BINARIES
    }


def _built(dist: Path, project: str) -> Path:
    path = dist / project / BINARIES[project]
    if not path.is_file():
        raise MissingBinary(
            f"{path} does not exist: the {project} build must run before these tests "
            "(or unset TANDEM_DIST to build it here)"
        )
    return path


def build(project_dir: Path, out: Path) -> Path:
    """`go build` a project's commands into `out` as static binaries."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["go", "build", "-o", f"{out}{os.sep}", "./..."],
        cwd=project_dir,
        env={**os.environ, "CGO_ENABLED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise MissingBinary(f"go build in {project_dir} failed:\n{result.stderr}")
    return out / BINARIES[project_dir.name]
