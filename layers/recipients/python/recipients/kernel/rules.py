"""The data rules of the product spec, as plain functions that raise ValueError with the reason.

pydantic turns those ValueErrors into field errors, so every rejection names the field and why.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import unquote, urlsplit

MAX_ID_LENGTH = 256
MAX_BULK_ROWS = 1000
"""Rows one bulk call takes."""
MAX_PROPERTIES_BYTES = 256 * 1024
MAX_NESTING_DEPTH = 100
MAX_EMAIL_LENGTH = 254

_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Matched with fullmatch: `$` would also match before a trailing newline ("ada@example.com\n").
# Patterns, not compiled ones: `re` compiles each on first use and keeps it, so a function compiles
# only the ones its requests need, not all of them at every cold start.
_EMAIL = rf"[^@\s\"(),:;<>\[\\\]]+@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+"
_E164 = r"\+[1-9][0-9]{1,14}"
_WORKFLOW_KEY = r"[a-z0-9_-]{1,255}"
_LOCALE = r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MAX_TOKEN_LENGTH = 4096


def check_id(value: str) -> str:
    """An id: 1-256 characters, no '/' or '#', not blank, no control characters, valid Unicode."""
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    if "/" in value:
        raise ValueError("must not contain '/'")
    if "#" in value:
        raise ValueError("must not contain '#'")
    if value.isspace():
        raise ValueError("must not be blank")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("must not contain control characters or unpaired surrogates")
    return value


TENANTS_COLLECTION = "$tenants"


def check_collection(value: str) -> str:
    """A collection name: the id rules; names starting with '$' are the system's, and of them only
    `$tenants` (whose objects are the tenants) can be named."""
    check_id(value)
    if value.startswith("$") and value != TENANTS_COLLECTION:
        raise ValueError("must not start with '$' (such collections are reserved; $tenants holds the tenants)")
    return value


def check_workflow_key(value: str) -> str:
    """A workflow key as Knock makes them: lowercase letters, digits, '-' and '_', up to 255."""
    if not re.fullmatch(_WORKFLOW_KEY, value):
        raise ValueError("must be 1-255 lowercase letters, digits, '-' or '_', like new-comment")
    return value


def check_cancellation_key(value: str) -> str:
    check_id(value)  # same shape as an id: it becomes part of a lookup key
    return value


def check_uuid(value: str) -> str:
    """A UUID in its canonical text form (8-4-4-4-12 hexadecimal digits), like a Knock channel id."""
    if not re.fullmatch(_UUID, value):
        raise ValueError("must be a UUID, like 7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11")
    return value


def check_token(value: str) -> str:
    """A device token, ARN or URL: 1-4096 characters, none of them blank or control characters."""
    if not value or value.isspace():
        raise ValueError("must not be empty")
    if len(value) > MAX_TOKEN_LENGTH:
        raise ValueError(f"must be at most {MAX_TOKEN_LENGTH} characters (got {len(value)})")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain control characters")
    return value


def decode_path_segment(value: str) -> str:
    """Percent-decode one path segment exactly once (API Gateway hands the raw segment over)."""
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError("is not valid percent-encoded UTF-8") from exc


def check_email(value: str) -> str:
    if len(value) > MAX_EMAIL_LENGTH or not re.fullmatch(_EMAIL, value) or ".." in value:
        raise ValueError("must be a valid email address, like ada@example.com")
    return value


def check_phone_number(value: str) -> str:
    if not re.fullmatch(_E164, value):
        raise ValueError("must be an E.164 phone number: '+' then 2 to 15 digits, like +14155550123")
    return value


def check_avatar(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http or https URL")
    return value


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    import zoneinfo  # only identifies that send a timezone pay for the tz database scan

    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("must be a tz database time zone name, like America/New_York")
    return value


def check_locale(value: str) -> str:
    if len(value) > 35 or not re.fullmatch(_LOCALE, value):
        raise ValueError("must be a locale code, like en or pt-BR")
    return value


def normalize_created_at(value: str) -> str:
    """ISO-8601 date-time; returned in UTC as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (naive times are UTC)."""
    if len(value) < 16 or value[10] not in "Tt ":
        raise ValueError("must be an ISO-8601 date-time, like 2024-05-22T12:00:00Z")
    try:
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # OverflowError: an offset pushes it past year 1 or 9999
        raise ValueError("must be an ISO-8601 date-time, like 2024-05-22T12:00:00Z") from exc
    return format_timestamp(moment)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))


def expires_in(days: int) -> int:
    """The epoch second `days` from now: a value for DynamoDB's TTL attribute."""
    return int(time.time()) + days * 86400


def nesting_depth(value: object) -> int:
    """Depth of nested objects/lists, computed without recursion (values may be arbitrarily deep)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
    return deepest


SURROGATE_MESSAGE = "contains an unpaired surrogate (a \\ud800-\\udfff escape on its own): send valid Unicode"


def find_unpaired_surrogate(value: object) -> tuple[str, str] | None:
    """Where the first string holding an unpaired surrogate is, as (dotted path, message); None if none.

    Such strings parse from JSON escapes like "\\udc00" but cannot be written as UTF-8 anywhere
    (DynamoDB, SQS, logs, answers). A key holding one is reported at its object's path ("" at the top).
    """
    try:  # fast path: the C encoder, then one UTF-8 encode, for the common body without any
        json.dumps(value, ensure_ascii=False, default=str, check_circular=False).encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    except RecursionError:  # deeper than the C encoder goes: walk it below
        pass
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not encodes(item):
                return path, SURROGATE_MESSAGE
        elif isinstance(item, dict):
            for key in item:
                if not encodes(key):
                    return path, "has a key that " + SURROGATE_MESSAGE
            stack.extend((child, f"{path}.{key}" if path else key) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(
                (child, f"{path}.{index}" if path else str(index)) for index, child in reversed(list(enumerate(item)))
            )
    return None


def encodes(text: str) -> bool:
    """Whether `text` can be written as UTF-8 (it holds no unpaired surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shortened(text: str, length: int = 60) -> str:
    """`text` quoted for a message: printable, and cut to `length` characters."""
    cut = printable(text)
    return repr(cut if len(cut) <= length else cut[: length - 3] + "...")


def printable(text: str) -> str:
    """`text` with each unpaired surrogate replaced by U+FFFD, so it can be echoed back."""
    return text if encodes(text) else "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
