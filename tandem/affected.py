"""Affected-only selection: the projects that what changed since a git ref reaches.

The base is `git merge-base REF HEAD`, so that what REF gained since the branch left it is not
counted. What changed is every path where the working tree differs from the base (committed
since, staged, unstaged, deleted; a rename counts both names) plus the untracked files git does
not ignore: Tandem checks the working tree, so that is the difference that matters.

A changed file belongs to the deepest project whose directory holds it, and chooses it. A file
in no project (go.work, a root pyproject.toml or shared lock, a CI script) may feed any build, so
it chooses every project. A project that needs a chosen one is chosen too, down every chain.
Changes outside the root, elsewhere in the repository, are left out: no project under the root
holds them, and the root's own configuration is inside it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.model import Command, ProcessResult, Project, TandemError
from tandem.run import run_commands_sync

# quotepath off: names arrive as they are (-z already keeps them whole, this is for the reader).
GIT = ("git", "-c", "core.quotepath=off")
# No optional locks: a look at the tree must not take index.lock from the person editing it.
# LC_ALL=C: git's messages, which tell "not a repository" from other trouble, in English.
GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
# Every path whose working-tree content differs from the base, plain whatever the config says.
DIFF = ("diff", "--name-only", "--no-renames", "--no-ext-diff", "--no-color", "-z")
UNTRACKED = ("ls-files", "--others", "--exclude-standard", "-z")
TIMEOUT = 300.0  # seconds for each batch of git commands
FLAG = "--changed-since"


@dataclass(frozen=True)
class Selection:
    """Projects picked by what changed since a git ref, each with why; and those left out."""

    ref: str  # as the user gave it
    base: str  # the merge-base commit (full sha)
    chosen: Mapping[str, str]  # project name -> reason, in the projects' order
    left_out: tuple[str, ...]  # names of projects not affected


def select(
    root: Path, projects: Sequence[Project], ref: str, ignored: Iterable[Path] = ()
) -> Selection:
    """The projects that changes since the merge base of `ref` and HEAD reach, and the rest;
    changes to the `ignored` files and directories (Tandem's own output) count for none.
    """
    # Resolved as discovery resolves it, so that the projects' paths lie under it.
    root = root.resolve()
    base, changed = changed_files(root, ref)
    changed = _kept(root, changed, ignored)
    chosen = affected(root, projects, changed)
    left_out = tuple(p.name for p in projects if p.name not in chosen)
    return Selection(ref, base, chosen, left_out)


def changed_files(root: Path, ref: str) -> tuple[str, tuple[str, ...]]:
    """The merge base of `ref` and HEAD, and the sorted root-relative paths changed since it."""
    root = root.resolve()
    top, base = _base(root, ref)
    inside = root.relative_to(top).as_posix()
    scope = () if inside == "." else ("--", f":(literal){inside}")
    # Run from the top, where both commands name paths from it, whatever `diff.relative` says.
    steps = {
        "diff": (*GIT, *DIFF, base, *scope),
        "untracked": (*GIT, *UNTRACKED, *scope),
    }
    # A trailing "/" marks an untracked directory git does not enter (a nested repository).
    paths = {
        p.rstrip("/") for r in _git(top, steps, ref) for p in r.stdout.split("\0") if p
    }
    return base, tuple(sorted(_below(paths, inside)))


def _kept(root: Path, changed: Sequence[str], ignored: Iterable[Path]) -> list[str]:
    """The changed paths that are not, nor lie under, an ignored one."""
    skip = [p.relative_to(root).as_posix() for p in ignored if p.is_relative_to(root)]
    return [
        path
        for path in changed
        if not any(path == s or path.startswith(f"{s}/") for s in skip)
    ]


def affected(
    root: Path, projects: Sequence[Project], changed: Sequence[str]
) -> Mapping[str, str]:
    """Each project the root-relative `changed` paths reach, in the projects' order, with why."""
    owned, stray = _owners(_directories(root, projects), changed)
    reasons = {name: _changed(paths) for name, paths in owned.items()}
    if stray:
        outside = _changed(stray, " outside every project")
        reasons = {p.name: reasons.get(p.name, outside) for p in projects}
    reasons.update(_needing(projects, reasons))
    return {p.name: reasons[p.name] for p in projects if p.name in reasons}


def _directories(root: Path, projects: Iterable[Project]) -> dict[tuple[str, ...], str]:
    """Each project's root-relative directory, as parts (the root's own is ()), to its name."""
    return {
        p.path.relative_to(root).parts: p.name
        for p in projects
        if p.path.is_relative_to(root)
    }


def _owners(
    directories: Mapping[tuple[str, ...], str], changed: Iterable[str]
) -> tuple[dict[str, set[str]], set[str]]:
    """The project-relative paths each project owns, and the paths in no project."""
    owned: dict[str, set[str]] = {}
    stray: set[str] = set()
    for path in changed:
        parts = tuple(path.split("/"))
        depth = _depth(directories, parts)
        if depth is None:
            stray.add(path)
            continue
        # The directory itself (a submodule, say) is named whole, since "." says nothing.
        inner = "/".join(parts[depth:]) or path
        owned.setdefault(directories[parts[:depth]], set()).add(inner)
    return owned, stray


def _depth(
    directories: Collection[tuple[str, ...]], parts: tuple[str, ...]
) -> int | None:
    """How many of the path's parts name the deepest project directory holding it; None: none."""
    # Longest prefix first, one lookup per level: no walk over every project for every file.
    return next(
        (n for n in range(len(parts), -1, -1) if parts[:n] in directories), None
    )


def _changed(paths: Collection[str], tail: str = "") -> str:
    """`changed FIRST`, with `(+N more)` when there are more, then `tail`."""
    more = f" (+{len(paths) - 1} more)" if len(paths) > 1 else ""
    return f"changed {min(paths)}{more}{tail}"


def _needing(projects: Sequence[Project], chosen: Collection[str]) -> dict[str, str]:
    """The projects chosen only through their needs, each naming its first chosen need."""
    picked = set(chosen)
    while more := {
        p.name for p in projects if p.name not in picked and picked & set(p.needs)
    }:
        picked |= more
    # Named from the whole fixed point, so the reason never depends on the projects' order.
    return {
        p.name: f"needs {min(picked & set(p.needs))}"
        for p in projects
        if p.name in picked and p.name not in chosen
    }


def _below(paths: Iterable[str], inside: str) -> Iterable[str]:
    """The paths under the root, made relative to it (`inside` is the root's, from the top)."""
    if inside == ".":
        return paths
    prefix = f"{inside}/"
    return (p.removeprefix(prefix) for p in paths if p.startswith(prefix))


def _base(root: Path, ref: str) -> tuple[Path, str]:
    """The top of the git work tree holding `root`, and the merge base of `ref` and HEAD."""
    if not ref or ref.startswith("-"):
        raise TandemError(
            f"{FLAG} {ref!r}: not a git revision; name a branch, tag or commit"
        )
    steps = {
        "top": (*GIT, "rev-parse", "--show-toplevel"),
        "ref": (*GIT, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"),
        "head": (*GIT, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"),
        "base": (*GIT, "merge-base", ref, "HEAD"),
    }
    top, _, _, base = _git(root, steps, ref)
    return Path(top.stdout.rstrip("\n")).resolve(), base.stdout.strip()


def _git(
    cwd: Path, steps: Mapping[str, tuple[str, ...]], ref: str
) -> tuple[ProcessResult, ...]:
    """Run the git commands in turn; a TandemError naming the first that fails, and the fix."""
    commands = [
        Command(argv, cwd, GIT_ENV, purpose=f"{FLAG} {ref}") for argv in steps.values()
    ]
    results = run_commands_sync(commands, TIMEOUT)
    last = results[-1]
    if last.interrupted:
        raise KeyboardInterrupt  # as if it came in between: the CLI says it in one line
    if last.returncode or last.timed_out:
        step = list(steps)[len(results) - 1]
        raise TandemError(_failure(step, last, cwd, ref))
    if any(result.cut for result in results):
        # A list of paths with its middle cut out would leave changed projects unchosen.
        raise TandemError(
            f"{FLAG} {ref}: more changes in {cwd} than Tandem reads at once; "
            f"check everything, without {FLAG}"
        )
    return results


def _failure(step: str, result: ProcessResult, root: Path, ref: str) -> str:
    """The one line that says what went wrong with a git command, and what to do."""
    if result.missing:
        return f"{FLAG} needs git, which is not on the PATH; install it or drop {FLAG}"
    if result.timed_out:
        return f"{FLAG} {ref}: git took over {TIMEOUT:.0f} s in {root}; try again"
    if "not a git repository" in result.stderr:
        return f"{FLAG} needs a git repository: {root} is not inside one"
    if step == "ref":
        return f"{FLAG} {ref}: no such commit in {root} (fetch it first, e.g. {_fetch(ref)})"
    if step == "head":
        return f"{FLAG} {ref}: HEAD has no commit yet in {root}; commit first"
    if step == "base" and result.returncode == 1:
        return (
            f"{FLAG} {ref}: it shares no history with HEAD in {root} "
            "(a shallow clone needs more of it: git fetch --unshallow)"
        )
    said = next((line for line in result.stderr.splitlines() if line.strip()), "")
    command = " ".join(("git", *result.argv[len(GIT) :]))
    return f"{FLAG} {ref}: {command} failed in {root}: {said or result.returncode}"


def _fetch(ref: str) -> str:
    """The fetch that most likely brings `ref` (`origin/main` is branch main of origin)."""
    if any(c in ref for c in "~^:@{") or re.fullmatch(r"[0-9a-fA-F]{7,64}", ref):
        # A commit by sha or by its place in history: in CI, most often cut off by a shallow clone.
        return "git fetch --unshallow"
    remote, slash, branch = ref.partition("/")
    return f"git fetch {remote} {branch}" if slash else f"git fetch origin {ref}:{ref}"
