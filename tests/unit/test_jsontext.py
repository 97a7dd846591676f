"""Exact JSON: every number, string and depth a caller sends comes back as sent."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal

import pytest

from recipients.kernel import jsontext


@pytest.mark.parametrize(
    "text",
    [
        "0.1000000000000000055511151231257827",
        "-0.0",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "18446744073709551616",
        "9007199254740993",
        "3.141592653589793238462643383279502884197",
        "1.5E-10",
        "0",
        "-1",
        "1e400",
        "0e5",
        "-0",
        "2.50",
        "1E+2",
    ],
)
def test_dumps_loaded_number_writes_the_same_text(text: str) -> None:
    assert jsontext.dumps(jsontext.loads(text)) == text


def test_loads_float_beyond_double_precision_keeps_every_digit() -> None:
    value = jsontext.loads("0.1000000000000000055511151231257827")
    assert value == Decimal("0.1000000000000000055511151231257827")
    assert value != Decimal(0.1)


def test_loads_number_beyond_double_range_is_not_infinity() -> None:
    # Given 1e400, which json.loads would turn into inf
    value = jsontext.loads("1e400")
    # Then it stays a finite, exact number, and is written back as the same number
    assert value == Decimal("1e400")
    assert value.is_finite()
    assert jsontext.loads(jsontext.dumps(value)) == Decimal("1e400")


def test_loads_negative_zero_keeps_its_sign() -> None:
    assert jsontext.loads("-0.0").is_signed()
    assert jsontext.loads("-0").is_signed()


def test_loaded_number_keeps_its_text_through_copies_and_pickles() -> None:
    value = jsontext.loads("1e400")
    for same in (copy.copy(value), copy.deepcopy({"v": value})["v"], pickle.loads(pickle.dumps(value))):
        assert jsontext.dumps(same) == "1e400"


def test_loads_integer_beyond_two_to_the_63_stays_an_exact_int() -> None:
    value = jsontext.loads(str(2**64 + 1))
    assert value == 2**64 + 1
    assert isinstance(value, int)


@pytest.mark.parametrize(
    "text",
    [
        '"\\u0000"',
        '"\\ud800"',
        '"a\\udfffb"',
        '"\\u001f\\"\\\\"',
        '"Ünïcødé ✓ 😀 中文"',
        '""',
        "{}",
        "[]",
        '{"":{},"a":[],"b":"","c":[{}],"d":null,"e":true,"f":false}',
    ],
    ids=[
        "nul",
        "lone-high-surrogate",
        "lone-low-surrogate",
        "escapes",
        "unicode",
        "empty-string",
        "obj",
        "list",
        "mix",
    ],
)
def test_dumps_loaded_text_round_trips_exactly(text: str) -> None:
    value = jsontext.loads(text)
    assert jsontext.dumps(value) == text
    assert jsontext.loads(jsontext.dumps(value)) == value


def test_dumps_lone_surrogate_writes_text_that_encodes_as_utf8() -> None:
    text = jsontext.dumps({"a": "\ud800", "b": "é"})
    assert text.encode("utf-8") == b'{"a":"\\ud800","b":"\\u00e9"}'


def test_dumps_unicode_is_written_unescaped() -> None:
    assert jsontext.dumps({"name": "Zoë 😀"}) == '{"name":"Zoë 😀"}'


def test_dumps_nested_45_deep_round_trips_exactly() -> None:
    text = '{"a":' * 45 + "[0.10,1e400]" + "}" * 45
    assert jsontext.dumps(jsontext.loads(text)) == text


def test_dumps_keeps_key_order() -> None:
    assert jsontext.dumps({"z": 1, "a": 2, "m": 3}) == '{"z":1,"a":2,"m":3}'


def test_loads_bytes_are_read_as_utf8() -> None:
    assert jsontext.loads('{"name":"Zoë"}'.encode()) == {"name": "Zoë"}


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"a": NaN}', "[1, Infinity]"])
def test_loads_nan_or_infinity_raises_json_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError, match="is not valid JSON"):
        jsontext.loads(text)


def test_loads_over_long_integer_raises_json_decode_error() -> None:
    # 5000 digits is over Python's int conversion limit; it must surface as a JSON error, not a bare ValueError
    with pytest.raises(json.JSONDecodeError, match="digits"):
        jsontext.loads("1" * 5000)


def test_loads_absurd_nesting_raises_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="recursion"):
        jsontext.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("text", ["{", "", "{'a': 1}", '{"a":1,}', "[1 2]"])
def test_loads_malformed_text_raises_json_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("-inf")])
def test_dumps_non_finite_number_raises_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        jsontext.dumps({"a": value})


def test_dumps_unsupported_type_raises_type_error() -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        jsontext.dumps({"a": {1, 2}})
