"""The receiving side of the orders webhook: the same HMAC-SHA256 scheme as gokit.

A header reads "t=<unix seconds>,v1=<hex>", where v1 is the HMAC-SHA256 of
"<t>.<body>" under the shared secret. Several v1 entries may appear while a
secret is rotated; unknown keys are ignored.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Signature"
TOLERANCE = 300.0  # seconds either way, as gokit's DefaultTolerance


class SignatureError(ValueError):
    """The signature is malformed, stale or wrong."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header value for `body` signed at `timestamp`."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def _mac(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse(header: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a header."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(f"{part!r} is not key=value")
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise SignatureError(f"bad or repeated timestamp {value!r}")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("needs t= and at least one v1=")
    return timestamp, signatures


def verify(
    secret: bytes, header: str, body: bytes, now: float, tolerance: float = TOLERANCE
) -> None:
    """Raise SignatureError unless `header` signs `body` within `tolerance` of `now`."""
    if not secret:
        raise SignatureError("empty secret")
    timestamp, signatures = parse(header)
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"signed {now - timestamp:.0f}s away from now")
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("signature mismatch")
