"""One S3 object per image and CRITICAL/HIGH finding set that makes the alert mail go out once.

The ledger entry is claimed with a conditional write (If-None-Match: *) *before* publishing, so of two
concurrent deliveries only one publishes, and a retry after any later failure finds the entry marked
"sent". A claim records the deadline of the invocation that holds it: a claim past its deadline belongs
to an invocation that died before recording the outcome, and a retry takes it over (If-Match on its
ETag, so two retries cannot both take it). A failed publish releases the claim before raising.

What this cannot rule out: the mail was published but the "sent" write failed on every attempt and the
invocation then died; the retry cannot tell that from a crash before publishing and mails again. An
alert is never lost to a crash; it can at worst be repeated in that narrow case.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

# S3 answers a lost conditional write with 412, or 409 when another conditional write is in flight.
_CONDITION_LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


class Claim(StrEnum):
    CLAIMED = "claimed"
    ALREADY_SENT = "already_sent"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True, slots=True)
class Entry:
    bucket: str
    key: str


@dataclass(slots=True)
class Held:
    entry: Entry
    etag: str


def ledger_key(prefix: str, repository: str, image_digest: str, fingerprint: str) -> str:
    return f"{prefix}{repository}/{image_digest}.alerts/{fingerprint}.json"


def _lost(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in _CONDITION_LOST


def _put(s3: Any, entry: Entry, state: dict[str, Any], **condition: str) -> str:
    response = s3.put_object(
        Bucket=entry.bucket,
        Key=entry.key,
        Body=json.dumps(state, separators=(",", ":")).encode(),
        ContentType="application/json",
        **condition,
    )
    return str(response.get("ETag", ""))


def claim(s3: Any, entry: Entry, deadline: float, now: float | None = None) -> tuple[Claim, Held | None]:
    """Try to become the one invocation that publishes this alert."""
    now = time.time() if now is None else now
    sending = {"state": "sending", "expiresAt": deadline}
    try:
        return Claim.CLAIMED, Held(entry, _put(s3, entry, sending, IfNoneMatch="*"))
    except ClientError as error:
        if not _lost(error):
            raise
    current = s3.get_object(Bucket=entry.bucket, Key=entry.key)
    try:
        state = json.loads(current["Body"].read())
    except ValueError:
        state = {}  # an unreadable entry is retaken, never trusted
    state = state if isinstance(state, dict) else {}
    if state.get("state") == "sent":
        return Claim.ALREADY_SENT, None
    expires = state.get("expiresAt")
    if state.get("state") == "sending" and isinstance(expires, int | float) and expires > now:
        return Claim.IN_PROGRESS, None
    try:
        return Claim.CLAIMED, Held(entry, _put(s3, entry, sending, IfMatch=str(current["ETag"])))
    except ClientError as error:
        if not _lost(error):
            raise
        return Claim.IN_PROGRESS, None


def mark_sent(s3: Any, held: Held, message_id: str) -> None:
    _put(s3, held.entry, {"state": "sent", "messageId": message_id, "sentAt": time.time()}, IfMatch=held.etag)


def release(s3: Any, held: Held) -> None:
    """Give the claim back after a failed publish; if even that fails, the claim expires on its own."""
    with contextlib.suppress(ClientError):
        _put(s3, held.entry, {"state": "released"}, IfMatch=held.etag)
