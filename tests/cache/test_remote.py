"""The remote cache's logic: settings, the signature scheme, the artifact format, the client
and its breaker, and the tier behind the local store, against small servers in this process.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import time
from pathlib import Path

import pytest

from tandem.cache.artifact import BadArtifact, blob_digests, pack, unpack
from tandem.cache.remote import Remote, tag, verifies
from tandem.cache.remote_settings import RemoteSettings, remote_settings
from tandem.cache.shared import SharedStore
from tandem.cache.store import Store, open_store
from tandem.config import Config, RemoteCache, parse_config
from tandem.model import TandemError
from tests.remote_fixtures import TOKEN, api_server, closed_port, silent_server

KEY = "0123456789abcdef0123456789abcdef01234567"
OTHER = "89abcdef0123456789abcdef0123456789abcdef"
SECRET = b"signature-secret"


# The signature: Turborepo's scheme (crates/turborepo-cache/src/signature_authentication.rs).


def test_the_tag_is_turborepos_hmac_over_hash_team_and_body():
    # The first case of turbo's own test table; the tag computed independently, with
    # `printf 'd5b7e4688ftH7sL1Rn9K\x05\x48\xdb\x27\x9c' | openssl dgst -sha256 -hmac x3vq8mFz0J
    # -binary | base64`.
    body = bytes([5, 72, 219, 39, 156])
    expected = "ki5kbVnrrPqbWiWxMWbW3OE6Q6SXmbqEpfGvEFQWbZw="
    assert tag(b"x3vq8mFz0J", "d5b7e4688f", "tH7sL1Rn9K", body) == expected
    assert verifies(b"x3vq8mFz0J", "d5b7e4688f", "tH7sL1Rn9K", body, expected)


@pytest.mark.parametrize(
    ("key", "artifact", "team", "body"),
    [
        (b"other key", KEY, "team", b"body"),
        (SECRET, OTHER, "team", b"body"),
        (SECRET, KEY, "other-team", b"body"),
        (SECRET, KEY, "team", b"bodY"),
    ],
)
def test_a_tag_verifies_only_its_key_artifact_team_and_body(key, artifact, team, body):
    given = tag(SECRET, KEY, "team", b"body")
    assert verifies(SECRET, KEY, "team", b"body", given)
    assert not verifies(key, artifact, team, body, given)


@pytest.mark.parametrize("given", ["", "not base64!", "YmFk", "=" * 4])
def test_a_malformed_tag_does_not_verify(given):
    assert not verifies(SECRET, KEY, "team", b"body", given)


# The artifact: an entry and its blobs.


def entry_bytes(text: str = "entry") -> bytes:
    return (
        b"tandem-cache 1 "
        + hashlib.sha256(text.encode()).hexdigest().encode()
        + b"\n"
        + text.encode()
    )


def test_an_artifact_round_trips_its_entry_and_blobs():
    blob = b"\x7fELF binary"
    digest = hashlib.sha256(blob).hexdigest()
    body = pack(entry_bytes(), {digest: blob})
    assert body == pack(entry_bytes(), {digest: blob})  # the same bytes: the same tag
    assert unpack(body, 1 << 20) == (entry_bytes(), {digest: blob})


def tar_gz(*members: tuple[str, bytes, bytes]) -> bytes:
    """A tar.gz of (name, type, data) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type, info.size = kind, len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return gzip.compress(buffer.getvalue())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not gzip at all",
        gzip.compress(b"not a tar"),
        pack(entry_bytes(), {})[:-8],  # cut short
        tar_gz(),  # no entry
        tar_gz(("entry", tarfile.REGTYPE, b"e"), ("../escape", tarfile.REGTYPE, b"x")),
        tar_gz(
            ("entry", tarfile.REGTYPE, b"e"),
            ("blobs/" + "0" * 64, tarfile.REGTYPE, b"x"),
        ),
        tar_gz(("entry", tarfile.SYMTYPE, b"")),
        tar_gz(("entry", tarfile.REGTYPE, b"e"), ("entry", tarfile.REGTYPE, b"f")),
        tar_gz(("entry", tarfile.REGTYPE, b"e" * 2000)),  # more than the limit
    ],
    # Named by position: gzip stamps the time into the bytes, and xdist workers must agree.
    ids=lambda body: f"{len(body)}-bytes",
)
def test_anything_but_an_artifact_tandem_packed_is_refused(body):
    with pytest.raises(BadArtifact):
        unpack(body, 1000)


