"""The local store with the remote cache behind it: a tier of the store, not a case in the run.

- `get`: a local miss asks the remote. The run's keys are all known before its first task, so
  the first miss fetches every key the local store lacks at once, on a few threads, bounded
  by `PULL_WAIT`: a fresh clone pays one round of downloads before the first task, not one
  request per task on the event loop. An artifact is unpacked into the local store (blobs,
  then the entry) and read back from there, so a remote hit is replayed, its outputs
  restored, by the very code that replays a local one.
- `put`: a new green entry is kept locally, then uploaded on background threads while the run
  goes on (never in read-only mode, nor for an entry the remote just supplied).
- `finish` (and `evict`, which must not remove blobs still to be uploaded) waits for the
  uploads under way at most `UPLOAD_WAIT` seconds and returns the run's remote warnings.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tandem.cache.artifact import BadArtifact, blob_digests, pack, unpack
from tandem.cache.remote import Remote
from tandem.cache.remote_settings import RemoteSettings
from tandem.cache.store import Store

PULLERS, PUSHERS = 16, 4  # threads: transfers wait on the network, not on a CPU
PULL_WAIT = 30.0  # seconds the first local miss waits for the downloads, in all
UPLOAD_WAIT = 20.0  # seconds the end of the run waits for uploads still under way


def shared_store(
    directory: Path, limit: int, settings: RemoteSettings, keys: Iterable[str]
) -> SharedStore:
    """A local store with the server `settings` names behind it, for a run of `keys`."""
    return SharedStore(directory, limit, Remote(settings), keys)


class SharedStore(Store):
    """A local store whose misses the remote cache may fill, and whose new entries it gets."""

    def __init__(
        self, directory: Path, limit: int, remote: Remote, keys: Iterable[str] = ()
    ) -> None:
        super().__init__(directory, limit)
        self.remote, self.wanted = remote, tuple(keys)
        self.asked = False
        # Keys the remote supplied: uploading them again would send back what it has.
        self.pulled: set[str] = set()
        self.uploads = Workers(self._upload, PUSHERS, self._failed)

    def get(self, key: str) -> Any | None:
        """The entry under `key`, from the remote cache when the local store lacks it."""
        found = super().get(key)
        if found is None and not self.asked:
            self.asked = True
            self.pull((key, *self.wanted))
            found = super().get(key)
        return found

    def put(self, key: str, data: Any) -> None:
        """Keep the entry locally, and upload it with its output files in the background."""
        super().put(key, data)
        if not self.remote.settings.read_only and key not in self.pulled:
            self.uploads.add(key, blob_digests(data), _duration(data))

    def pull(self, keys: Iterable[str]) -> None:
        """Fetch into the local store every one of `keys` it lacks, waiting `PULL_WAIT` at most."""
        missing = [k for k in dict.fromkeys(keys) if not self.entry_file(k).is_file()]
        if not missing or not self.remote.usable:
            return
        pulls = Workers(self._pull, PULLERS, self._failed)
        for key in missing:
            pulls.add(key)
        left = pulls.drain(PULL_WAIT)
        if left:
            self.remote.trip(f"{left} downloads unfinished after {PULL_WAIT:.0f} s")

    def evict(self) -> None:
        """Eviction, once the uploads that read the blobs are done."""
        self.finish()
        super().evict()

    def finish(self) -> tuple[str, ...]:
        """Wait for the uploads under way (`UPLOAD_WAIT` at most); the run's remote warnings."""
        left = self.uploads.drain(UPLOAD_WAIT)
        if left:
            self.remote.trip(f"{left} uploads were left out after {UPLOAD_WAIT:.0f} s")
        return self.remote.warnings()

    def _pull(self, key: str) -> None:
        body = self.remote.fetch(key, self.limit)
        if body is None:
            return
        try:
            entry, blobs = unpack(body, self.limit)
            for digest, data in blobs.items():
                self._write(self.blobs / digest, data)
            self._write(self.entry_file(key), entry)  # last: it lists the blobs
        except BadArtifact as exc:
            self.remote.reject(key, str(exc))
            return
        except OSError:
            return  # the cache is an optimisation: a full disk costs a rerun
        self.pulled.add(key)

    def _upload(self, key: str, digests: set[str], duration: float) -> None:
        if not self.remote.usable:
            return
        try:
            entry = self.entry_file(key).read_bytes()
            blobs = {digest: (self.blobs / digest).read_bytes() for digest in digests}
        except OSError:
            return  # gone meanwhile: nothing whole to share
        self.remote.store(key, pack(entry, blobs), duration)

    def _failed(self, exc: Exception) -> None:
        self.remote.trip(f"failed ({exc.__class__.__name__}: {exc})")


class Workers:
    """Jobs run on up to `count` daemon threads, which never hold up Python's exit and end when
    the queue is empty; waited for once, within a bound."""

    def __init__(
        self,
        job: Callable[..., None],
        count: int,
        on_error: Callable[[Exception], None],
    ) -> None:
        self.job, self.count, self.on_error = job, count, on_error
        self.lock = threading.Condition()
        self.queue: deque[tuple] = deque()
        self.pending = self.threads = 0
        self.left: int | None = None  # jobs unfinished when waited for

    def add(self, *args: Any) -> None:
        """Queue a job; a thread starts for it while fewer than `count` run."""
        with self.lock:
            self.pending += 1
            self.queue.append(args)
            if self.threads < self.count:
                self.threads += 1
                threading.Thread(target=self._work, daemon=True).start()

    def drain(self, timeout: float) -> int:
        """Wait for every job, `timeout` seconds at most (the first time); how many were left."""
        with self.lock:
            if self.left is None:
                self.lock.wait_for(lambda: not self.pending, timeout)
                self.left = self.pending
            return self.left

    def _work(self) -> None:
        while (args := self._next()) is not None:
            try:
                self.job(*args)
            except Exception as exc:  # noqa: BLE001 - the cache never fails a run
                self.on_error(exc)
            finally:
                with self.lock:
                    self.pending -= 1
                    self.lock.notify_all()

    def _next(self) -> tuple | None:
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            self.threads -= 1
            return None


def _duration(entry: Any) -> float:
    """The kept outcome's duration in seconds (0 when the entry has none)."""
    try:
        return float(entry["outcome"]["duration"])
    except (KeyError, TypeError, ValueError):
        return 0.0
