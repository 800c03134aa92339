"""Cache entries and stored build outputs, on disk in the state directory.

- `entries/KEY`: a header line `tandem-cache 1 SHA256` and then the entry's JSON, whose digest
  the header holds: a truncated or damaged entry fails it and is ignored, never trusted;
- `blobs/SHA256`: the bytes of one output file (a binary, a wheel), checked when restored;
- `built/PROJECT`: the key of the build whose outputs the project's directories now hold.

Every write goes through a temporary file and a rename, so a reader (this run, or another
sharing the directory) sees a whole file or none. A hit touches its entry; eviction removes
the least recently used blobs, then entries, until the cache fits its size limit. `open_store`
puts the remote cache behind a store when one is configured (`tandem.cache.shared`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tandem.cache.remote_settings import remote_settings
from tandem.config import Config
from tandem.report.files import write_atomic

HEADER = b"tandem-cache 1 "
DEFAULT_LIMIT = 2048 * 1024 * 1024  # bytes
KEEP = 0.9  # past its limit, eviction brings the cache down to this share of it


class Store:
    """A cache directory: entries by key, output files by digest, and build marks."""

    def __init__(self, directory: Path, limit: int = DEFAULT_LIMIT) -> None:
        self.directory, self.limit = directory, limit
        self.entries = directory / "entries"
        self.blobs = directory / "blobs"
        self.built = directory / "built"

    def entry_file(self, key: str) -> Path:
        """The file of the entry stored under `key`."""
        return self.entries / key

    def get(self, key: str) -> Any | None:
        """The entry stored under `key`; None when there is none or it is damaged."""
        path = self.entry_file(key)
        try:
            raw = path.read_bytes()
            header, _, body = raw.partition(b"\n")
            if header != HEADER + hashlib.sha256(body).hexdigest().encode():
                return None
            data = json.loads(body)
            os.utime(path)  # recently used: evicted last
        except (OSError, ValueError):
            return None
        return data

    def put(self, key: str, data: Any) -> None:
        """Store an entry under `key`, replacing any."""
        body = json.dumps(data, separators=(",", ":")).encode()
        header = HEADER + hashlib.sha256(body).hexdigest().encode()
        self._write(self.entry_file(key), header + b"\n" + body)

    def put_blob(self, source: Path) -> str:
        """Keep a copy of a file's bytes; their digest names it. A copy already kept is written
        anew: a damaged one is mended, and one used again is evicted last."""
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        self._write(self.blobs / digest, data)
        return digest

    def restore_blob(self, digest: str, target: Path, mode: int) -> bool:
        """Write a kept file back to `target`; False when it is gone or no longer matches."""
        try:
            data = (self.blobs / digest).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)
            os.chmod(target, mode & 0o7777)
            os.utime(self.blobs / digest)
        except OSError:
            return False
        return True

    def mark_file(self, project: str) -> Path:
        """The file holding the key of the build whose outputs the project's directories hold."""
        return self.built / _safe(project)

    def marked(self, project: str) -> str:
        """The key of the build whose outputs the project's directories hold ("" if unknown)."""
        try:
            return self.mark_file(project).read_text(encoding="utf-8")
        except OSError:
            return ""

    def mark(self, project: str, key: str) -> None:
        """Record that the project's output directories hold what the build `key` made."""
        self._write(self.mark_file(project), key.encode())

    def unmark(self, project: str) -> None:
        """Forget which build the outputs hold: one is about to change them."""
        with contextlib.suppress(OSError):
            self.mark_file(project).unlink()

    def evict(self) -> None:
        """Bring the cache within its limit: the least recently used output copies first, then
        the least recently used entries. Entries are small, and a build whose outputs are in
        place replays without its copies: a full run's entries must outlive its copies.
        """
        blobs, entries = sorted(_files(self.blobs)), sorted(_files(self.entries))
        total = sum(size for _, size, _ in (*blobs, *entries))
        if total <= self.limit:
            return
        for _, size, path in (*blobs, *entries):
            if total <= self.limit * KEEP:
                return
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    def finish(self) -> tuple[str, ...]:
        """At the end of the run: what the store has to warn about (a local store: nothing)."""
        return ()

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)


def open_store(
    directory: Path,
    config: Config,
    keys: Iterable[str],
    environ: Mapping[str, str] = os.environ,
) -> Store:
    """The run's store: this one, with the remote cache as a tier behind it when configured."""
    settings = remote_settings(config.remote_cache, environ)
    if settings is None:
        return Store(directory, config.cache_size)
    from tandem.cache.shared import shared_store  # HTTP and tar load only when used

    return shared_store(directory, config.cache_size, settings, keys)


def _files(directory: Path) -> list[tuple[int, int, Path]]:
    """(last use, size, path) of each file in a directory."""
    found = []
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                st = entry.stat()
                found.append((st.st_mtime_ns, st.st_size, Path(entry.path)))
    return found


def _safe(project: str) -> str:
    """A project name as one file name (names of projects sharing a directory name hold "/")."""
    return project.replace("/", "%2F")
