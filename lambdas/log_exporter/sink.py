"""Where exports land: one gzip JSON-lines object per namespace and window, written at most once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from .retry import Backoff
from .windows import day_prefix

_THROTTLING = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError"}


def is_transient_s3_error(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or status == 429 or exc.response.get("Error", {}).get("Code") in _THROTTLING
    return isinstance(exc, ConnectionError | ReadTimeoutError | BotoCoreError)


class AlreadyExported(Exception):
    """Another run wrote this window first (S3 answered 412 to If-None-Match: *)."""


class S3Sink:
    def __init__(self, client: Any, bucket: str, prefix: str, backoff: Backoff) -> None:
        self._s3 = client
        self._bucket = bucket
        self._prefix = prefix
        self._backoff = backoff

    def existing_keys(self, namespace: str, days: Iterable[datetime]) -> set[str]:
        """Keys already exported for `namespace` on the given days (one LIST per day)."""
        keys: set[str] = set()
        for day in sorted({d.date() for d in days}):
            prefix = day_prefix(self._prefix, namespace, datetime(day.year, day.month, day.day))
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix}
                if token:
                    kwargs["ContinuationToken"] = token
                page = self._backoff.call(
                    f"S3 list {prefix}",
                    lambda kwargs=kwargs: self._s3.list_objects_v2(**kwargs),
                    is_transient_s3_error,
                )
                keys.update(obj["Key"] for obj in page.get("Contents", []))
                token = page.get("NextContinuationToken")
                if not token:
                    break
        return keys

    def put_once(self, key: str, body: IO[bytes], metadata: dict[str, str]) -> None:
        """Upload `body` unless `key` exists; a conditional write makes concurrent runs safe too."""

        def put() -> None:
            body.seek(0)
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                # The object is a .gz file, not a gzip-encoded transfer of JSON lines.
                ContentType="application/gzip",
                Metadata=metadata,
                IfNoneMatch="*",
            )

        try:
            self._backoff.call(f"S3 put {key}", put, is_transient_s3_error)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "412"}:
                raise AlreadyExported(key) from exc
            raise
