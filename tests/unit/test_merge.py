"""The shallow-merge rule as an update plan: exactly the keys sent, each as its own JSON text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from recipients.identity.identify import plan_identify
from recipients.kernel import jsontext
from recipients.kernel.errors import ErrorKind, FieldError, RecipientsError
from recipients.kernel.rules import MAX_PROPERTIES_BYTES
from recipients.users.requests import IdentifyUserRequest

C1 = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"


def channel(number: int) -> str:
    return f"{number:08d}-0000-4000-8000-000000000000"


def plan(body: str) -> dict[str, str]:
    return plan_identify(IdentifyUserRequest.model_validate(jsontext.loads(body))).attributes


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def custom_properties_of_size(size: int, keys: int = 1) -> dict[str, str]:
    """Custom properties whose compact JSON object is exactly `size` UTF-8 bytes."""
    values = {f"k{i}": "" for i in range(keys)}
    filler = size - len(json.dumps(values, separators=(",", ":")).encode())
    values[f"k{keys - 1}"] = "x" * filler
    assert len(json.dumps(values, separators=(",", ":")).encode()) == size
    return values


@pytest.mark.parametrize(
    ("body", "attributes"),
    [
        ("{}", {}),
        ('{"name": "Ada"}', {"prop:name": '"Ada"'}),
        ('{"email": null}', {"prop:email": "null"}),
        ('{"name": "Ada", "locale": null}', {"prop:name": '"Ada"', "prop:locale": "null"}),
        ('{"created_at": "2024-05-22T14:00:00+02:00"}', {"prop:created_at": '"2024-05-22T12:00:00Z"'}),
        ('{"plan": "pro"}', {"prop:plan": '"pro"'}),
        ('{"prefs": {"theme": "dark"}}', {"prop:prefs": '{"theme":"dark"}'}),
        ('{"tags": []}', {"prop:tags": "[]"}),
        ('{"gone": null}', {"prop:gone": "null"}),
        ('{"score": 0.1000000000000000055511151231257827}', {"prop:score": "0.1000000000000000055511151231257827"}),
        ('{"id": "user_123", "name": "Ada"}', {"prop:name": '"Ada"'}),
        ('{"__typename": "User", "updated_at": "2024-05-22T12:00:00Z"}', {}),
        ('{"": 1, "a.b": 2, "#x": 3, ":v": 4}', {"prop:": "1", "prop:a.b": "2", "prop:#x": "3", "prop::v": "4"}),
    ],
    ids=[
        "empty",
        "reserved",
        "reserved-null",
        "reserved-mix",
        "created-at-normalized",
        "custom",
        "custom-object",
        "custom-empty-list",
        "custom-null",
        "exact-number",
        "id-not-a-property",
        "read-only-ignored",
        "odd-key-names",
    ],
)
def test_plan_identify_sets_only_the_keys_sent(body: str, attributes: dict[str, str]) -> None:
    assert plan(body) == attributes


def test_plan_identify_channel_data_and_preferences_go_to_their_own_prefixes() -> None:
    body = {
        "channel_data": {C1: {"tokens": ["t1"]}},
        "preferences": {"default": {"channel_types": {"email": True}}, "t1": {"__persistence_strategy__": "replace"}},
    }
    planned = plan_identify(IdentifyUserRequest.model_validate(body))
    assert planned.attributes == {
        f"chan:{C1}": '{"tokens":["t1"],"devices":[{"token":"t1","locale":null,"timezone":null}]}',
        "pref:t1": "{}",
    }
    assert planned.edits == {"pref:default": [{"at": [], "merge": {"channel_types": {"email": True}}}]}


def test_plan_identify_channel_data_never_becomes_a_property() -> None:
    attributes = plan(
        '{"name": "Ada", "channel_data": {"7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11": {}}, "preferences": {"default": {}}}'
    )
    assert [name for name in attributes if name.startswith("prop:")] == ["prop:name"]


@pytest.mark.parametrize("keys", [1, 3, 40])
def test_plan_identify_custom_properties_exactly_at_limit_are_accepted(keys: int) -> None:
    body = custom_properties_of_size(MAX_PROPERTIES_BYTES, keys)
    attributes = plan_identify(IdentifyUserRequest.model_validate(body)).attributes
    assert sorted(attributes) == sorted(f"prop:{key}" for key in body)


@pytest.mark.parametrize("keys", [1, 3, 40])
def test_plan_identify_custom_properties_one_byte_over_limit_raise_too_large(keys: int) -> None:
    body = custom_properties_of_size(MAX_PROPERTIES_BYTES + 1, keys)
    with pytest.raises(RecipientsError) as caught:
        plan_identify(IdentifyUserRequest.model_validate(body))
    assert caught.value.kind is ErrorKind.INVALID
    assert caught.value.code == "properties_too_large"
    assert [error.field for error in caught.value.errors] == ["properties"]


def test_plan_identify_size_is_counted_in_utf8_bytes() -> None:
    # Given 2-byte characters: under the limit in characters, one byte over it in UTF-8
    overhead = len('{"k":""}')
    body = {"k": "é" * ((MAX_PROPERTIES_BYTES - overhead) // 2) + "x"}
    assert len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()) == MAX_PROPERTIES_BYTES + 1
    with pytest.raises(RecipientsError) as caught:
        plan_identify(IdentifyUserRequest.model_validate(body))
    assert caught.value.code == "properties_too_large"


def test_plan_identify_reserved_properties_do_not_count_toward_custom_limit() -> None:
    body = {"name": "x" * 1000, **custom_properties_of_size(MAX_PROPERTIES_BYTES)}
    assert "prop:name" in plan_identify(IdentifyUserRequest.model_validate(body)).attributes


def test_plan_identify_custom_value_100_deep_is_accepted() -> None:
    attributes = plan_identify(IdentifyUserRequest.model_validate({"deep": nested(100)})).attributes
    assert attributes == {"prop:deep": "[" * 100 + "1" + "]" * 100}


def test_plan_identify_custom_value_deeper_than_100_is_invalid_naming_the_key() -> None:
    with pytest.raises(RecipientsError) as caught:
        plan_identify(IdentifyUserRequest.model_validate({"ok": 1, "deep": nested(101)}))
    assert caught.value.kind is ErrorKind.INVALID
    assert caught.value.code == "invalid_params"
    assert caught.value.errors == [FieldError("deep", "is nested more than 100 levels deep")]


@pytest.mark.parametrize("group", ["channel_data", "preferences"])
def test_plan_identify_group_value_deeper_than_100_is_invalid_naming_the_group(group: str) -> None:
    with pytest.raises(RecipientsError) as caught:
        plan_identify(IdentifyUserRequest.model_validate({group: {C1: {"v": nested(100)}}}))
    assert [error.field for error in caught.value.errors] == [f"{group}.{C1}"]


def test_plan_identify_250_keys_across_groups_are_accepted() -> None:
    body = {f"p{i}": i for i in range(240)} | {"channel_data": {channel(i): {} for i in range(5)}}
    body |= {"preferences": {f"s{i}": {} for i in range(5)}}
    planned = plan_identify(IdentifyUserRequest.model_validate(body))
    assert (len(planned.attributes), len(planned.edits)) == (245, 5)


def test_plan_identify_more_than_250_keys_is_invalid_naming_properties() -> None:
    body = {f"p{i}": i for i in range(240)} | {"channel_data": {channel(i): {} for i in range(11)}}
    with pytest.raises(RecipientsError) as caught:
        plan_identify(IdentifyUserRequest.model_validate(body))
    assert [error.field for error in caught.value.errors] == ["properties"]


def test_recipients_error_invalid_summarizes_at_most_five_fields() -> None:
    error = RecipientsError.invalid([FieldError(f"f{i}", "bad") for i in range(7)])
    assert error.message == "f0: bad; f1: bad; f2: bad; f3: bad; f4: bad; and 2 more"
    assert len(error.errors) == 7
