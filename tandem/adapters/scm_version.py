"""Versions from git tags for projects built outside their work tree.

Tandem builds Python projects from out-of-tree copies, where setuptools-scm (and hatch-vcs,
which uses it) finds no git repository and fails. For such a project, under git and without the
PKG-INFO an sdist carries, Tandem reads the newest version tag from the repository's files (no
git process) and hands it to setuptools-scm as the pretended version, marked `+tandem` since the
distance from the tag is not known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.lazy import lazy

if TYPE_CHECKING:
    from packaging.version import Version

versions = lazy("packaging.version")


SCM_BACKENDS = ("setuptools-scm", "setuptools_scm", "hatch-vcs", "hatch_vcs")
NO_TAG = "0.1.dev0+tandem"
# Read by every setuptools-scm build in the process's reach, a third party's sdist too.
GENERAL = ("SETUPTOOLS_SCM_PRETEND_VERSION", "VCS_VERSIONING_PRETEND_VERSION")


def pretend_env(path: Path, pyproject: Mapping[str, Any]) -> dict[str, str]:
    """The pretended-version variables for a project that needs them, else nothing."""
    name = pyproject.get("project", {}).get("name")
    if (
        not isinstance(name, str)
        or not _uses_scm(pyproject)
        or (path / "PKG-INFO").exists()
    ):
        return {}
    git = git_dir(path)
    if git is None:
        return {}
    variable, version = re.sub(r"[-_.]+", "_", name).upper(), newest_tag(git)
    # hatch-vcs passes setuptools-scm no distribution name: it reads the general variables.
    named = f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{variable}"
    return {named: version, **dict.fromkeys(GENERAL, version)}


def for_dependencies(
    env: Mapping[str, str], pyproject: Mapping[str, Any]
) -> dict[str, str]:
    """`env` for a command that installs a project's dependencies: without the general
    pretended versions, which a third-party sdist built there would take for its own, unless
    the project's own dependencies are dynamic (its metadata is built there, by its backend).
    """
    table = pyproject.get("project")
    dynamic = table.get("dynamic", []) if isinstance(table, dict) else ["dependencies"]
    if {"dependencies", "optional-dependencies"} & set(dynamic):
        return dict(env)
    return {name: value for name, value in env.items() if name not in GENERAL}


def _uses_scm(pyproject: Mapping[str, Any]) -> bool:
    requires = pyproject.get("build-system", {}).get("requires", [])
    words = " ".join(r for r in requires if isinstance(r, str)).lower()
    return any(backend in words for backend in SCM_BACKENDS)


def git_dir(path: Path) -> Path | None:
    """The git directory of the work tree holding `path` (following a `.git` file)."""
    for folder in (path, *path.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            pointer = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            return (folder / pointer.removeprefix("gitdir:").strip()).resolve()
    return None


def newest_tag(git: Path) -> str:
    """The highest version among the repository's tags, as `VERSION+tandem`."""
    versions = [v for name in _tag_names(git) if (v := _version(name))]
    return f"{max(versions)}+tandem" if versions else NO_TAG


def _tag_names(git: Path) -> Iterator[str]:
    # Worktrees keep their tags in the main repository's directory.
    common = git / "commondir"
    if common.is_file():
        git = (git / common.read_text(encoding="utf-8").strip()).resolve()
    tags = git / "refs" / "tags"
    if tags.is_dir():
        yield from (
            p.relative_to(tags).as_posix() for p in tags.rglob("*") if p.is_file()
        )
    packed = git / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            ref = line.split(" ", 1)[-1]
            if ref.startswith("refs/tags/"):
                yield ref.removeprefix("refs/tags/")


def _version(tag: str) -> Version | None:
    try:
        version = versions.Version(tag.rsplit("/", 1)[-1].removeprefix("v"))
    except versions.InvalidVersion:
        return None
    return None if version.local else version
