"""Every source file under the root and its digest, kept fresh by an index of file stats.

A task's key covers the files of its project: tracked and untracked alike, but not what
`.gitignore` files ignore, nor Tandem's own output and state, nor the caches and environments
tools leave in a tree. Reading every file on every run would cost more than a no-op run may, so
an index in the state directory (as git's own index does) keeps each file's stat and digest and
each directory's mtime. While no directory and no ignore file changed, the listing is the
index's; only a file whose stat changed is read again. A file written in the same clock tick as
the index looks unchanged by its stat (git's "racily clean" entries), so it is read again.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tandem.report.files import write_atomic

INDEX = "files.json"
TOOLS = "tools.json"
FORMAT = 2
RACY_NS = 2_000_000_000  # coarse file systems keep mtimes to 2 s
# What tools leave in a tree and no repository means as source, ignored or not.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        ".hypothesis",
        ".tox",
        ".nox",
        ".venv",
        ".turbo",
    }
)
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
RULES = ".gitignore"
Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
Folder = tuple[
    int, tuple[str, ...]
]  # mtime_ns, entry names ("/" after a directory's), sorted


@dataclass(frozen=True)
class Tree:
    """The digests of the files under a root, by root-relative "/" path, sorted."""

    paths: tuple[str, ...]
    digests: Mapping[str, str]

    def under(self, directory: str) -> Iterator[tuple[str, str]]:
        """(path, digest) of every file below `directory` ("" for the root)."""
        prefix = f"{directory}/" if directory else ""
        start = bisect.bisect_left(self.paths, prefix)
        for path in self.paths[start:]:
            if not path.startswith(prefix):
                return
            yield path, self.digests[path]

    def beside(self, directory: str) -> Iterator[tuple[str, str]]:
        """(path, digest) of the files directly in `directory`, not in its subdirectories."""
        cut = len(directory) + 1 if directory else 0
        return ((p, d) for p, d in self.under(directory) if "/" not in p[cut:])

    def digest(self, files: Iterable[tuple[str, str]]) -> str:
        """One digest for some of the files, their paths included."""
        digest = hashlib.sha256()
        for path, file_digest in files:
            digest.update(f"{path}\0{file_digest}\n".encode())
        return digest.hexdigest()


def scan(root: Path, skipped: Iterable[Path], state: Path) -> Tree:
    """The tree's files and digests; the index under `state` is brought up to date."""
    skip = sorted(str(p) for p in skipped)
    old = _load(state / INDEX)
    listing = _listing(root, skip, old)
    files, fresh = _digests(root, listing.files, old)
    changed = fresh or listing is not old.listing or old.skip != skip
    if changed:
        _save(state / INDEX, _Index(skip, listing, files, time.time_ns()))
    paths = tuple(sorted(files))
    return Tree(paths, {path: files[path][1] for path in paths})


def indexed(root: Path, state: Path) -> tuple[list[str], list[str]]:
    """The absolute paths of the files (ignore files included) and of the directories that the
    index under `state` lists."""
    listing, base = _load(state / INDEX).listing, str(root)
    files = [os.path.join(base, path) for path in listing.files]
    return [*files, *listing.rules], [os.path.join(base, d) for d in listing.dirs]


@dataclass(frozen=True)
class _Listing:
    """Which files there are, and what they were found from: directory mtimes, ignore files."""

    files: tuple[str, ...]
    dirs: Mapping[str, Folder]  # root-relative directory -> its mtime_ns and entries
    rules: Mapping[str, Signature]  # ignore files read -> their stat


@dataclass(frozen=True)
class _Index:
    skip: list[str]
    listing: _Listing
    files: Mapping[str, tuple[Signature, str]]  # path -> (stat, digest)
    written: int  # time_ns when the index was written


_EMPTY = _Index([], _Listing((), {}, {}), {}, 0)


