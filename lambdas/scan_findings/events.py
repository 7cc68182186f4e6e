"""Parse the two EventBridge event shapes that announce a finished image scan.

"ECR Image Scan" (source aws.ecr, basic scanning) names the repository by its short name and takes the
registry from the event's account; "Inspector2 Scan" (source aws.inspector2, enhanced scanning) puts the
full repository ARN in detail.repository-name. In both, detail.finding-severity-counts lists only the
severities whose count is above zero (Inspector adds a TOTAL). Anything else is a MalformedEvent whose
message says which field is wrong; parsing never raises anything but MalformedEvent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ScanType(StrEnum):
    BASIC = "basic"
    ENHANCED = "enhanced"


# (source, detail-type) -> scan type; the EventBridge rules subscribe to exactly these pairs.
EVENT_KINDS: dict[tuple[str, str], ScanType] = {
    ("aws.ecr", "ECR Image Scan"): ScanType.BASIC,
    ("aws.inspector2", "Inspector2 Scan"): ScanType.ENHANCED,
}

# ECR's own repository-name grammar (CreateRepository API reference), 2..256 characters.
REPOSITORY_NAME_PATTERN = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_REPOSITORY_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:ecr:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):repository/(?P<name>.+)"
)
_ACCOUNT_PATTERN = re.compile(r"\d{12}")
# Real digests are sha256 + 64 hex digits; AWS's published samples are shorter and end in "EXAMPLE", so
# any length and letters are tolerated (ECR itself judges the digest). It becomes part of an S3 key,
# hence the closed alphabet.
_DIGEST_PATTERN = re.compile(r"sha256:[A-Za-z0-9]{1,128}")
# ECR's tag grammar; tags are only shown, so one that does not fit is dropped, not fatal.
_TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}")
_STATUS_PATTERN = re.compile(r"[A-Z_]{1,64}")
_REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_MAX_TAGS = 1000


class MalformedEvent(ValueError):
    """The event is not a scan-completed event this function can act on."""


@dataclass(frozen=True, slots=True)
class ScanEvent:
    scan_type: ScanType
    repository: str
    registry_id: str
    image_digest: str
    scan_status: str
    image_tags: tuple[str, ...] = ()
    region: str | None = None
    reported_counts: dict[str, int] = field(default_factory=dict)
    ignored_tags: int = 0


def _field(detail: Mapping[str, Any], key: str) -> Any:
    if key not in detail:
        raise MalformedEvent(f"detail.{key}: missing")
    return detail[key]


def _string(value: Any, where: str, pattern: re.Pattern[str], max_length: int = 256) -> str:
    if not isinstance(value, str):
        raise MalformedEvent(f"{where}: expected a string, got {type(value).__name__}")
    if len(value) > max_length or not pattern.fullmatch(value):
        raise MalformedEvent(f"{where}: {value[:80]!r} is not valid")
    return value


def _repository(
    detail: Mapping[str, Any], scan_type: ScanType, account: Any, region: str | None
) -> tuple[str, str, str | None]:
    """Return (repository name, registry id, region) from either event shape."""
    raw = _field(detail, "repository-name")
    if scan_type is ScanType.ENHANCED:
        arn = _string(raw, "detail.repository-name", _REPOSITORY_ARN_PATTERN, max_length=400)
        match = _REPOSITORY_ARN_PATTERN.fullmatch(arn)
        if match is None:  # unreachable after _string; keeps the type checker honest
            raise MalformedEvent("detail.repository-name: not a repository ARN")
        name = _string(match["name"], "detail.repository-name (name part)", REPOSITORY_NAME_PATTERN)
        # The ARN names the repository's own region; the event's region is only where it was routed.
        return name, match["account"], match["region"]
    name = _string(raw, "detail.repository-name", REPOSITORY_NAME_PATTERN)
    return name, _string(account, "account", _ACCOUNT_PATTERN, max_length=12), region


def _tags(detail: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
    """(the tags that fit ECR's grammar, how many were dropped): a strange tag never costs the scan."""
    raw = detail.get("image-tags", [])
    if not isinstance(raw, list):
        return (), 0 if raw is None else 1
    tags = tuple(tag for tag in raw[:_MAX_TAGS] if isinstance(tag, str) and _TAG_PATTERN.fullmatch(tag))
    return tags, len(raw) - len(tags)


def _counts(detail: Mapping[str, Any]) -> dict[str, int]:
    raw = detail.get("finding-severity-counts", {})
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise MalformedEvent("detail.finding-severity-counts: expected an object")
    counts: dict[str, int] = {}
    for key, value in raw.items():
        # bool is an int subclass; a JSON true is not a count.
        if not isinstance(key, str) or not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MalformedEvent(f"detail.finding-severity-counts: {str(key)[:40]!r} is not a count")
        counts[key.upper()] = value
    return counts


def parse_event(event: Any) -> ScanEvent:
    """Turn a raw EventBridge event into a ScanEvent, or raise MalformedEvent saying why not."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"event: expected an object, got {type(event).__name__}")
    source, detail_type = event.get("source"), event.get("detail-type")
    kind = None
    if isinstance(source, str) and isinstance(detail_type, str):
        kind = EVENT_KINDS.get((source, detail_type))
    if kind is None:
        raise MalformedEvent(
            f"event: unsupported source/detail-type {str(source)[:40]!r}/{str(detail_type)[:40]!r}"
        )
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise MalformedEvent("detail: expected an object")
    region = event.get("region")
    region = region if isinstance(region, str) and _REGION_PATTERN.fullmatch(region) else None
    repository, registry_id, region = _repository(detail, kind, event.get("account"), region)
    tags, ignored_tags = _tags(detail)
    return ScanEvent(
        scan_type=kind,
        repository=repository,
        registry_id=registry_id,
        image_digest=_string(_field(detail, "image-digest"), "detail.image-digest", _DIGEST_PATTERN),
        scan_status=_string(_field(detail, "scan-status"), "detail.scan-status", _STATUS_PATTERN),
        image_tags=tags,
        region=region,
        reported_counts=_counts(detail),
        ignored_tags=ignored_tags,
    )
