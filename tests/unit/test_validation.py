"""The data rules of product.md, one function at a time."""

from __future__ import annotations

import pytest

from recipients.kernel import jsontext
from recipients.kernel.rules import (
    check_avatar,
    check_email,
    check_id,
    check_locale,
    check_phone_number,
    check_timezone,
    check_workflow_key,
    decode_path_segment,
    find_unpaired_surrogate,
    nesting_depth,
    normalize_created_at,
    printable,
)


@pytest.mark.parametrize(
    "value",
    ["user_123", "a", "a" * 256, "Ünïcødé ✓", "a b", "user@example.com", "%41", "😀" * 256],
    ids=["plain", "one-char", "256-chars", "unicode", "inner-space", "email-like", "percent", "256-astral"],
)
def test_check_id_valid_id_returns_it_unchanged(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "must not be empty"),
        ("a" * 257, "at most 256 characters (got 257)"),
        ("a/b", "must not contain '/'"),
        ("/", "must not contain '/'"),
        ("a#b", "must not contain '#'"),
        ("#", "must not contain '#'"),
        (" ", "must not be blank"),
        ("\t\n ", "must not be blank"),
        ("\u3000", "must not be blank"),
        ("a\x00b", "control characters"),
        ("a\x1fb", "control characters"),
        ("a\x7f", "control characters"),
        ("\ud800", "unpaired surrogates"),
        ("a\udfffb", "unpaired surrogates"),
    ],
    ids=[
        "empty",
        "257-chars",
        "slash",
        "only-slash",
        "hash",
        "only-hash",
        "space",
        "whitespace-only",
        "ideographic-space",
        "nul",
        "unit-separator",
        "delete",
        "lone-high-surrogate",
        "lone-low-surrogate",
    ],
)
def test_check_id_broken_rule_raises_with_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_id(value)


def test_check_id_ids_differing_only_in_case_stay_distinct() -> None:
    # Given two ids that differ only in case / When both are checked / Then neither is folded
    assert (check_id("Ada"), check_id("ada")) == ("Ada", "ada")


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("user_123", "user_123"),
        ("%2541", "%41"),  # decoded once only: %25 -> %, and the result is not decoded again
        ("a%20b", "a b"),
        ("x%23y", "x#y"),
        ("x%2Fy", "x/y"),
        ("%E2%9C%93", "✓"),
        ("a+b", "a+b"),  # '+' is literal in a path, not a space
        ("!$&'()*+,;=:@", "!$&'()*+,;=:@"),
    ],
)
def test_decode_path_segment_decodes_exactly_once(raw: str, decoded: str) -> None:
    assert decode_path_segment(raw) == decoded


@pytest.mark.parametrize(
    "raw", ["%FF", "a%C3", "%ED%A0%80", "%C0%AF"], ids=["ff", "truncated", "surrogate", "overlong"]
)
def test_decode_path_segment_invalid_utf8_raises(raw: str) -> None:
    with pytest.raises(ValueError, match="not valid percent-encoded UTF-8"):
        decode_path_segment(raw)


@pytest.mark.parametrize(
    "value", ["ada@example.com", "a.b+tag@mail.example.co.uk", "o'brien@example.ie", "x@a-b.example"]
)
def test_check_email_valid_address_returns_it(value: str) -> None:
    assert check_email(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "not-an-email",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "a b@example.com",
        "ada..x@example.com",
        "ada@-example.com",
        "",
        "a" * 250 + "@example.com",
        "ada@example.com\n",
    ],
    ids=[
        "no-at",
        "no-domain",
        "no-local",
        "no-dot",
        "double-at",
        "space",
        "double-dot",
        "dash",
        "empty",
        "too-long",
        "trailing-newline",
    ],
)
def test_check_email_invalid_address_raises(value: str) -> None:
    with pytest.raises(ValueError, match="valid email address"):
        check_email(value)


@pytest.mark.parametrize("value", ["+12", "+14155550123", "+447700900123", "+123456789012345"])
def test_check_phone_number_e164_returns_it(value: str) -> None:
    assert check_phone_number(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "12345",
        "14155550123",
        "+1",
        "+0123456",
        "+1234567890123456",
        "+1 415 555 0123",
        "+1-415-555",
        "+",
        "",
        "+1a",
        "+14155550123\n",
    ],
    ids=[
        "no-plus",
        "no-plus-long",
        "one-digit",
        "leading-zero",
        "16-digits",
        "spaces",
        "dashes",
        "plus",
        "empty",
        "letter",
        "trailing-newline",
    ],
)
def test_check_phone_number_not_e164_raises(value: str) -> None:
    with pytest.raises(ValueError, match="E.164"):
        check_phone_number(value)


@pytest.mark.parametrize(
    "value", ["https://example.com/a.png", "http://example.com", "https://cdn.example.com:8443/a/b.png?size=64"]
)
def test_check_avatar_http_url_returns_it(value: str) -> None:
    assert check_avatar(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "ftp://example.com/a.png",
        "/avatars/a.png",
        "avatars/a.png",
        "example.com/a.png",
        "https://",
        "https://exa mple.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "",
    ],
    ids=["javascript", "ftp", "absolute-path", "relative", "no-scheme", "no-host", "space", "data", "empty"],
)
def test_check_avatar_not_http_url_raises(value: str) -> None:
    with pytest.raises(ValueError, match="absolute http or https URL"):
        check_avatar(value)