def _load(path: Path) -> _Index:
    """The index, or an empty one when it is missing, from another format or damaged."""
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != FORMAT:
            return _EMPTY
        listing = _Listing(
            tuple(data["files"]),
            {k: (v[0], tuple(v[1])) for k, v in data["dirs"].items()},
            {k: tuple(v) for k, v in data["rules"].items()},
        )
        files = {k: (tuple(v[0]), v[1]) for k, v in data["files"].items()}
        return _Index(data["skip"], listing, files, data["written"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return _EMPTY


def _save(path: Path, index: _Index) -> None:
    """Write the index; a run that cannot only hashes again next time."""
    data = {
        "format": FORMAT,
        "skip": index.skip,
        "written": index.written,
        "dirs": index.listing.dirs,
        "rules": index.listing.rules,
        "files": {k: [list(sig), digest] for k, (sig, digest) in index.files.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, separators=(",", ":")))
    except OSError:
        pass


def _listing(root: Path, skip: list[str], old: _Index) -> _Listing:
    """The index's listing while nothing it was found from changed; else a new walk."""
    racy = old.written - RACY_NS
    if (
        old.skip == skip
        and old.listing.dirs
        and _same_entries(root, old.listing.dirs, racy)
        and _same_rules(root, old.listing.rules, racy)
    ):
        return old.listing
    return _walk(root, set(skip))


def _same_entries(root: Path, dirs: Mapping[str, Folder], racy: int) -> bool:
    """True when every directory holds the same entries as when the index was written.

    A directory whose mtime is unchanged (and older than `racy`, the index's clock tick) is
    taken as it was; any other (the report's, replaced each run) is listed again and compared
    by its entries' names.
    """
    base = str(root)
    try:
        for rel, (mtime, names) in dirs.items():
            full = os.path.join(base, rel)
            moved = os.stat(full).st_mtime_ns != mtime or mtime >= racy
            if moved and _listed(full) != names:
                return False
    except OSError:
        return False
    return True


def _same_rules(root: Path, rules: Mapping[str, Signature], racy: int) -> bool:
    """True when no ignore file changed (one changed in the index's clock tick may have)."""
    try:
        return all(
            sig[1] < racy and _signature(os.stat(os.path.join(str(root), r))) == sig
            for r, sig in rules.items()
        )
    except OSError:
        return False


def _names(entries: Iterable[os.DirEntry]) -> tuple[str, ...]:
    """A directory's entry names, sorted, with "/" after each subdirectory's."""
    return tuple(sorted(f"{e.name}/" if _is_dir(e) else e.name for e in entries))


def _listed(folder: str) -> tuple[str, ...]:
    with os.scandir(folder) as entries:
        return _names(entries)


def _signature(st: os.stat_result) -> Signature:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _digests(
    root: Path, paths: Iterable[str], old: _Index
) -> tuple[dict[str, tuple[Signature, str]], bool]:
    """Each file's stat and digest, read again only where its stat may hide a change; and
    whether any file was read."""
    base, found, fresh = str(root), {}, False
    racy = old.written - RACY_NS
    for path in paths:
        full = os.path.join(base, path)
        try:
            st = os.stat(full)
        except OSError:
            continue  # gone since the listing: nothing to read
        sig, known = _signature(st), old.files.get(path)
        if known and known[0] == sig and st.st_mtime_ns < racy:
            found[path] = known
            continue
        # Read again (new, changed or racily clean): the index is written anew.
        found[path], fresh = (sig, _file_digest(full, st)), True
    return found, fresh or len(found) != len(old.files)


def _file_digest(path: str, st: os.stat_result) -> str:
    """The content's digest, with "x" for an executable file (a mode change changes results)."""
    try:
        with open(path, "rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()[:40]
    except OSError:
        digest = "unreadable"
    return f"{digest}x" if st.st_mode & stat.S_IXUSR else digest


def _walk(root: Path, skip: set[str]) -> _Listing:
    """Every file under `root` that counts as source, by a fresh walk honouring ignore files."""
    files: list[str] = []
    dirs: dict[str, Folder] = {}
    rules: dict[str, Signature] = {}
    ignores = _Ignores.above(root, rules)
    stack = [("", str(root), ignores)]
    while stack:
        rel, full, ignores = stack.pop()
        try:
            mtime = os.stat(full).st_mtime_ns
            entries = list(os.scandir(full))
        except OSError:
            continue
        dirs[rel] = (mtime, _names(entries))
        ignores = ignores.entering(rel, full, entries, rules)
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if _is_dir(entry):
                if _keeps_dir(entry, child, skip, ignores):
                    stack.append((child, entry.path, ignores))
            elif _keeps_file(entry, child, skip, ignores):
                files.append(child)
    return _Listing(tuple(sorted(files)), dirs, rules)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows links: a linked directory is skipped below
    except OSError:
        return False


def _keeps_dir(entry: os.DirEntry, rel: str, skip: set[str], ignores: _Ignores) -> bool:
    if entry.name in SKIPPED_DIRS or entry.name.endswith(SKIPPED_SUFFIXES):
        return False
    if entry.is_symlink() or entry.path in skip:
        return False
    if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
        return False  # a virtualenv, whatever its name
    return not ignores.ignored(rel, True)


def _keeps_file(
    entry: os.DirEntry, rel: str, skip: set[str], ignores: _Ignores
) -> bool:
    if entry.name.endswith(SKIPPED_SUFFIXES) or entry.path in skip:
        return False
    return not ignores.ignored(rel, False)


class _Ignores:
    """The `.gitignore` rules in force in a directory, each file's patterns from its own place."""

    def __init__(self, specs: tuple[tuple[str, str, object], ...] = ()) -> None:
        # (root-relative directory of the file, what to put before paths below it, the patterns)
        self.specs = specs

    @classmethod
    def above(cls, root: Path, rules: dict[str, Signature]) -> _Ignores:
        """The rules of `.gitignore` files above the root and of the repository's info/exclude,
        weakest first (as in git): info/exclude, then each `.gitignore` from the top down.
        """
        found: list[tuple[str, str, object]] = []
        for folder in (root, *root.parents):
            prefix = root.relative_to(folder).as_posix()
            prefix = "" if prefix == "." else f"{prefix}/"
            if folder != root:
                found = _read_spec(folder / RULES, "", prefix, rules) + found
            if (folder / ".git").exists():
                exclude = folder / ".git" / "info" / "exclude"
                found = _read_spec(exclude, "", prefix, rules) + found
                break
        return cls(tuple(found))

    def entering(
        self,
        rel: str,
        full: str,
        entries: list[os.DirEntry],
        rules: dict[str, Signature],
    ) -> _Ignores:
        """The rules for a directory's entries: these, and its own `.gitignore` if it has one."""
        if not any(e.name == RULES for e in entries):
            return self
        own = _read_spec(Path(full) / RULES, rel, "", rules)
        return _Ignores((*self.specs, *own))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """True when the deepest file with a rule for the root-relative path ignores it: as in
        git, a deeper `.gitignore` takes back with `!` what a higher one ignores."""
        for base, prefix, spec in reversed(self.specs):
            if base and not rel.startswith(f"{base}/"):
                continue
            local = prefix + (rel[len(base) + 1 :] if base else rel)
            include = spec.check_file(f"{local}/" if is_dir else local).include
            if include is not None:
                return include
        return False


def _read_spec(
    path: Path, base: str, prefix: str, rules: dict[str, Signature]
) -> list[tuple[str, str, object]]:
    """A compiled ignore file for paths below `base`, seen with `prefix`; [] when there is none."""
    try:
        st = os.stat(path)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    import pathspec  # only when the tree changed: a no-op run never needs it

    rules[str(path)] = _signature(st)
    try:
        return [(base, prefix, pathspec.GitIgnoreSpec.from_lines(lines))]
    except ValueError:  # a line pathspec refuses (`!`, a trailing `\`): git ignores it
        return [(base, prefix, pathspec.GitIgnoreSpec.from_lines(_valid(lines)))]


def _valid(lines: list[str]) -> list[str]:
    """The lines pathspec accepts, one by one."""
    import pathspec

    kept = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:
            continue
        kept.append(line)
    return kept


class Contents:
    """Digests of files outside the tree (tools: `go`, `uv`, an interpreter), by content, so a
    key is the same on every machine with the same tools; each is read again only when its stat
    changes, the digests being kept in the state directory."""

    def __init__(self, state: Path | None = None) -> None:
        self.path = state / TOOLS if state else None
        self.known = _load_contents(self.path) if self.path else {}
        self.changed = False

    def digest(self, file: Path) -> str:
        """The digest of the file's content ("missing" when it cannot be read)."""
        try:
            st = os.stat(file)
        except OSError:
            return "missing"
        sig, known = list(_signature(st)), self.known.get(str(file))
        if known and known[0] == sig:
            return known[1]
        self.known[str(file)], self.changed = [sig, _file_digest(str(file), st)], True
        return self.known[str(file)][1]

    def save(self) -> None:
        """Keep what was read for the next run (a run that cannot only reads again)."""
        if self.changed and self.path:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(self.path, json.dumps(self.known))
            except OSError:
                pass


def _load_contents(path: Path) -> dict[str, list]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
