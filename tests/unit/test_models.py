"""The wire models: what an identify body may hold, and how a user is written back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from recipients.identity.models import PageInfo, RecipientIdPath
from recipients.kernel import jsontext
from recipients.users.models import User, UserPage
from recipients.users.requests import IdentifyUserRequest


def identify_request(text: str) -> IdentifyUserRequest:
    """Parse a body the way the resolver does: exact JSON, then the model."""
    return IdentifyUserRequest.model_validate(jsontext.loads(text))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": ["Ada"]}, "name"),
        ({"email": 5}, "email"),
        ({"phone_number": 14155550123}, "phone_number"),
        ({"avatar": {"url": "https://example.com/a.png"}}, "avatar"),
        ({"timezone": 0}, "timezone"),
        ({"locale": True}, "locale"),
        ({"created_at": 1716379200}, "created_at"),
        ({"id": 123}, "id"),
        ({"channel_data": []}, "channel_data"),
        ({"preferences": "all"}, "preferences"),
    ],
)
def test_identify_request_non_string_for_string_field_is_rejected(body: dict[str, Any], field: str) -> None:
    # strict: a number is never coerced into a string (nor a string into a number)
    with pytest.raises(ValidationError) as caught:
        IdentifyUserRequest.model_validate(body)
    assert {error["loc"][0] for error in caught.value.errors()} == {field}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone_number": "12345"}, "phone_number"),
        ({"avatar": "javascript:alert(1)"}, "avatar"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"locale": "english"}, "locale"),
        ({"created_at": "2024-05-22"}, "created_at"),
        ({"id": "a#b"}, "id"),
    ],
)
def test_identify_request_broken_rule_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IdentifyUserRequest.model_validate(body)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_reserved_sent_includes_explicit_nulls_but_not_absent_fields() -> None:
    request = identify_request('{"name": null, "email": "ada@example.com", "plan": "pro"}')
    assert request.reserved_sent() == {"name": None, "email": "ada@example.com"}


def test_reserved_sent_created_at_is_normalized_to_utc() -> None:
    request = identify_request('{"created_at": "2024-05-22T14:00:00+02:00"}')
    assert request.reserved_sent() == {"created_at": "2024-05-22T12:00:00Z"}


def test_identify_request_read_only_fields_are_ignored() -> None:
    # Given a body that echoes what GET returned
    request = identify_request('{"__typename": "User", "updated_at": "2024-05-22T12:00:00Z", "plan": "pro"}')
    # Then neither __typename nor updated_at becomes a property
    assert request.custom_properties() == {"plan": "pro"}
    assert request.reserved_sent() == {}


def test_custom_properties_hold_every_other_key_exactly() -> None:
    request = identify_request(
        '{"name": "Ada", "id": "u1", "channel_data": {"c": {}}, "preferences": {"default": {}},'
        ' "plan": "pro", "score": 0.1000000000000000055511151231257827, "big": 18446744073709551617,'
        ' "nested": {"a": [1, {"b": null}]}, "empty": ""}'
    )
    assert request.custom_properties() == {
        "plan": "pro",
        "score": Decimal("0.1000000000000000055511151231257827"),
        "big": 18446744073709551617,
        "nested": {"a": [1, {"b": None}]},
        "empty": "",
    }


def test_identify_request_channel_data_and_preferences_are_kept_apart() -> None:
    request = identify_request('{"channel_data": {"c1": {"tokens": ["t"]}}, "preferences": {"default": {"x": 1}}}')
    assert request.channel_data == {"c1": {"tokens": ["t"]}}
    assert request.preferences == {"default": {"x": 1}}
    assert request.custom_properties() == {}


def test_user_to_json_writes_reserved_fields_then_custom_keys_in_order() -> None:
    user = User.model_validate(
        {
            "id": "user_123",
            "updated_at": "2024-05-22T12:00:00Z",
            "email": "ada@example.com",
            "zeta": 1,
            "alpha": {"b": [0.10]},
        }
    )
    assert user.to_json() == (
        '{"__typename":"User","id":"user_123","name":null,"email":"ada@example.com","avatar":null,'
        '"phone_number":null,"timezone":null,"locale":null,"created_at":null,'
        '"updated_at":"2024-05-22T12:00:00Z","zeta":1,"alpha":{"b":[0.1]}}'
    )


def test_user_to_json_keeps_exact_numbers() -> None:
    user = User.model_validate(
        {
            "id": "u",
            "updated_at": "2024-05-22T12:00:00Z",
            "score": Decimal("0.1000000000000000055511151231257827"),
            "huge": Decimal("1E+400"),
            "big": 2**70,
        }
    )
    wire = json.loads(user.to_json(), parse_float=Decimal)
    assert (wire["score"], wire["huge"], wire["big"]) == (
        Decimal("0.1000000000000000055511151231257827"),
        Decimal("1E+400"),
        2**70,
    )


def test_user_model_reads_its_own_json() -> None:
    user = User.model_validate({"id": "u", "updated_at": "2024-05-22T12:00:00Z", "plan": "pro"})
    again = User.model_validate_json(user.to_json())
    assert again.to_wire() == user.to_wire()
    assert again.typename == "User"


def test_user_page_to_json_writes_entries_and_page_info() -> None:
    page = UserPage(
        entries=[User.model_validate({"id": "u", "updated_at": "2024-05-22T12:00:00Z"})],
        page_info=PageInfo(after="abc", before=None, page_size=1),
    )
    body = json.loads(page.to_json())
    assert body["page_info"] == {"__typename": "PageInfo", "after": "abc", "before": None, "page_size": 1}
    assert [entry["id"] for entry in body["entries"]] == ["u"]


@pytest.mark.parametrize(("raw", "decoded"), [("user_123", "user_123"), ("a%20b", "a b"), ("%2541", "%41")])
def test_recipient_id_path_decodes_then_validates(raw: str, decoded: str) -> None:
    assert TypeAdapter(RecipientIdPath).validate_python(raw) == decoded


@pytest.mark.parametrize("raw", ["a%23b", "a%2Fb", "%20", "%FF", "a" * 257])
def test_recipient_id_path_invalid_after_decoding_is_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(RecipientIdPath).validate_python(raw)