def test_an_entry_lists_the_blobs_of_its_outputs():
    entry = {
        "outputs": {"dist/svc": {"svc": ["a" * 64, 10, 493], "x/y": ["b" * 64, 1, 420]}}
    }
    assert blob_digests(entry) == {"a" * 64, "b" * 64}
    assert blob_digests({"outcome": {}}) == set()
    assert blob_digests({"outputs": {"d": {"f": "junk"}}}) == set()


# Settings.


def test_no_url_no_remote_cache():
    assert remote_settings(RemoteCache(), {"TANDEM_REMOTE_CACHE_TOKEN": "t"}) is None


def test_the_environment_wins_over_the_file_and_turbo_is_the_fallback():
    table = RemoteCache(url="https://file.example", team="file-team", read_only=True)
    env = {
        "TANDEM_REMOTE_CACHE_URL": "https://env.example/",
        "TANDEM_REMOTE_CACHE_TEAM": "team_env",
        "TANDEM_REMOTE_CACHE_READ_ONLY": "0",
        "TURBO_API": "https://turbo.example",
        "TURBO_TOKEN": "turbo-token",
        "TURBO_REMOTE_CACHE_SIGNATURE_KEY": "turbo-key",
    }
    assert remote_settings(table, env) == RemoteSettings(
        "https://env.example", "turbo-token", "team_env", False, b"turbo-key"
    )
    assert remote_settings(
        table, {"TURBO_API": "https://turbo.example"}
    ) == RemoteSettings("https://file.example", "", "file-team", True)
    turbo = {
        "TURBO_API": "http://t:3000",
        "TURBO_TEAM": "t",
        "TURBO_REMOTE_CACHE_READ_ONLY": "true",
    }
    assert remote_settings(RemoteCache(), turbo) == RemoteSettings(
        "http://t:3000", "", "t", True
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TANDEM_REMOTE_CACHE_URL": "cache.example"}, "TANDEM_REMOTE_CACHE_URL"),
        ({"TURBO_API": "ftp://cache.example"}, "TURBO_API"),
        (
            {"TANDEM_REMOTE_CACHE_URL": "http://c", "TANDEM_REMOTE_CACHE_TEAM": "a b"},
            "TEAM",
        ),
        (
            {
                "TANDEM_REMOTE_CACHE_URL": "http://c",
                "TANDEM_REMOTE_CACHE_READ_ONLY": "yes please",
            },
            "READ_ONLY",
        ),
    ],
)
def test_a_wrong_variable_is_one_line_naming_it(env, named):
    with pytest.raises(TandemError, match=named) as error:
        remote_settings(RemoteCache(), env)
    assert "\n" not in str(error.value)


def test_the_file_table_is_validated_and_never_holds_the_token():
    table = {
        "remote-cache": {"url": "https://c.example/", "team": "t", "read-only": True}
    }
    assert parse_config(table).remote_cache == RemoteCache(
        "https://c.example", "t", True
    )
    with pytest.raises(TandemError, match="TANDEM_REMOTE_CACHE_TOKEN"):
        parse_config({"remote-cache": {"url": "https://c.example", "token": "x"}})
    with pytest.raises(TandemError, match="read-only must be true or false"):
        parse_config({"remote-cache": {"read-only": "yes"}})
    with pytest.raises(TandemError, match="unknown key 'urls'"):
        parse_config({"remote-cache": {"urls": "https://c.example"}})


def test_without_a_server_the_store_is_the_local_one(tmp_path):
    assert type(open_store(tmp_path, Config(), [KEY], {})) is Store
    env = {"TANDEM_REMOTE_CACHE_URL": "http://127.0.0.1:1"}
    assert isinstance(open_store(tmp_path, Config(), [KEY], env), SharedStore)


# The client.


def remote(url: str, **settings) -> Remote:
    return Remote(RemoteSettings(url, TOKEN, **settings), timeout=0.5, transfer=5)


def test_a_signed_artifact_goes_up_and_comes_back_verified():
    with api_server() as server:
        client = remote(server.url, team="team_abc", key=SECRET)
        assert not client.exists(KEY) and client.fetch(KEY, 1000) is None
        assert client.store(KEY, b"body", duration=1.5)
        assert client.exists(KEY) and client.fetch(KEY, 1000) == b"body"
        assert server.artifacts["team_abc", KEY] == (
            b"body",
            tag(SECRET, KEY, "team_abc", b"body"),
        )
        assert {query for _, _, query in server.requests} == {"teamId"}
    assert client.warnings() == ()


