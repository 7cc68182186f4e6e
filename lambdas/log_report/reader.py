"""Stream the lines of a gzip object without ever holding it whole: compressed chunks in, lines out."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

READ_CHUNK = 1 << 20  # compressed bytes per read from S3
MAX_OUTPUT = 4 << 20  # decompressed bytes per step: bounds memory whatever the compression ratio
MAX_LINE = 1 << 20  # a longer "line" is malformed input; it is dropped, not buffered
_GZIP = zlib.MAX_WBITS | 16


class Readable(Protocol):
    def read(self, amt: int = ..., /) -> bytes: ...


class CorruptExport(ValueError):
    """The object is not a complete gzip stream: no retry can make it readable."""


class TruncatedObjectError(CorruptExport):
    """The gzip stream stopped before its end-of-stream marker."""


class LineTooLong:
    """Yielded in place of a line longer than MAX_LINE (the caller counts it as malformed)."""


LINE_TOO_LONG = LineTooLong()


def iter_line_batches(body: Readable) -> Iterator[list[bytes] | LineTooLong]:
    """Lists of complete lines (without the newline) from a gzip stream of one or more members.

    One list per decompressed block keeps the per-line cost down to iterating a list.
    Blank strings may appear in a list; callers skip them. Every line longer than MAX_LINE, wherever
    it falls in the blocks, becomes one LINE_TOO_LONG. Zero bytes after the last member are padding
    (as gzip(1) accepts them); anything else that is not gzip raises CorruptExport.
    """
    decompressor = zlib.decompressobj(_GZIP)
    in_member = False  # bytes of the current gzip member were fed and its end not yet seen
    padding = False  # zero bytes followed a complete member: only more zeros may come
    started = False  # at least one byte was read
    tail = b""
    skipping = False  # inside an over-long line: drop bytes up to the next newline
    while chunk := body.read(READ_CHUNK):
        while chunk:
            if not in_member and started and (padding or chunk[0] == 0):
                if chunk.strip(b"\0"):
                    raise CorruptExport("data follows the zero padding after the last gzip member")
                padding = True
                break
            in_member = started = True
            try:
                data = decompressor.decompress(chunk, MAX_OUTPUT)
            except zlib.error as error:
                raise CorruptExport(f"not a gzip stream: {error}") from None
            chunk = decompressor.unconsumed_tail
            if decompressor.eof:
                # Another gzip member may follow (concatenated gzip is valid gzip).
                chunk = decompressor.unused_data + chunk
                decompressor = zlib.decompressobj(_GZIP)
                in_member = False
            if not data:
                continue
            lines = data.split(b"\n")
            longest_possible = len(data) + len(tail)
            if skipping:
                if len(lines) == 1:
                    continue
                skipping = False
                lines[0] = b""  # the end of the over-long line
            else:
                lines[0] = tail + lines[0]
            tail = lines.pop()
            tail_too_long = len(tail) > MAX_LINE
            if tail_too_long:
                tail, skipping = b"", True
            if longest_possible > MAX_LINE and max(map(len, lines), default=0) > MAX_LINE:
                yield from _split_long(lines)
            elif lines:
                yield lines
            if tail_too_long:
                yield LINE_TOO_LONG
    if not started:
        raise CorruptExport("the object is empty (an export always holds a gzip stream)")
    if in_member:
        raise TruncatedObjectError("the gzip stream ended before its end-of-stream marker")
    if tail:
        yield [tail]


def _split_long(lines: list[bytes]) -> Iterator[list[bytes] | LineTooLong]:
    """The same lines with each one longer than MAX_LINE replaced by LINE_TOO_LONG."""
    start = 0
    for index, line in enumerate(lines):
        if len(line) > MAX_LINE:
            if index > start:
                yield lines[start:index]
            yield LINE_TOO_LONG
            start = index + 1
    if start < len(lines):
        yield lines[start:]