@pytest.mark.parametrize("value", ["America/New_York", "Europe/London", "UTC", "Asia/Kolkata", "Etc/GMT+5"])
def test_check_timezone_tz_database_name_returns_it(value: str) -> None:
    assert check_timezone(value) == value


@pytest.mark.parametrize("value", ["Mars/Base", "america/new_york", "EST 5", "", "+02:00", "America/New_York "])
def test_check_timezone_unknown_name_raises(value: str) -> None:
    with pytest.raises(ValueError, match="tz database time zone name"):
        check_timezone(value)


@pytest.mark.parametrize("value", ["en", "en-GB", "pt_BR", "zh-Hant-TW", "fil"])
def test_check_locale_locale_code_returns_it(value: str) -> None:
    assert check_locale(value) == value


@pytest.mark.parametrize("value", ["", "e", "english", "en GB", "12", "en-", "en-" + "a" * 40, "en\n"])
def test_check_locale_not_a_locale_raises(value: str) -> None:
    with pytest.raises(ValueError, match="locale code"):
        check_locale(value)


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("2024-05-22T12:00:00Z", "2024-05-22T12:00:00Z"),
        ("2024-05-22T12:00:00+00:00", "2024-05-22T12:00:00Z"),
        ("2024-05-22T14:00:00+02:00", "2024-05-22T12:00:00Z"),
        ("2024-05-21T23:30:00-01:00", "2024-05-22T00:30:00Z"),
        ("2024-05-22T12:00:00", "2024-05-22T12:00:00Z"),
        ("2024-05-22 12:00:00", "2024-05-22T12:00:00Z"),
        ("2024-05-22T12:00", "2024-05-22T12:00:00Z"),
        ("2024-05-22T12:00:00.123Z", "2024-05-22T12:00:00.123000Z"),
        ("2024-05-22t12:00:00Z", "2024-05-22T12:00:00Z"),
    ],
    ids=["z", "utc-offset", "plus-offset", "minus-offset-next-day", "naive", "space", "minutes", "millis", "lowercase"],
)
def test_normalize_created_at_date_time_returns_utc_z(value: str, normalized: str) -> None:
    assert normalize_created_at(value) == normalized


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-22",
        "yesterday",
        "",
        "1716379200",
        "2024-13-01T00:00:00Z",
        "2024-05-22T25:00:00Z",
        "2024-05-22X12:00:00Z",
        "22/05/2024 12:00:00",
        "2024-05-22T12:00:00+25:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
    ],
    ids=[
        "date-only",
        "word",
        "empty",
        "epoch",
        "month-13",
        "hour-25",
        "bad-separator",
        "european",
        "bad-offset",
        "before-year-1-in-utc",
        "after-year-9999-in-utc",
    ],
)
def test_normalize_created_at_not_a_date_time_raises(value: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601 date-time"):
        normalize_created_at(value)


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ("x", 0), (None, 0), ([], 1), ({}, 1), ([1, [2]], 2), ({"a": {"b": {"c": 1}}}, 3), ([[], [[[]]]], 4)],
)
def test_nesting_depth_counts_levels_of_objects_and_lists(value: object, depth: int) -> None:
    assert nesting_depth(value) == depth


def test_nesting_depth_very_deep_value_counts_without_recursion_error() -> None:
    # Given a list nested far beyond Python's recursion limit
    value: list[object] = []
    for _ in range(5000):
        value = [value]
    # When / Then
    assert nesting_depth(value) == 5001


@pytest.mark.parametrize("value", ["new-comment", "-lead", "_x", "a", "0" * 255, "a-_-b"])
def test_check_workflow_key_lowercase_digits_dash_underscore_anywhere_returns_it(value: str) -> None:
    assert check_workflow_key(value) == value


@pytest.mark.parametrize("value", ["", "New", "a b", "x" * 256, "new-comment\n", "a.b", "caf\u00e9"])
def test_check_workflow_key_other_characters_or_lengths_raise(value: str) -> None:
    with pytest.raises(ValueError, match="lowercase letters"):
        check_workflow_key(value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": "ok", "b": ["x", {"c": "\\udc00"}]}', "b.1.c"),
        ('{"a": {"\\ud800": 1}}', "a"),
        ('{"\\udfff": 1}', ""),
        ('{"a": ' * 500 + '"\\udc00"' + "}" * 500, ".".join(["a"] * 500)),
    ],
    ids=["nested-value", "nested-key", "top-level-key", "500-deep"],
)
def test_find_unpaired_surrogate_names_where_it_is(text: str, where: str) -> None:
    found = find_unpaired_surrogate(jsontext.loads(text))
    assert found is not None
    assert found[0] == where
    assert "unpaired surrogate" in found[1]


@pytest.mark.parametrize("text", ['{"emoji": "\\ud83d\\ude00", "n": 1e400}', '"plain"', "[]", '{"a": "\\u00e9"}'])
def test_find_unpaired_surrogate_of_valid_unicode_is_none(text: str) -> None:
    assert find_unpaired_surrogate(jsontext.loads(text)) is None


def test_printable_replaces_each_unpaired_surrogate_only() -> None:
    assert printable("a\udc00b\ud83d") == "a\ufffdb\ufffd"
    assert printable("caf\u00e9 \U0001f600") == "caf\u00e9 \U0001f600"
