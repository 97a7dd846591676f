"""The one error type domain code raises. It knows nothing about HTTP; `http.py` maps kinds to statuses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, NamedTuple

from recipients.kernel.messages import service_message


class ErrorKind(Enum):
    INVALID = "invalid"  # a well-formed request breaks a rule
    MALFORMED = "malformed"  # the request cannot be read at all (bad JSON, bad encoding)
    UNSUPPORTED_MEDIA = "unsupported_media"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"  # a concurrent change got in the way: a retry may succeed
    UNAVAILABLE = "unavailable"  # throttled or a dependency is down: a retry may succeed
    INTERNAL = "internal"


class FieldError(NamedTuple):
    field: str
    message: str


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: str = "", whole: str = "row") -> list[FieldError]:
    """pydantic's error dicts (`ValidationError.errors()`) as FieldErrors named `<prefix>.<location>`.

    An error on the whole value (empty location) is named after `prefix`, or `whole` without one.
    """
    converted = []
    for error in errors:
        location = location_name(error["loc"])
        name = f"{prefix}.{location}" if prefix and location else location or prefix or whole
        converted.append(FieldError(name, error_message(error)))
    return converted


def location_name(location: Iterable[Any]) -> str:
    """A pydantic error location as a dotted path, without the names of union branches (tagged `~...`)
    or the `[key]` marking an error in a dictionary's key."""
    return ".".join(str(part) for part in location if not str(part).startswith("~") and part != "[key]")


def error_message(error: Mapping[str, Any]) -> str:
    """One of pydantic's error dicts, in the service's words (`kernel/messages.py`)."""
    return service_message(error)


class RecipientsError(Exception):
    def __init__(self, kind: ErrorKind, code: str, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(code, message)
        self.kind = kind
        self.code = code
        self.message = message
        self.errors = errors or []

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @classmethod
    def invalid(cls, errors: list[FieldError], code: str = "invalid_params") -> RecipientsError:
        summary = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors[:5])
        if len(errors) > 5:
            summary += f"; and {len(errors) - 5} more"
        return cls(ErrorKind.INVALID, code, summary, errors)

    @classmethod
    def invalid_field(cls, field_name: str, message: str) -> RecipientsError:
        return cls.invalid([FieldError(field_name, message)])

    @classmethod
    def malformed(cls, message: str) -> RecipientsError:
        return cls(ErrorKind.MALFORMED, "invalid_json", message)

    @classmethod
    def not_found(cls, what: str, identifier: str | None = None) -> RecipientsError:
        message = f"{what} not found" if identifier is None else f"{what} {identifier!r} not found"
        return cls(ErrorKind.NOT_FOUND, "resource_missing", message)

    @classmethod
    def conflict(cls, message: str) -> RecipientsError:
        return cls(ErrorKind.CONFLICT, "conflict", message)

    @classmethod
    def unavailable(cls, message: str) -> RecipientsError:
        return cls(ErrorKind.UNAVAILABLE, "service_unavailable", message)


def checked_entries[Checked](entries: Mapping[str, Any], check: Callable[[str, Any], Checked]) -> dict[str, Checked]:
    """Every entry of a map checked with `check(key, value)`; raises one error naming every bad entry."""
    checked = {}
    errors: list[FieldError] = []
    for key, value in entries.items():
        try:
            checked[key] = check(key, value)
        except RecipientsError as exc:
            errors.extend(exc.errors)
    if errors:
        raise RecipientsError.invalid(errors)
    return checked
