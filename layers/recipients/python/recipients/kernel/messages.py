"""pydantic's validation errors, said in this service's own words.

pydantic words its errors for Python programmers ("Input should be a valid string", "List should
have at least 1 item after validation, not 0"); the API names the field in `errors[].field` and says
what the field must be: "must be a string", "must hold at least 1 user". Every error type the models
can produce has its message here (tests/unit/test_error_messages.py drives every model's fields with
bad input to keep it so); a message a model writes itself (a `ValueError` in a validator) is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, get_args

Context = Mapping[str, Any]

_FIXED: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field this object takes",
    "string_type": "must be a string",
    "string_unicode": "must be valid Unicode text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "uuid_type": "must be a UUID",
    "uuid_parsing": "must be a UUID",
    "datetime_type": "must be a date and time, like 2025-01-31T09:00:00Z",
    "datetime_parsing": "must be a date and time, like 2025-01-31T09:00:00Z",
    "datetime_from_date_parsing": "must be a date and time, like 2025-01-31T09:00:00Z",
    "union_tag_not_found": "must be an object of one of the kinds this field takes",
    "union_tag_invalid": "must be an object of one of the kinds this field takes",
    "json_invalid": "must be valid JSON",
}


def _count(number: Any) -> str:
    return f"{number:,}" if isinstance(number, int) else str(number)


def _things(location: tuple[Any, ...], number: Any) -> str:
    """What a list holds, from its field's name: users, tenant ids... (items for an unnamed list)."""
    name = next((str(part) for part in reversed(location) if isinstance(part, str) and not part.startswith("~")), "")
    noun = name.replace("_", " ").strip() or "items"
    if not noun.endswith("s"):
        noun = "items"
    return noun.removesuffix("s") if number == 1 else noun


def _too_short(ctx: Context, location: tuple[Any, ...]) -> str:
    minimum = ctx.get("min_length")
    return f"must hold at least {_count(minimum)} {_things(location, minimum)}"


def _too_long(ctx: Context, location: tuple[Any, ...]) -> str:
    maximum, actual = ctx.get("max_length"), ctx.get("actual_length")
    sent = f", not {_count(actual)}" if actual is not None else ""
    return f"must hold at most {_count(maximum)} {_things(location, maximum)}{sent}"


def _characters(number: Any) -> str:
    return f"{_count(number)} character{'' if number == 1 else 's'}"


_BY_CONTEXT: dict[str, Callable[[Context, tuple[Any, ...]], str]] = {
    "too_short": _too_short,
    "too_long": _too_long,
    "string_too_short": lambda ctx, _: (
        "must not be empty" if ctx.get("min_length") == 1 else f"must be at least {_characters(ctx.get('min_length'))}"
    ),
    "string_too_long": lambda ctx, _: f"must be at most {_characters(ctx.get('max_length'))}",
    "string_pattern_mismatch": lambda ctx, _: f"must match the pattern {ctx.get('pattern')}",
    "literal_error": lambda ctx, _: f"must be {ctx.get('expected')}",
    "enum": lambda ctx, _: f"must be {ctx.get('expected')}",
    "greater_than": lambda ctx, _: f"must be more than {_count(ctx.get('gt'))}",
    "greater_than_equal": lambda ctx, _: f"must be at least {_count(ctx.get('ge'))}",
    "less_than": lambda ctx, _: f"must be less than {_count(ctx.get('lt'))}",
    "less_than_equal": lambda ctx, _: f"must be at most {_count(ctx.get('le'))}",
}

OWN_MESSAGE_TYPES = frozenset({"value_error", "assertion_error"})
"""Errors a model raises itself: its message is already in the service's words."""
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")

KNOWN_TYPES = frozenset(_FIXED) | frozenset(_BY_CONTEXT) | OWN_MESSAGE_TYPES
"""Every pydantic error type with a message of ours."""


@cache
def pydantic_error_types() -> frozenset[str]:
    """pydantic's own error types (a custom one, such as a discriminator's, carries its own message)."""
    from pydantic_core.core_schema import ErrorType  # only where pydantic reported an error: it is loaded

    return frozenset(get_args(ErrorType))


def service_message(error: Mapping[str, Any]) -> str:
    """The message for one of pydantic's error dicts (`ValidationError.errors()`)."""
    error_type = str(error.get("type", ""))
    fixed = _FIXED.get(error_type)
    if fixed is not None:
        return fixed
    worded = _BY_CONTEXT.get(error_type)
    if worded is not None:
        return worded(error.get("ctx") or {}, tuple(error.get("loc") or ()))
    if error_type in pydantic_error_types() and error_type not in OWN_MESSAGE_TYPES:
        return "is invalid"  # a pydantic type no model produced when this was written: its words would show
    message = str(error.get("msg") or "is invalid")
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    return message  # a model's own words: a validator's ValueError, or a custom error type (PydanticCustomError)
