"""Damaged and harmless variants of a valid file, for the mutation corpus (issue 10, point 10).

``damaged(content)`` yields (label, bytes) for every way a file goes wrong in transfer
or by hand: cut at every line boundary and in the middle of every line, a bit flipped
in every line, re-encoded as UTF-16 and as Latin-1, a NUL in every line, a huge line
and a junk line. ``harmless(content)`` yields the changes that must import exactly as
the original: CR LF line ends and a UTF-8 byte-order mark.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

HUGE = 200_000  # characters: over csv's 131,072 field limit and any line a format allows
JUNK = b"this line is not part of the file\n"


def lines_of(content: bytes) -> list[bytes]:
    return content.splitlines(keepends=True)


def truncations(content: bytes) -> Iterator[tuple[str, bytes]]:
    """Cut at every line boundary (the whole file excepted) and in the middle of every line."""
    lines = lines_of(content)
    for k in range(len(lines)):
        yield f"cut after line {k}", b"".join(lines[:k])
    for k, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        if len(body) > 1:
            yield f"cut mid-line {k + 1}", b"".join(lines[:k]) + body[: len(body) // 2]


def bit_flips(content: bytes) -> Iterator[tuple[str, bytes]]:
    """The high bit of the middle byte of every line set (a byte no ASCII or UTF-8 text has there)."""
    lines = lines_of(content)
    offset = 0
    for k, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        if body:
            at = offset + len(body) // 2
            yield f"bit flipped in line {k + 1}", content[:at] + bytes([content[at] ^ 0x80]) + content[at + 1:]
        offset += len(line)


def re_encodings(content: bytes) -> Iterator[tuple[str, bytes]]:
    text = content.decode("utf-8")
    yield "re-encoded UTF-16", text.encode("utf-16")
    yield "re-encoded UTF-16 without BOM", text.encode("utf-16-le")
    latin = text.encode("latin-1", errors="strict")
    if latin != content:  # an ASCII-only file is the same bytes in Latin-1
        yield "re-encoded Latin-1", latin


def nuls(content: bytes) -> Iterator[tuple[str, bytes]]:
    lines = lines_of(content)
    for k, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        if body:
            at = len(body) // 2
            yield f"NUL in line {k + 1}", b"".join(lines[:k]) + body[:at] + b"\x00" + line[at:] + b"".join(
                lines[k + 1:])


def inserted_lines(content: bytes) -> Iterator[tuple[str, bytes]]:
    lines = lines_of(content)
    middle = len(lines) // 2
    yield "huge line inserted", b"".join(lines[:middle]) + b"x" * HUGE + b"\n" + b"".join(lines[middle:])
    for k in range(1, len(lines)):
        yield f"junk line after line {k}", b"".join(lines[:k]) + JUNK + b"".join(lines[k:])


def damaged(content: bytes) -> Iterator[tuple[str, bytes]]:
    yield from truncations(content)
    yield from bit_flips(content)
    yield from re_encodings(content)
    yield from nuls(content)
    yield from inserted_lines(content)


def harmless(content: bytes) -> Iterator[tuple[str, bytes]]:
    yield "CRLF line ends", content.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    yield "UTF-8 byte-order mark", codecs.BOM_UTF8 + content
