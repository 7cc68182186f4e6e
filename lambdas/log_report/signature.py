"""Error signatures: a log line with its variable parts masked, so repeats of one error group together.

Masked: quoted values (<str>), UUIDs (<uuid>), timestamps (<ts>), IPv4 addresses with
an optional port (<ip>), hex ids (<hex>: 0x-prefixed, or 8+ hex digits mixing digits and letters),
and numbers (<num>).

Speed matters (the report must keep up with gunzip + JSON decoding), so everything is found in
ONE pass of one pattern: its alternatives start with a quote or a hex digit, which lets the regex
engine skip quickly over other characters, and the commonest case (a plain integer) is tried first.
"""

from __future__ import annotations

import re

_HEX = "[0-9a-fA-F]"
# the rest of a UUID once its first hex digit is consumed
_UUID_REST = f"{_HEX}{{7}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_VARIABLE = re.compile(
    # One character class first (the engine's fast skip), then the branch for what it was.
    "[\"'0-9a-fA-F](?:"
    # Starting with a digit; the cheapest and commonest case, a plain integer, is tried first.
    r"(?<=[0-9])(?:"
    r"(?P<num>\d*+(?![-:.\w]))"
    r"|(?P<ts>\d{3}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|\d?:\d\d:\d\d(?:[.,]\d+)?)"
    r"|(?P<ip>\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?)"
    rf"|(?P<uuid>{_UUID_REST})"
    rf"|(?P<hex>[xX]{_HEX}+|{_HEX}*[a-fA-F]{_HEX}*)"
    r"|(?P<decimal>\d*(?:\.\d+)?))"
    # Starting with a letter: only a UUID or a hex id of 8+ digits with a digit in it.
    rf"|(?={_HEX}{{7}})(?:(?P<luuid>{_UUID_REST})|(?P<lhex>[a-fA-F]*\d{_HEX}*))"
    # a quoted value (quotes are rarer than digits, so tried last)
    r"""|(?<=")(?P<str>[^"\n]*")|(?<=')(?P<sq>[^'\n]*')"""
    ")"
)
_PLACEHOLDER = {
    "str": "<str>",
    "sq": "<str>",
    "num": "<num>",
    "decimal": "<num>",
    "ts": "<ts>",
    "ip": "<ip>",
    "uuid": "<uuid>",
    "luuid": "<uuid>",
    "hex": "<hex>",
    "lhex": "<hex>",
}
MAX_SIGNATURE_CHARS = 512
# A signature reads no more than this of a record: its first line (the head of a multi-line trace),
# cut at four times the signature length, which bounds the work on pathological lines.
MAX_SIGNATURE_INPUT = 4 * MAX_SIGNATURE_CHARS


def _placeholder(match: re.Match[str]) -> str:
    group = match.lastgroup
    return _PLACEHOLDER[group] if group else match.group()


def signature_input(text: str) -> str:
    """The part of a record its signature depends on: the first line, at most MAX_SIGNATURE_INPUT long."""
    end = text.find("\n", 0, MAX_SIGNATURE_INPUT)
    return text[: end if end >= 0 else MAX_SIGNATURE_INPUT]


def signature(line: str) -> str:
    """The masked form of the record's first line, at most MAX_SIGNATURE_CHARS long."""
    return _VARIABLE.sub(_placeholder, signature_input(line))[:MAX_SIGNATURE_CHARS].strip()
