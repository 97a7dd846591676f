"""PUT /v1/users/{user_id}: the identify handler with events/identify*.json, against moto.

Every rejection must be a 4xx Knock-shaped error that names the field, and must write nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from functions.get.app import lambda_handler as get_handler
from functions.identify.app import lambda_handler
from recipients.users.models import User
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body, json_lines

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys

Items = Callable[[], list[dict[str, Any]]]
StoredUser = Callable[[str], dict[str, Any] | None]


def test_identify_new_user_returns_200_and_the_user(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("identify"), lambda_context)
    assert response["statusCode"] == 200
    body = json_body(response)
    assert User.model_validate(body).updated_at == body.pop("updated_at")
    assert body == {
        "__typename": "User",
        "id": "user_123",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "avatar": None,
        "phone_number": "+447700900123",
        "timezone": "Europe/London",
        "locale": "en-GB",
        "created_at": None,
        "plan": "pro",
        "prefs": {"theme": "dark"},
    }


def test_identify_new_user_writes_one_item_with_each_property(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    stored_items: Items,
    stored_user: StoredUser,
    dynamodb_requests: list[str],
) -> None:
    lambda_handler(load_event("identify"), lambda_context)
    assert dynamodb_requests == ["UpdateItem"]
    assert len(stored_items()) == 1
    item = stored_user("user_123")
    assert item is not None
    assert {name: value["S"] for name, value in item.items() if name.startswith("prop:")} == {
        "prop:name": '"Ada Lovelace"',
        "prop:email": '"ada@example.com"',
        "prop:phone_number": '"+447700900123"',
        "prop:timezone": '"Europe/London"',
        "prop:locale": '"en-GB"',
        "prop:plan": '"pro"',
        "prop:prefs": '{"theme":"dark"}',
    }


def test_identify_response_carries_request_id_header(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    event = load_event("identify")
    response = lambda_handler(event, lambda_context)
    assert response["headers"]["x-request-id"] == event["requestContext"]["requestId"]


def test_identify_existing_user_merges_shallowly(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    # Given the sample user
    lambda_handler(load_event("identify"), lambda_context)
    # When only some keys are sent, one of them a nested object
    response = lambda_handler(load_event("identify", body={"prefs": {"lang": "en"}, "email": None}), lambda_context)
    # Then those keys are replaced whole and every other key is kept
    body = json_body(response)
    assert response["statusCode"] == 200
    assert (body["name"], body["email"], body["plan"], body["prefs"]) == ("Ada Lovelace", None, "pro", {"lang": "en"})


def test_identify_numbers_are_returned_digit_for_digit(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    # Given numbers whose text a Decimal or a float would rewrite (1e400 as 1E+400, 0e5 as 0E+5, -0 as 0)
    text = (
        '{"score":0.1000000000000000055511151231257827,"huge":1e400,"big":18446744073709551617,"neg":-0.0,'
        '"zero_exp":0e5,"neg_int_zero":-0,"trailing":2.50,"upper":1E-7}'
    )
    # When they are identified, and read back
    response = lambda_handler(load_event("identify", body=text), lambda_context)
    fetched = get_handler(load_event("get"), lambda_context)
    # Then both answers carry each number's text exactly as sent
    assert response["statusCode"] == 200
    assert response["body"].endswith(text[1:])
    assert fetched["body"].endswith(text[1:])


def test_identify_created_at_with_offset_is_stored_in_utc(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("identify", body={"created_at": "2024-05-22T14:00:00+02:00"}), lambda_context)
    assert json_body(response)["created_at"] == "2024-05-22T12:00:00Z"


def test_identify_body_id_equal_to_path_id_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("identify", body={"id": "user_123", "plan": "pro"}), lambda_context)
    assert response["statusCode"] == 200
    assert json_body(response)["id"] == "user_123"


@pytest.mark.parametrize(
    "user_id", ["a" * 256, "Ada Lovelace", "ünï✓", "a+b", "a%41", "user@example.com"], ids=lambda v: v[:8]
)
def test_identify_percent_encoded_valid_id_is_decoded_once_and_stored_as_given(
    load_event: EventLoader, lambda_context: FakeLambdaContext, stored_user: StoredUser, user_id: str
) -> None:
    response = lambda_handler(load_event("identify", path={"user_id": user_id}, body={}), lambda_context)
    assert response["statusCode"] == 200
    assert json_body(response)["id"] == user_id
    assert stored_user(user_id) is not None


@pytest.mark.parametrize(
    ("user_id", "reason"),
    [
        (" ", "must not be blank"),
        ("   ", "must not be blank"),
        ("a" * 257, "at most 256 characters"),
        ("a/b", "must not contain '/'"),
        ("a#b", "must not contain '#'"),
        ("a\x00b", "control characters"),
        ("a\nb", "control characters"),
    ],
    ids=["blank", "whitespace", "257-chars", "slash", "hash", "nul", "newline"],
)
def test_identify_invalid_id_in_path_returns_422_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    user_id: str,
    reason: str,
) -> None:
    response = lambda_handler(load_event("identify", path={"user_id": user_id}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["user_id"]
    assert reason in body["errors"][0]["message"]
    nothing_written()


@pytest.mark.parametrize("raw_path", ["/v1/users/%FF", "/v1/users/a%C3", "/v1/users/%ED%A0%80"])
def test_identify_id_not_utf8_after_decoding_returns_422_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], raw_path: str
) -> None:
    response = lambda_handler(load_event("identify", path=raw_path), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert body["errors"] == [{"field": "user_id", "message": "is not valid percent-encoded UTF-8"}]
    nothing_written()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "ada@"),
        ("email", 5),
        ("email", ["ada@example.com"]),
        ("phone_number", "12345"),
        ("phone_number", "+0123456"),
        ("phone_number", "+1234567890123456"),
        ("phone_number", 14155550123),
        ("avatar", "javascript:alert(1)"),
        ("avatar", "ftp://example.com/a.png"),
        ("avatar", "/avatars/a.png"),
        ("avatar", True),
        ("timezone", "Mars/Base"),
        ("timezone", "america/new_york"),
        ("timezone", 0),
        ("locale", "english language"),
        ("locale", 5),
        ("name", 5),
        ("name", {"first": "Ada"}),
        ("created_at", "yesterday"),
        ("created_at", "2024-05-22"),
        ("created_at", "2024-13-01T00:00:00Z"),
        ("created_at", 1716379200),
        ("id", 123),
        ("id", "a#b"),
        ("channel_data", ["ch_1"]),
        ("channel_data", "x"),
        ("preferences", []),
    ],
)
def test_identify_reserved_property_wrong_returns_422_naming_it_and_writes_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    field: str,
    value: Any,
) -> None:
    response = lambda_handler(load_event("identify", body={"name": "Ada", field: value}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == [field]
    assert body["message"].startswith(f"{field}: ")
    nothing_written()


def test_identify_wrong_nested_channel_data_names_the_path(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    channel = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
    response = lambda_handler(load_event("identify", body={"channel_data": {channel: 1}}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == [f"channel_data.{channel}"]
    nothing_written()


def test_identify_invalid_sample_reports_every_bad_field(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    response = lambda_handler(load_event("identify_invalid"), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert sorted(error_fields(body)) == ["email", "phone_number"]
    assert "email: must be a valid email address" in body["message"]
    nothing_written()


def test_identify_body_id_different_from_path_returns_422_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    response = lambda_handler(load_event("identify", body={"id": "someone_else", "name": "Ada"}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["id"]
    nothing_written()


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        ({"name": "Ada", "blob": "x" * (256 * 1024)}, "properties_too_large", "256 KiB"),
        ({f"k{i}": i for i in range(251)}, "invalid_params", "at most 250"),
    ],
    ids=["over-256-kib", "over-250-keys"],
)
def test_identify_properties_over_a_limit_return_422_naming_properties_and_write_nothing(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    body: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    response = lambda_handler(load_event("identify", body=body), lambda_context)
    error = assert_knock_error(response, 422, code)
    assert error_fields(error) == ["properties"]
    assert reason in error["message"]
    nothing_written()


def test_identify_custom_property_nested_over_100_deep_returns_422_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    text = '{"ok": 1, "deep": ' + "[" * 101 + "]" * 101 + "}"
    response = lambda_handler(load_event("identify", body=text), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["deep"]
    nothing_written()


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"name": "Ada",}',
        "{'name': 'Ada'}",
        '{"a": 01}',
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": ' + "1" * 5000 + "}",
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",  # Python 3.13's parser takes 5,000 levels (then a 422)
    ],
    ids=["truncated", "trailing-comma", "single-quotes", "leading-zero", "nan", "inf", "-inf", "5000-digits", "deep"],
)
def test_identify_malformed_json_returns_400_invalid_json_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], text: str
) -> None:
    response = lambda_handler(load_event("identify", body=text), lambda_context)
    body = assert_knock_error(response, 400, "invalid_json")
    assert body["message"].startswith("the body is not valid JSON")
    nothing_written()


@pytest.mark.parametrize("text", ["[]", '"x"', "1", "true", "null", ""])
def test_identify_body_not_an_object_returns_422_naming_the_body(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], text: str
) -> None:
    response = lambda_handler(load_event("identify", body=text), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["body"]
    nothing_written()


def test_identify_array_of_objects_body_returns_422_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    # Powertools alone would take the first element of a list body and drop the rest
    response = lambda_handler(load_event("identify", body=[{"name": "Ada"}, {"plan": "pro"}]), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert body["errors"] == [{"field": "body", "message": "must be a JSON object"}]
    nothing_written()


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
)
def test_identify_json_sent_as_another_media_type_returns_415_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], content_type: str
) -> None:
    # Powertools alone would parse form and multipart bodies and store junk properties
    event = load_event("identify", body={"name": "Ada"}, headers={"content-type": content_type})
    response = lambda_handler(event, lambda_context)
    assert_knock_error(response, 415, "unsupported_media_type")
    assert response["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    nothing_written()


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_identify_created_at_out_of_range_in_utc_returns_422_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], created_at: str
) -> None:
    response = lambda_handler(load_event("identify", body={"created_at": created_at}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["created_at"]
    nothing_written()


def test_identify_base64_body_not_utf8_returns_400_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None]
) -> None:
    event = load_event("identify")
    event["body"] = base64.b64encode(b'{"name": "\xff\xfe"}').decode()
    event["isBase64Encoded"] = True
    response = lambda_handler(event, lambda_context)
    body = assert_knock_error(response, 400, "invalid_json")
    assert "UTF-8" in body["message"]
    nothing_written()


def test_identify_base64_utf8_body_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    event = load_event("identify")
    event["body"] = base64.b64encode('{"name": "Zoë"}'.encode()).decode()
    event["isBase64Encoded"] = True
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    assert json_body(response)["name"] == "Zoë"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/html; charset=utf-8"])
def test_identify_non_json_content_type_returns_415_and_writes_nothing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], content_type: str
) -> None:
    response = lambda_handler(load_event("identify", headers={"content-type": content_type}), lambda_context)
    assert_knock_error(response, 415, "unsupported_media_type")
    nothing_written()


def test_identify_json_content_type_with_charset_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    event = load_event("identify", headers={"content-type": "application/json; charset=utf-8"})
    assert lambda_handler(event, lambda_context)["statusCode"] == 200


def test_identify_without_idempotency_key_header_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    event = load_event("identify", headers={"idempotency-key": None})
    assert lambda_handler(event, lambda_context)["statusCode"] == 200


def test_identify_logs_property_names_and_id_but_no_personal_values(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    log_output: Callable[[], str],
) -> None:
    lambda_handler(load_event("identify"), lambda_context)
    output = log_output()
    identified = [line for line in json_lines(output) if line.get("message") == "user identified"]
    assert len(identified) == 1
    assert identified[0]["user_id"] == "user_123"
    assert "prop:email" in identified[0]["properties"]
    for personal in ("ada@example.com", "+447700900123", "Ada Lovelace", "sk_test_local"):
        assert personal not in output


def test_identify_emits_users_identified_metric(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    log_output: Callable[[], str],
) -> None:
    lambda_handler(load_event("identify"), lambda_context)
    metrics = [line for line in json_lines(log_output()) if "UsersIdentified" in line]
    assert [(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], line["UsersIdentified"]) for line in metrics] == [
        ("Recipients", [1.0])
    ]


def test_identify_rejection_logs_no_submitted_values(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    recipients_table: str,
    log_output: Callable[[], str],
) -> None:
    response = lambda_handler(load_event("identify_invalid"), lambda_context)
    assert response["statusCode"] == 422
    assert "not-an-email" not in response["body"]
    assert "not-an-email" not in log_output()


def test_identify_error_bodies_never_echo_the_submitted_value(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("identify", body={"email": "secret-value-not-an-email"}), lambda_context)
    assert response["statusCode"] == 422
    assert "secret-value" not in json.dumps(json_body(response))


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_identify_without_a_body_is_refused_alike_whatever_media_type_it_names(
    load_event: EventLoader, lambda_context: FakeLambdaContext, nothing_written: Callable[[], None], content_type: str
) -> None:
    # No body has no media type to refuse: the answer is the one for a missing body. Powertools
    # alone parses the missing body by the header, and multipart without a boundary raised (a 500).
    event = load_event("identify", body="", headers={"content-type": content_type})
    response = lambda_handler(event, lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert body["errors"] == [{"field": "body", "message": "is required: send a JSON object"}]
    nothing_written()
