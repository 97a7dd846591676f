"""Preference sets, through the use cases the handlers call, against moto: replace, deep merge, granular sets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from recipients.identity.edits import apply_edits, merge_edit, set_edit
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import RecipientsError
from recipients.preferences import service
from recipients.preferences.models import PreferenceSetRequest
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store

USER = RecipientRef(id="user_1")
PROJECT = RecipientRef(id="p1", collection="projects")
CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
CONDITION = {"variable": "recipient.country_code", "operator": "equal_to", "argument": "US"}
EMPTY = {"categories": None, "channel_types": None, "channels": None, "workflows": None, "commercial_subscribed": None}


def put(recipient: RecipientRef, body: dict[str, Any], set_id: str = "default") -> dict[str, Any]:
    return service.set_preference_set(recipient, set_id, PreferenceSetRequest.model_validate(body))


def identify(user_id: str, body: dict[str, Any]) -> None:
    identify_user(user_id, check_identify_user(user_id, IdentifyUserRequest.model_validate(body)))


def test_a_set_never_written_reads_as_an_empty_set(recipients_table: str, dynamodb_requests: list[str]) -> None:
    assert service.get_preference_set(USER, "default") == {"__typename": "PreferenceSet", "id": "default", **EMPTY}
    assert service.list_preference_sets(USER) == []
    assert dynamodb_requests == ["GetItem", "GetItem"]


def test_replace_stores_exactly_the_set_sent_and_is_one_request(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    body = {
        "channel_types": {"email": True, "sms": {"conditions": [CONDITION]}, "__strategy__": "replace"},
        "channels": {CHANNEL: False},
        "workflows": {"new-comment": {"channel_types": {"push": False}, "__strategy__": "merge"}},
        "commercial_subscribed": None,
    }
    answer = put(USER, body)
    assert answer == {"__typename": "PreferenceSet", "id": "default", **EMPTY, **body}
    assert service.get_preference_set(USER, "default") == answer
    assert dynamodb_requests == ["UpdateItem", "GetItem"]


def test_replace_drops_what_the_new_set_leaves_out(recipients_table: str) -> None:
    put(USER, {"channel_types": {"email": False}, "workflows": {"digest": False}})
    put(USER, {"workflows": {"other": True}})
    assert service.get_preference_set(USER, "default") == {
        "__typename": "PreferenceSet",
        "id": "default",
        **EMPTY,
        "workflows": {"other": True},
    }


def test_merge_deep_merges_into_the_stored_set_in_two_requests(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    put(USER, {"channel_types": {"email": False}, "workflows": {"digest": {"channel_types": {"sms": False}}}})
    dynamodb_requests.clear()
    merged = put(
        USER,
        {
            "__persistence_strategy__": "merge",
            "channel_types": {"push": True},
            "workflows": {"digest": {"channel_types": {"email": True}}, "new-comment": False},
        },
    )
    assert dynamodb_requests == ["GetItem", "UpdateItem"]
    assert merged["channel_types"] == {"email": False, "push": True}
    assert merged["workflows"] == {"digest": {"channel_types": {"sms": False, "email": True}}, "new-comment": False}
    assert service.get_preference_set(USER, "default") == merged


def test_merge_into_nothing_creates_the_set_and_the_recipient(recipients_table: str) -> None:
    merged = put(PROJECT, {"__persistence_strategy__": "merge", "categories": {"marketing": False}}, "tenant_acme")
    assert merged["categories"] == {"marketing": False}
    assert [entry["id"] for entry in service.list_preference_sets(PROJECT)] == ["tenant_acme"]


@pytest.mark.parametrize(
    ("stored", "edits", "result"),
    [
        ({"a": {"b": 1, "c": 2}}, [merge_edit({"a": {"c": 3}})], {"a": {"b": 1, "c": 3}}),
        ({"a": {"b": 1}}, [merge_edit({"a": False})], {"a": False}),  # another type: the incoming value wins
        ({"a": False}, [merge_edit({"a": {"b": 1}})], {"a": {"b": 1}}),
        ({"a": [1, 2]}, [merge_edit({"a": [3]})], {"a": [3]}),  # lists are leaves
        ({"a": 1}, [merge_edit({"a": None})], {"a": None}),  # null is stored, not a removal
        (None, [set_edit(True, ["channel_types", "sms"])], {"channel_types": {"sms": True}}),
        ({"workflows": {"w": {"x": 1}}}, [set_edit(False, ["workflows", "w"])], {"workflows": {"w": False}}),
        ({"a": True}, [set_edit(1, ["a", "b"])], {"a": {"b": 1}}),
        ({"a": 1}, [merge_edit({"b": 2}), set_edit({"c": 3}, [])], {"c": 3}),
    ],
)
def test_edits_apply_in_order(stored: Any, edits: list[dict[str, Any]], result: dict[str, Any]) -> None:
    assert apply_edits(stored, edits) == result


def test_granular_sets_replace_only_their_part(recipients_table: str) -> None:
    put(USER, {"channel_types": {"email": False, "sms": True}, "workflows": {"a": True, "b": False}})
    service.set_channel_type(USER, "default", "push", False)
    assert service.get_preference_set(USER, "default")["channel_types"] == {"email": False, "sms": True, "push": False}
    service.set_channel_types(USER, "default", {"chat": True})
    service.set_keyed_setting(USER, "default", "workflows", "a", {"subscribed": False})
    service.set_keyed_setting(USER, "default", "workflows", "c", {"channel_types": {"email": True}})
    service.set_keyed_settings(USER, "default", "categories", {"marketing": {"conditions": [CONDITION]}})
    preference_set = service.get_preference_set(USER, "default")
    assert preference_set["channel_types"] == {"chat": True}
    assert preference_set["workflows"] == {"a": False, "b": False, "c": {"channel_types": {"email": True}}}
    assert preference_set["categories"] == {"marketing": {"conditions": [CONDITION]}}


def test_granular_set_with_a_bad_setting_names_it_and_writes_nothing(
    recipients_table: str, stored_items: Callable[[], list[dict[str, Any]]]
) -> None:
    for call, field in (
        (lambda: service.set_channel_types(USER, "default", {"fax": True}), "channel_types"),
        (lambda: service.set_channel_type(USER, "default", "fax", True), "channel_type"),
        (lambda: service.set_keyed_settings(USER, "default", "workflows", {"w": "on"}), "workflows.w"),
        (lambda: service.set_keyed_setting(USER, "default", "categories", "c", {"subscribed": 1}), "categories.c"),
    ):
        with pytest.raises(RecipientsError) as caught:
            call()
        assert field in [error.field for error in caught.value.errors]
    assert stored_items() == []


def test_unset_removes_the_set_and_is_idempotent(recipients_table: str, dynamodb_requests: list[str]) -> None:
    put(USER, {"commercial_subscribed": False})
    put(USER, {"commercial_subscribed": True}, "tenant_acme")
    dynamodb_requests.clear()
    service.unset_preference_set(USER, "default")
    service.unset_preference_set(USER, "default")
    assert dynamodb_requests == ["UpdateItem", "UpdateItem"]
    assert [entry["id"] for entry in service.list_preference_sets(USER)] == ["tenant_acme"]


def test_sets_are_listed_default_first_then_by_id(recipients_table: str) -> None:
    for set_id in ("tenant_b", "default", "tenant_a"):
        put(USER, {"commercial_subscribed": True}, set_id)
    assert [entry["id"] for entry in service.list_preference_sets(USER)] == ["default", "tenant_a", "tenant_b"]


def test_inline_preferences_deep_merge_unless_they_say_replace(recipients_table: str) -> None:
    put(USER, {"channel_types": {"email": False}, "workflows": {"w": False}})
    identify("user_1", {"preferences": {"default": {"channel_types": {"sms": False}}}})
    assert service.get_preference_set(USER, "default")["channel_types"] == {"email": False, "sms": False}
    identify("user_1", {"preferences": {"default": {"__persistence_strategy__": "replace", "workflows": {"x": True}}}})
    assert service.get_preference_set(USER, "default")["channel_types"] is None
    assert service.get_preference_set(USER, "default")["workflows"] == {"x": True}


def test_identify_with_inline_preferences_reads_then_writes_conditionally(
    recipients_table: str, dynamodb_requests: list[str]
) -> None:
    identify("user_1", {"name": "Ada", "preferences": {"default": {"channel_types": {"sms": False}}}})
    assert dynamodb_requests == ["UpdateItem", "GetItem", "UpdateItem"]
    dynamodb_requests.clear()
    identify("user_1", {"name": "Ada"})
    assert dynamodb_requests == ["UpdateItem"]  # without preferences identify stays one request


def test_preferences_never_show_on_the_user_but_list_with_include(recipients_table: str) -> None:
    identify("user_1", {"name": "Ada", "preferences": {"default": {"commercial_subscribed": False}}})
    user = get_user_store().get_user("user_1")
    assert user is not None
    assert "preferences" not in user.to_wire()
    [plain] = get_user_store().list_users(10).entries
    [listed] = get_user_store().list_users(10, preferences=True).entries
    assert "preferences" not in plain.to_wire()
    assert listed.to_wire()["preferences"] == {
        "default": {"__typename": "PreferenceSet", "id": "default", **EMPTY, "commercial_subscribed": False}
    }
