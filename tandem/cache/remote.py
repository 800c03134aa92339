"""The shared tier of the result cache: a server speaking the Turborepo Remote Cache API.

`HEAD`, `GET` and `PUT /v8/artifacts/KEY`, with a bearer token and the team as `teamId` (an id
`team_...`) or `slug` (any other name), as turbo sends them: the protocol of Vercel's cache, of
`turborepo-remote-cache` (ducktors) and of the other self-hosted servers.

With a signature key, every artifact carries an `x-artifact-tag`, signed as Turborepo signs
(crates/turborepo-cache/src/signature_authentication.rs): the standard, padded base64 of
HMAC-SHA256 over the artifact's key (turbo's "hash"), the team and the artifact's bytes, one
after the other. One whose
tag is missing or does not verify is never replayed. Without a key, nothing is signed and
nothing verified: the server is trusted.

The remote cache is an optimisation that never fails a run nor holds it up: every connect and
read waits at most `TIMEOUT` seconds, one request `TRANSFER` seconds in all, and the first
failure (no answer, an error status, a truncated body) trips a breaker: one warning, and the
server is not asked again in this run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import Message
from http.client import HTTPException, HTTPResponse
from urllib.parse import urlencode, urlsplit

import tandem
from tandem.cache.remote_settings import RemoteSettings

TIMEOUT = 5.0  # seconds a connect or a read may wait for the server
TRANSFER = 30.0  # seconds one request may take in all
CHUNK = 1 << 16
TAG = "x-artifact-tag"


def tag(key: bytes, artifact: str, team: str, body: bytes) -> str:
    """The `x-artifact-tag` of an artifact, as Turborepo computes it."""
    return base64.b64encode(_mac(key, artifact, team, body)).decode("ascii")


def verifies(key: bytes, artifact: str, team: str, body: bytes, given: str) -> bool:
    """True when `given` is the artifact's tag."""
    try:
        expected = base64.b64decode(given.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(_mac(key, artifact, team, body), expected)


def _mac(key: bytes, artifact: str, team: str, body: bytes) -> bytes:
    """HMAC-SHA256 over the artifact's key, the team and the body, with nothing between them."""
    # Without separators as in Turborepo, yet unambiguous here: a key is always 40 hex digits,
    # a team printable ASCII (config.TEAM), and an artifact begins with gzip's byte 0x1f.
    mac = hmac.new(key, artifact.encode() + team.encode(), hashlib.sha256)
    mac.update(body)
    return mac.digest()


class Unusable(Exception):
    """The server cannot be used: no answer in time, an error status, a truncated body."""


class Remote:
    """A client of one server, with the breaker and the warnings of one run; thread-safe."""

    def __init__(
        self,
        settings: RemoteSettings,
        timeout: float = TIMEOUT,
        transfer: float = TRANSFER,
    ) -> None:
        self.settings, self.timeout, self.transfer = settings, timeout, transfer
        self.lock = threading.Lock()
        self.failure = ""  # the first failure: the breaker is open
        self.rejected: dict[str, str] = {}  # artifact key -> why it was not trusted

    @property
    def usable(self) -> bool:
        """False once the breaker is open."""
        return not self.failure

    def exists(self, key: str) -> bool:
        """True when the server holds the artifact (False when it cannot be asked)."""
        answer = self._call("HEAD", key)
        return answer is not None and answer[0] == 200

    def fetch(self, key: str, limit: int) -> bytes | None:
        """The artifact's verified bytes; None for a miss, an untrusted artifact or no server."""
        answer = self._call("GET", key, limit=limit)
        if answer is None or answer[0] == 404:
            return None
        _, headers, body = answer
        why = self._distrust(key, body, headers.get(TAG))
        if why:
            self.reject(key, why)
            return None
        return body

    def store(self, key: str, body: bytes, duration: float = 0.0) -> bool:
        """Upload an artifact, signed when there is a key; False when it was not."""
        if self.settings.read_only:
            return False
        headers = {
            "Content-Type": "application/octet-stream",
            "x-artifact-duration": str(int(duration * 1000)),
        }
        if self.settings.key:
            headers[TAG] = tag(self.settings.key, key, self.settings.team, body)
        return self._call("PUT", key, body, headers) is not None

    def reject(self, key: str, why: str) -> None:
        """Record an artifact that is not trusted (its task runs instead)."""
        with self.lock:
            self.rejected.setdefault(key, why)

    def trip(self, why: str) -> None:
        """Stop using the server for the rest of the run, for the reason given (the first)."""
        with self.lock:
            self.failure = self.failure or why

    def warnings(self) -> tuple[str, ...]:
        """At most one line for a failing server and one for untrusted artifacts."""
        with self.lock:
            failure, rejected = self.failure, dict(self.rejected)
        stopped = f"remote cache {self._where()}: {failure}; not used for the rest of this run"
        return (*([stopped] if failure else []), *_rejected(rejected))

    def _distrust(self, key: str, body: bytes, given: str | None) -> str:
        """Why the artifact is not to be trusted ("" when it is)."""
        signing = self.settings
        if not signing.key:
            return ""
        if not given:
            return "unsigned (no x-artifact-tag) while a signature key is set"
        if not verifies(signing.key, key, signing.team, body, given):
            return "its x-artifact-tag does not verify"
        return ""

    def _call(
        self,
        method: str,
        key: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        limit: int = 0,
    ) -> tuple[int, Message, bytes] | None:
        """The answer of an expected status (2xx; 404 for HEAD and GET); None when the breaker
        is open or this call opened it."""
        if self.failure:
            return None
        try:
            status, got, data = self._request(method, key, body, headers or {}, limit)
        except Unusable as exc:
            self.trip(f"{method} {exc}")
            return None
        if 200 <= status < 300 or (status == 404 and method != "PUT"):
            return status, got, data
        self.trip(f"{method} answered {status}{_hint(status)}")
        return None

    def _request(
        self,
        method: str,
        key: str,
        body: bytes | None,
        headers: Mapping[str, str],
        limit: int,
    ) -> tuple[int, Message, bytes]:
        request = self._build(method, key, body, headers)
        deadline = time.monotonic() + self.transfer
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                bodyless = method == "HEAD"  # its Content-Length is that of a GET
                data = b"" if bodyless else _read(response, deadline, limit)
                return response.status, response.headers, data
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, exc.headers, b""
        except (OSError, HTTPException, ValueError) as exc:
            raise Unusable(_reason(exc)) from None

    def _build(
        self, method: str, key: str, body: bytes | None, headers: Mapping[str, str]
    ) -> urllib.request.Request:
        request = urllib.request.Request(
            self._url(key), body, dict(headers), method=method
        )
        request.add_header("User-Agent", f"tandem/{tandem.__version__}")
        if self.settings.token:
            # Not sent on to where a redirect points (a CDN the server hands downloads to).
            bearer = f"Bearer {self.settings.token}"
            request.add_unredirected_header("Authorization", bearer)
        return request

    def _url(self, key: str) -> str:
        team = self.settings.team
        field = "teamId" if team.startswith("team_") else "slug"
        query = f"?{urlencode({field: team})}" if team else ""
        return f"{self.settings.url}/v8/artifacts/{key}{query}"

    def _where(self) -> str:
        """The server as a warning names it: scheme, host and port, never credentials."""
        parts = urlsplit(self.settings.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"


def _read(response: HTTPResponse, deadline: float, limit: int) -> bytes:
    """The whole body, within the deadline; Unusable when it is cut short or too slow."""
    expected = response.headers.get("Content-Length")
    chunks, size = [], 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if limit and size > limit:
            raise Unusable(f"sent an artifact larger than the cache ({limit} bytes)")
        if time.monotonic() > deadline:
            raise Unusable("sent an artifact too slowly")
        chunks.append(chunk)
    if expected and expected.isdigit() and int(expected) != size:
        raise Unusable(f"sent {size} of {expected} bytes (the answer was cut short)")
    return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    """A failure in a few words."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return "got no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "could not connect (connection refused)"
    return f"failed ({exc.__class__.__name__}: {exc})"


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (check TANDEM_REMOTE_CACHE_TOKEN and the team)"
    return ""


def _rejected(rejected: Mapping[str, str]) -> tuple[str, ...]:
    """One line for every artifact not trusted, naming the first."""
    if not rejected:
        return ()
    (key, why), count = next(iter(rejected.items())), len(rejected)
    which = f"{count} artifacts" if count > 1 else "an artifact"
    return (
        f"remote cache: {which} not replayed, the task ran instead: {why} (first: {key})",
    )
