"""The one error type domain code raises. It knows nothing about HTTP; `http.py` maps kinds to statuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, NamedTuple


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


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: str = "") -> list[FieldError]:
    """pydantic's error dicts (`ValidationError.errors()`) as FieldErrors named `<prefix>.<location>`.

    An error on the whole value (empty location) is named after `prefix`, or "row" without one.
    """
    converted = []
    for error in errors:
        location = ".".join(str(part) for part in error["loc"])
        name = f"{prefix}.{location}" if prefix and location else location or prefix or "row"
        converted.append(FieldError(name, str(error["msg"]).removeprefix("Value error, ")))
    return converted


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
