"""Exact JSON: numbers keep their text, nothing becomes NaN or Infinity, any depth round-trips.

`json.loads` turns `0.1000000000000000055511151231257827` into the float 0.1 and `1e400` into
infinity, and pydantic's encoders turn Decimals into floats or strings. Property values are
therefore parsed with non-integers (and `-0`) as `Number`, a Decimal that remembers the text it
was read from, and written back by `dumps` as that same text (`1e400`, not `1E+400`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

_encode_str = json.JSONEncoder(ensure_ascii=False).encode
_encode_str_ascii = json.JSONEncoder(ensure_ascii=True).encode


class Number(Decimal):
    """A number as it was written: it compares and computes as a Decimal, and `dumps` writes `text`."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Number:
        number = super().__new__(cls, text)
        number.text = text
        return number

    # Decimal's own copy and pickle support rebuilds from str(self), which would lose the text.
    def __copy__(self) -> Number:
        return self

    def __deepcopy__(self, memo: object) -> Number:
        return self

    def __reduce__(self) -> tuple[type[Number], tuple[str]]:
        return (Number, (self.text,))


def _integer(text: str) -> int | Number:
    return Number(text) if text == "-0" else int(text)  # int("-0") would lose the sign


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping non-integer numbers exact. Every failure is a `json.JSONDecodeError`."""
    doc = text.decode("utf-8") if isinstance(text, bytes) else text
    try:
        return json.loads(doc, parse_float=Number, parse_int=_integer, parse_constant=_reject_constant)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # over-long integers, NaN/Infinity, absurd nesting
        raise json.JSONDecodeError(str(exc) or type(exc).__name__, doc, 0) from exc


def dumps(value: Any) -> str:
    """Compact JSON text, UTF-8 friendly; lone surrogates are escaped so the text always encodes."""
    text = "".join(_chunks(value, _encode_str))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(_chunks(value, _encode_str_ascii))
    return text


def _chunks(value: Any, encode_str: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield encode_str(value)
    elif value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, int):
        yield int.__repr__(value)
    elif isinstance(value, Number):
        yield value.text
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN and Infinity cannot be written as JSON")
        yield str(value)
    elif isinstance(value, float):
        yield json.dumps(value, allow_nan=False)
    elif isinstance(value, dict):
        yield "{"
        first = True
        for key, item in value.items():
            if not first:
                yield ","
            first = False
            yield encode_str(key)
            yield ":"
            yield from _chunks(item, encode_str)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _chunks(item, encode_str)
        yield "]"
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
