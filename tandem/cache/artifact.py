"""The body of a remote cache artifact: one cache entry and the output files it lists.

A gzip-compressed tar of regular files only: `entry`, the entry exactly as the local store
keeps it (its header line holds the digest of what follows, checked again whenever it is
read), and `blobs/SHA256` for each file of a build's portable outputs (binaries, wheels), so
a replay on another machine restores them. Reading is strict: any other member, a blob whose
bytes do not match its name, or more bytes than the cache may hold raises `BadArtifact`, and
nothing of the artifact is used. Members are read into memory, never extracted by name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

ENTRY = "entry"
BLOB = re.compile(r"blobs/([0-9a-f]{64})")
TAR_SLACK = 1 << 20  # bytes of tar headers and padding allowed beyond the members' own


class BadArtifact(ValueError):
    """Bytes that are not an artifact `pack` made, or one that does not hold together."""


def pack(entry: bytes, blobs: Mapping[str, bytes]) -> bytes:
    """An artifact holding the entry's bytes and the blobs, by digest."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, ENTRY, entry)
        for digest in sorted(blobs):
            _add(tar, f"blobs/{digest}", blobs[digest])
    # mtime=0: the same entry and blobs always make the same bytes, and the same tag.
    return gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0)


def unpack(body: bytes, limit: int) -> tuple[bytes, dict[str, bytes]]:
    """The entry's bytes and the blobs by digest; BadArtifact when the body is no artifact."""
    entry, blobs = None, {}
    try:
        with tarfile.open(fileobj=io.BytesIO(_gunzip(body, limit)), mode="r:") as tar:
            for name, data in _members(tar, limit):
                if name == ENTRY and entry is None:
                    entry = data
                else:
                    blobs[_digest(name, data)] = data
    except BadArtifact:
        raise
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise BadArtifact(f"not an artifact Tandem wrote ({exc})") from None
    if entry is None:
        raise BadArtifact("not an artifact Tandem wrote (no entry)")
    return entry, blobs


def blob_digests(entry: Any) -> set[str]:
    """The digests of the output files an entry lists (none when it lists none)."""
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict):
        return set()
    return {
        kept[0]
        for files in outputs.values()
        if isinstance(files, dict)
        for kept in files.values()
        if isinstance(kept, list) and kept and isinstance(kept[0], str)
    }


def _gunzip(body: bytes, limit: int) -> bytes:
    """The tar inside, whole (its CRC checked) and not much larger than `limit`."""
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    data = inflate.decompress(body, limit + TAR_SLACK)
    if inflate.unconsumed_tail:
        raise BadArtifact(f"not an artifact Tandem wrote (more than {limit} bytes)")
    if not inflate.eof or inflate.unused_data:
        raise BadArtifact(
            "not an artifact Tandem wrote (its gzip stream is cut or padded)"
        )
    return data


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def _members(tar: tarfile.TarFile, limit: int) -> Iterator[tuple[str, bytes]]:
    """Each member's name and bytes, all regular files, within `limit` bytes in all."""
    total = 0
    for member in tar:
        total += member.size
        if not member.isreg() or total > limit:
            raise BadArtifact(f"not an artifact Tandem wrote (member {member.name!r})")
        reader = tar.extractfile(member)
        data = reader.read() if reader else b""
        if len(data) != member.size:
            raise BadArtifact(f"member {member.name!r} is cut short")
        yield member.name, data


def _digest(name: str, data: bytes) -> str:
    """The digest a blob member is named by, checked against its bytes."""
    found = BLOB.fullmatch(name)
    if not found or hashlib.sha256(data).hexdigest() != found[1]:
        raise BadArtifact(f"not an artifact Tandem wrote (member {name!r})")
    return found[1]
