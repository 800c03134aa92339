"""A small JSON-over-HTTP client on urllib, returning errors as answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """A response, read whole."""

    status: int
    headers: dict[str, str]  # keyed by lower-case name
    body: bytes

    def json(self) -> object:
        """The body decoded as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode()


def call(
    method: str,
    url: str,
    body: object = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Answer:
    """Send `body` as JSON (or `raw` bytes as they are) and return the answer, 4xx/5xx too."""
    data = (
        raw if raw is not None else None if body is None else json.dumps(body).encode()
    )
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(
                response.status, _lower(response.headers.items()), response.read()
            )
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, _lower(error.headers.items()), error.read())


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers keyed by lower-case name, since servers differ in how they spell them."""
    return {name.lower(): value for name, value in items}
