"""Text made safe for every JUnit reader: no ANSI, visible non-XML characters, bounded sizes."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime

BODY_LIMIT = 65536  # characters in one result body, system-out or system-err
MESSAGE_LIMIT = 256
NAME_LIMIT = 1024  # names, classnames, types and property values
MARKER_ROOM = 48  # room kept for the "[... N characters cut ...]" marker
LINE_SNAP = 200  # how far a cut moves to land on a line end

ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\))")
NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
NOT_XML_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # the same, within ASCII


@functools.cache
def _not_xml() -> re.Pattern[str]:
    # Compiling the full class costs milliseconds, and most text is ASCII.
    return re.compile(NOT_XML)


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def clean(text: str) -> str:
    """`text` without ANSI sequences, with `\\n` line ends and non-XML characters made visible."""
    if "\x1b" in text:
        text = ANSI.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (NOT_XML_ASCII if text.isascii() else _not_xml()).sub(_visible, text)


def xml_text(text: str, limit: int = BODY_LIMIT) -> str:
    """`text` cleaned and cut to at most `limit` characters, keeping its head and tail."""
    if len(text) <= limit:
        text = clean(text)
        if len(text) <= limit:
            return text
    keep = max(limit - MARKER_ROOM, 2)
    # Only the ends survive, so only the ends are cleaned: a 1 GB log costs no more than 64 KiB.
    head = clean(text[:keep])[: keep // 2]
    tail = clean(text[-keep:])[-(keep - keep // 2) :]
    # Cut at line ends when one is near, so that no line is shown half.
    head = head[: head.rfind("\n", max(len(head) - LINE_SNAP, 0)) + 1 or len(head)]
    tail = tail[tail.find("\n", 0, LINE_SNAP) + 1 :]
    cut = len(text) - len(head) - len(tail)
    gap = "" if head.endswith("\n") else "\n"
    return f"{head}{gap}[... {cut} characters cut ...]\n{tail}"


def message_text(text: str) -> str:
    """The first non-empty line of `text`, cleaned, at most MESSAGE_LIMIT characters."""
    lines = (line.strip() for line in clean(text[: MESSAGE_LIMIT * 16]).split("\n"))
    line = next((line for line in lines if line), "")
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 3] + "..."


def attr_text(text: str) -> str:
    """A cleaned attribute value of at most NAME_LIMIT characters."""
    return clean(text[:NAME_LIMIT])[:NAME_LIMIT]


def utc_timestamp(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def seconds(value: float) -> str:
    """A JUnit time: three decimals, never negative, `0.000` when unknown."""
    return f"{value:.3f}" if math.isfinite(value) and value > 0 else "0.000"