@pytest.mark.parametrize(
    ("stored_tag", "why"),
    [(None, "unsigned"), ("Zm9yZ2Vk", "does not verify")],
)
def test_an_unsigned_or_forged_artifact_is_not_trusted_when_a_key_is_set(
    stored_tag, why
):
    with api_server() as server:
        server.artifacts["t", KEY] = (b"body", stored_tag)
        server.artifacts["t", OTHER] = (b"more", stored_tag)
        client = remote(server.url, team="t", key=SECRET)
        assert client.fetch(KEY, 1000) is None and client.fetch(OTHER, 1000) is None
        assert (
            remote(server.url, team="t").fetch(KEY, 1000) == b"body"
        )  # no key: trusted
        assert {query for _, _, query in server.requests} == {"slug"}
    (line,) = client.warnings()
    assert "2 artifacts not replayed" in line and why in line
    assert client.usable  # an untrusted artifact is no broken server


@pytest.mark.parametrize("mode", ["500", "truncate"])
def test_an_error_answer_or_a_cut_body_stops_the_client_with_one_warning(mode):
    with api_server(mode) as server:
        server.artifacts["t", KEY] = (b"x" * 100, None)
        client = remote(server.url, team="t")
        assert client.fetch(KEY, 1000) is None
        asked = len(server.requests)
        assert client.fetch(KEY, 1000) is None and not client.store(KEY, b"b")
        assert len(server.requests) == asked  # never asked again
    (line,) = client.warnings()
    expected = "answered 500" if mode == "500" else "cut short"
    assert expected in line and "not used for the rest of this run" in line


def test_a_wrong_token_names_the_setting_to_check():
    with api_server() as server:
        client = Remote(RemoteSettings(server.url, "wrong", "t"), timeout=0.5)
        assert client.fetch(KEY, 1000) is None
    (line,) = client.warnings()
    assert "401" in line and "TANDEM_REMOTE_CACHE_TOKEN" in line and "wrong" not in line


def test_a_server_that_never_answers_costs_one_timeout():
    with silent_server() as url:
        client = remote(url, team="t")
        start = time.monotonic()
        assert client.fetch(KEY, 1000) is None
        assert client.fetch(OTHER, 1000) is None
        assert time.monotonic() - start < 2
    (line,) = client.warnings()
    assert "no answer in time" in line


def test_a_closed_port_fails_at_once():
    client = remote(closed_port(), team="t")
    assert not client.exists(KEY)
    (line,) = client.warnings()
    assert "connection refused" in line


def test_read_only_never_uploads():
    with api_server() as server:
        client = remote(server.url, team="t", read_only=True)
        assert not client.store(KEY, b"body")
        assert server.requests == []


# The tier behind the local store.


def entry_with_output(store: Store, tmp_path: Path) -> dict:
    binary = tmp_path / "svc"
    binary.write_bytes(b"\x7fELF the binary")
    digest = store.put_blob(binary)
    return {
        "outcome": {"duration": 2.0},
        "outputs": {"dist/svc": {"svc": [digest, 15, 493]}},
    }


def shared(directory: Path, url: str, keys=(KEY,), **settings) -> SharedStore:
    return SharedStore(directory, 1 << 20, remote(url, team="t", **settings), keys)


def test_a_green_entry_goes_up_with_its_blobs_and_fills_another_machines_miss(tmp_path):
    with api_server() as server:
        first = shared(tmp_path / "one", server.url, key=SECRET)
        entry = entry_with_output(first, tmp_path)
        first.put(KEY, entry)
        assert first.finish() == ()
        second = shared(tmp_path / "two", server.url, keys=(KEY, OTHER), key=SECRET)
        assert second.get(KEY) == entry
        assert second.get(OTHER) is None  # asked once, with KEY: not again
        digest = entry["outputs"]["dist/svc"]["svc"][0]
        assert (second.blobs / digest).read_bytes() == b"\x7fELF the binary"
        second.put(KEY, entry)  # the remote supplied it: not uploaded again
        assert second.finish() == ()
        gets = [key for method, key, _ in server.requests if method == "GET"]
        puts = [key for method, key, _ in server.requests if method == "PUT"]
    assert sorted(gets) == sorted([KEY, OTHER]) and puts == [KEY]


def test_an_artifact_that_is_no_artifact_is_not_used_and_said_once(tmp_path):
    with api_server() as server:
        server.artifacts["t", KEY] = (b"garbage", None)
        store = shared(tmp_path, server.url)
        assert store.get(KEY) is None
        (line,) = store.finish()
    assert "not an artifact Tandem wrote" in line and KEY in line


def test_read_only_keeps_locally_and_uploads_nothing(tmp_path):
    with api_server() as server:
        store = shared(tmp_path, server.url, read_only=True)
        store.put(KEY, {"outcome": {}})
        assert store.get(KEY) == {"outcome": {}}
        assert store.finish() == () and server.requests == []
