"""Rules for names the library takes as plain text, shared with the stack-file settings."""

import re

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def dns_name_problem(text: str) -> str | None:
    """Why `text` is not a lower-case DNS name of two labels or more (a trailing dot is allowed)."""
    name = text.rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        return f"{text!r} is not a lower-case DNS name such as kubeboard.example.com"
    return None
