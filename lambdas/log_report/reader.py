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


class TruncatedObjectError(EOFError):
    """The gzip stream stopped before its end-of-stream marker."""


class LineTooLong:
    """Yielded in place of a line longer than MAX_LINE (the caller counts it as malformed)."""


LINE_TOO_LONG = LineTooLong()


def iter_line_batches(body: Readable) -> Iterator[list[bytes] | LineTooLong]:
    """Lists of complete lines (without the newline) from a gzip stream of one or more members.

    One list per decompressed block keeps the per-line cost down to iterating a list.
    Blank strings may appear in a list; callers skip them.
    """
    decompressor = zlib.decompressobj(_GZIP)
    in_member = False  # bytes of the current gzip member were fed and its end not yet seen
    tail = b""
    skipping = False  # inside an over-long line: drop bytes up to the next newline
    while chunk := body.read(READ_CHUNK):
        while chunk:
            in_member = True
            data = decompressor.decompress(chunk, MAX_OUTPUT)
            chunk = decompressor.unconsumed_tail
            if decompressor.eof:
                # Another gzip member may follow (concatenated gzip is valid gzip).
                chunk = decompressor.unused_data + chunk
                decompressor = zlib.decompressobj(_GZIP)
                in_member = False
            if not data:
                continue
            lines = data.split(b"\n")
            if skipping:
                if len(lines) == 1:
                    continue
                skipping = False
                lines[0] = b""  # the end of the over-long line
            else:
                lines[0] = tail + lines[0]
            tail = lines.pop()
            if len(tail) > MAX_LINE:
                tail, skipping = b"", True
                yield LINE_TOO_LONG
            if lines:
                yield lines
    if in_member:
        raise TruncatedObjectError("the gzip stream ended before its end-of-stream marker")
    if tail and not skipping:
        yield [tail]
