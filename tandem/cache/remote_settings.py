"""The remote cache's settings, from the environment and `[tool.tandem.remote-cache]`.

Tandem's own variables win over the file, and turbo's (`TURBO_API`, `TURBO_TOKEN`, `TURBO_TEAM`,
`TURBO_REMOTE_CACHE_SIGNATURE_KEY`, `TURBO_REMOTE_CACHE_READ_ONLY`) are the fallback, so a
team whose CI already points turbo at a cache shares it without more configuration. The token
and the signature key are secrets: they come from the environment only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tandem.config import RemoteCache, remote_team, remote_url
from tandem.model import TandemError

SIGNATURE_KEYS = (
    "TANDEM_REMOTE_CACHE_SIGNATURE_KEY",
    "TURBO_REMOTE_CACHE_SIGNATURE_KEY",
)
READ_ONLY = ("TANDEM_REMOTE_CACHE_READ_ONLY", "TURBO_REMOTE_CACHE_READ_ONLY")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class RemoteSettings:
    """Where the shared cache is and how to use it."""

    url: str  # the base URL: artifacts are at URL/v8/artifacts/KEY
    token: str = ""
    team: str = ""
    read_only: bool = False  # download only: for untrusted runs (forks' pull requests)
    key: bytes = b""  # the signature key; b"": neither sign nor verify


def remote_settings(
    table: RemoteCache, environ: Mapping[str, str]
) -> RemoteSettings | None:
    """The remote cache's settings: Tandem's variables, then `[tool.tandem.remote-cache]`, then
    turbo's variables; None when none names a server."""
    url, where = _pick(environ, "TANDEM_REMOTE_CACHE_URL", table.url, "TURBO_API")
    if not url:
        return None
    team, named = _pick(environ, "TANDEM_REMOTE_CACHE_TEAM", table.team, "TURBO_TEAM")
    token, _ = _env(environ, "TANDEM_REMOTE_CACHE_TOKEN", "TURBO_TOKEN")
    key, _ = _env(environ, *SIGNATURE_KEYS)
    return RemoteSettings(
        url=remote_url(url, where),
        token=token,
        team=remote_team(team, named) if team else "",
        read_only=_read_only(environ, table.read_only),
        key=key.encode("utf-8", "surrogateescape"),
    )


def _env(environ: Mapping[str, str], *names: str) -> tuple[str, str]:
    """The first of the variables set (non-empty), and its name."""
    return next(((environ[n], n) for n in names if environ.get(n)), ("", names[0]))


def _pick(
    environ: Mapping[str, str], own: str, configured: str, turbo: str
) -> tuple[str, str]:
    """A value and where it came from: Tandem's variable wins, turbo's is the fallback."""
    if environ.get(own):
        return environ[own], own
    if configured:
        return configured, "[tool.tandem.remote-cache]"
    return _env(environ, turbo)


def _read_only(environ: Mapping[str, str], configured: bool | None) -> bool:
    value, name = _env(environ, *READ_ONLY)
    if not value:
        return bool(configured)
    word = value.strip().lower()
    if word not in TRUE + FALSE:
        raise TandemError(
            f"{name} must be 1 or true (0 or false to write), not {value!r}"
        )
    return word in TRUE
