"""Error signatures: a log line with its variable parts masked, so repeats of one error group together.

Masked, in this order: quoted values (<str>), UUIDs (<uuid>), timestamps (<ts>), IPv4 addresses with
an optional port (<ip>), hex ids (<hex>: 0x-prefixed, or 8+ hex digits mixing digits and letters),
and numbers (<num>).

Speed matters (the report must keep up with gunzip + JSON decoding), so everything except quotes
is found in ONE pass by a pattern whose first item is a character class: the regex engine then
skips quickly over characters that cannot start a match.
"""

from __future__ import annotations

import re

_HEX = "[0-9a-fA-F]"
_QUOTED = re.compile(r""""[^"\n]*"|'[^'\n]*'""")
_VARIABLE = re.compile(
    "[0-9a-fA-F](?:"
    # 8-4-4-4-12 hex digits, the first already consumed
    rf"(?P<uuid>{_HEX}{{7}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})"
    # the rest start with a digit
    r"|(?<=[0-9])(?:"
    r"(?P<ts>\d{3}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|\d?:\d\d:\d\d(?:[.,]\d+)?)"
    r"|(?P<ip>\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?)"
    rf"|(?P<hex>[xX]{_HEX}+|{_HEX}*[a-fA-F]{_HEX}*)"
    r"|(?P<num>\d*(?:\.\d+)?))"
    # a hex id starting with a letter: at least 8 hex digits, one of them a digit
    rf"|(?P<lhex>(?={_HEX}{{7}})[a-fA-F]*\d{_HEX}*)"
    ")"
)
_PLACEHOLDER = {
    "uuid": "<uuid>",
    "ts": "<ts>",
    "ip": "<ip>",
    "hex": "<hex>",
    "lhex": "<hex>",
    "num": "<num>",
}
MAX_SIGNATURE_CHARS = 512


def _placeholder(match: re.Match[str]) -> str:
    group = match.lastgroup
    return _PLACEHOLDER[group] if group else match.group()


def signature(line: str) -> str:
    """The masked form of `line`, at most MAX_SIGNATURE_CHARS long."""
    if len(line) > 4 * MAX_SIGNATURE_CHARS:
        line = line[: 4 * MAX_SIGNATURE_CHARS]  # bounds the work on pathological lines
    if '"' in line or "'" in line:
        line = _QUOTED.sub("<str>", line)
    return _VARIABLE.sub(_placeholder, line)[:MAX_SIGNATURE_CHARS].strip()
