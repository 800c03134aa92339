"""Webhook signatures agree across languages: Python signs what Go verifies and
verifies what Go signs (gokit's whsign command), byte for byte."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from contract_tests import signing

SECRET = b"whsec_cross_language"
AT = 1_700_000_000
BODIES = [
    pytest.param(b'{"type":"order.completed"}', id="json"),
    pytest.param(b"", id="empty"),
    pytest.param('{"customer":"Zoë ✓"}'.encode(), id="utf-8"),
    pytest.param(b"\x00\xff binary \r\n", id="binary"),
]


def whsign(
    bins: dict[str, Path], body: bytes, *args: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(bins["gokit"]), *args],
        input=body,
        capture_output=True,
        env={**os.environ, "WEBHOOK_SECRET": SECRET.decode()},
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("body", BODIES)
def test_go_and_python_sign_alike(bins: dict[str, Path], body: bytes) -> None:
    go = whsign(bins, body, "-time", str(AT))
    assert go.returncode == 0, go.stderr
    assert go.stdout.decode().strip() == signing.sign(SECRET, AT, body)


@pytest.mark.parametrize("body", BODIES)
def test_go_verifies_python_signatures(bins: dict[str, Path], body: bytes) -> None:
    header = signing.sign(SECRET, int(time.time()), body)
    assert whsign(bins, body, "-verify", header).stdout == b"ok\n"
    refused = whsign(bins, body + b"!", "-verify", header)
    assert refused.returncode == 1
    assert b"mismatch" in refused.stderr


@pytest.mark.parametrize(
    ("header", "now", "problem"),
    [
        ("t=1700000000,v1=" + "0" * 64, AT, "signature mismatch"),
        (signing.sign(SECRET, AT, b"{}"), AT + 301, "away from now"),
        (signing.sign(SECRET, AT, b"{}"), AT - 301, "away from now"),
        ("v1=" + "0" * 64, AT, "needs t="),
        ("t=-5,v1=00", AT, "bad or repeated timestamp"),
        ("t=1,t=2,v1=00", AT, "bad or repeated timestamp"),
        ("garbage", AT, "not key=value"),
    ],
)
def test_python_verifier_refuses(header: str, now: int, problem: str) -> None:
    with pytest.raises(signing.SignatureError, match=problem):
        signing.verify(SECRET, header, b"{}", now)


def test_python_verifier_accepts_rotated_secrets() -> None:
    old = signing.sign(b"old-secret", AT, b"{}")
    new = signing.sign(SECRET, AT, b"{}").split(",")[1]
    signing.verify(SECRET, f"{old},{new}", b"{}", AT)
    with pytest.raises(signing.SignatureError, match="empty secret"):
        signing.verify(b"", f"{old},{new}", b"{}", AT)
