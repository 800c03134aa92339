"""A command's output, read as it comes and kept within a bound: the head, the tail, a count of the rest.

A test that prints without end must not take Tandem's memory with it. Each stream keeps its
first and last `KEEP // 2` bytes; what falls between is counted and replaced by one marked line.
The cut lands on line boundaries (`\\n` only), so line parsers such as the `go test -json`
reader still see whole lines on both sides of it.
"""

from __future__ import annotations

# Bytes kept per stream, head and tail together. A `go test -json` event is a few hundred bytes,
# so this holds some 100,000 events: no ordinary run is cut. Decoding needs as much again (more
# for text beyond Latin-1), which is what keeps a command that floods its output near 100 MB.
KEEP = 32 * 2**20


class Capture:
    """One stream's bytes: the first and the last `keep // 2`, and how many were dropped between."""

    def __init__(self, keep: int | None = None) -> None:
        self.half = max(1, (keep or KEEP) // 2)
        self.head = bytearray()
        # The tail is a ring, written over in place once full: a flood allocates nothing more.
        self.ring = bytearray()
        # Once the ring is full: where its oldest byte is, which the next byte overwrites.
        self.pos = 0
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        """Take the next piece of the stream."""
        view = _fill(self.head, memoryview(data), self.half)
        view = _fill(self.ring, view, self.half)
        while view:
            size = min(len(view), self.half - self.pos)
            self.ring[self.pos : self.pos + size] = view[:size]
            self.pos, self.dropped = (self.pos + size) % self.half, self.dropped + size
            view = view[size:]

    def text(self) -> tuple[str, int]:
        """The kept output as text, with a marked line where bytes were cut; and how many were."""
        data, ring, pos = self.head, self.ring, self.pos
        self.head, self.ring = bytearray(), bytearray()
        if self.dropped:
            cut = self._join(data, ring, pos)
        else:
            data += ring
            cut = 0
        del ring  # decoded in one piece, the output is held twice at most, never three times
        return decode(data), cut

    def _join(self, data: bytearray, ring: bytearray, pos: int) -> int:
        """Append the marker and the ring's whole lines to the head's, in place; the bytes cut."""
        # Cut at line breaks, where there are any, so that both sides hold whole lines.
        end, skip = data.rfind(b"\n") + 1 or len(data), _partial_line(ring, pos)
        cut = self.dropped + len(data) - end + skip
        del data[end:]
        data += (b"" if data.endswith(b"\n") else b"\n") + marker(cut).encode()
        view, older = memoryview(ring), len(ring) - pos
        if skip < older:
            data += view[pos + skip :]
            data += view[:pos]
        else:
            data += view[skip - older : pos]
        return cut


def _fill(buffer: bytearray, view: memoryview, size: int) -> memoryview:
    """Append to `buffer` what fits within `size` bytes; return the rest."""
    room = max(0, size - len(buffer))
    buffer += view[:room]
    return view[room:]


def _partial_line(ring: bytearray, pos: int) -> int:
    """How many of the ring's oldest bytes (from `pos` on) precede its first whole line; 0 if none."""
    found = ring.find(b"\n", pos)
    if found >= 0:
        return found + 1 - pos
    found = ring.find(b"\n", 0, pos)
    return len(ring) - pos + found + 1 if found >= 0 else 0


def marker(cut: int) -> str:
    """The line that stands where output was cut."""
    return f"[... Tandem cut {cut} bytes of output here ...]\n"


def decode(data: bytes | memoryview) -> str:
    """Tool output as text; bytes that are not UTF-8 become U+FFFD rather than an error."""
    return str(data, "utf-8", errors="replace")
