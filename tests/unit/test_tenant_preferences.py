"""A recipient's preferences for a tenant (contract §2, "Evaluation hierarchy"), against moto: the
recipient's set for the tenant (the set whose id is the tenant id) over the tenant's defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.preferences.app import lambda_handler as preferences
from functions.tenants.app import lambda_handler as tenants
from recipients.identity.models import RecipientRef
from recipients.preferences import service
from recipients.preferences.hierarchy import merged_over
from recipients.preferences.models import PreferenceSetRequest
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("recipients_table", "idempotency_table")

USER = RecipientRef(id="user_1")
PROJECT = RecipientRef(id="p1", collection="projects")
EMPTY = {"categories": None, "channel_types": None, "channels": None, "workflows": None, "commercial_subscribed": None}
CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"

Call = Callable[..., dict[str, Any]]


@pytest.fixture
def call(load_event: EventLoader, lambda_context: FakeLambdaContext) -> Call:
    def run(handler: Any, sample: str, **variant: Any) -> dict[str, Any]:
        return handler(load_event(sample, **variant), lambda_context)

    return run


def put(recipient: RecipientRef, set_id: str, body: dict[str, Any]) -> None:
    service.set_preference_set(recipient, set_id, PreferenceSetRequest.model_validate(body))


def set_defaults(call: Call, tenant_id: str, preference_set: dict[str, Any] | None) -> None:
    body = {"settings": {"preference_set": preference_set}}
    response = call(tenants, "tenants_set", path={"tenant_id": tenant_id}, body=body)
    assert response["statusCode"] == 200, response["body"]


def get(call: Call, tenant: str, *, set_id: str = "default", user_id: str = "user_1") -> dict[str, Any]:
    response = call(
        preferences, "preferences_get", path={"user_id": user_id, "set_id": set_id}, query={"tenant": tenant}
    )
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def wire(set_id: str = "default", **keys: Any) -> dict[str, Any]:
    return {"__typename": "PreferenceSet", "id": set_id, **EMPTY, **keys}


def test_get_with_a_tenant_and_no_set_of_the_user_for_it_answers_the_tenant_defaults(call: Call) -> None:
    # Given the tenant's defaults, and a default set of the user's that a tenant-level set outranks
    set_defaults(call, "acme", {"channel_types": {"email": False}, "workflows": {"digest": False}})
    put(USER, "default", {"channel_types": {"email": True, "sms": True}})
    # When / Then
    assert get(call, "acme") == wire(channel_types={"email": False}, workflows={"digest": False})


def test_the_users_tenant_set_wins_key_by_key_over_the_tenant_defaults_at_every_depth(call: Call) -> None:
    set_defaults(
        call,
        "acme",
        {
            "channel_types": {"email": False, "sms": False},
            "channels": {CHANNEL: False},
            "workflows": {"new-comment": {"channel_types": {"email": False, "push": False}}, "digest": False},
            "categories": {"marketing": {"channel_types": {"sms": False}}},
            "commercial_subscribed": False,
        },
    )
    put(
        USER,
        "acme",
        {
            "channel_types": {"email": True},
            "workflows": {"new-comment": {"channel_types": {"push": True}, "channels": {CHANNEL: True}}},
            "categories": {"marketing": {"channel_types": {"email": False}}, "product": True},
        },
    )
    assert get(call, "acme") == wire(
        channel_types={"email": True, "sms": False},
        channels={CHANNEL: False},
        workflows={
            "new-comment": {"channel_types": {"email": False, "push": True}, "channels": {CHANNEL: True}},
            "digest": False,
        },
        categories={"marketing": {"channel_types": {"sms": False, "email": False}}, "product": True},
        commercial_subscribed=False,
    )


def test_get_with_a_tenant_is_one_batch_get_of_the_recipient_and_the_tenant(
    call: Call, dynamodb_requests: list[str]
) -> None:
    set_defaults(call, "acme", {"channel_types": {"email": False}})
    put(USER, "acme", {"channel_types": {"sms": False}})
    dynamodb_requests.clear()
    assert get(call, "acme")["channel_types"] == {"email": False, "sms": False}
    assert dynamodb_requests == ["BatchGetItem"]


def test_the_users_tenant_set_alone_answers_when_the_tenant_has_no_defaults(call: Call) -> None:
    set_defaults(call, "acme", None)
    put(USER, "acme", {"workflows": {"digest": False}})
    put(USER, "default", {"channel_types": {"email": False}})
    assert get(call, "acme") == wire(workflows={"digest": False})


def test_with_neither_tenant_level_set_the_requested_set_answers_as_without_a_tenant(call: Call) -> None:
    set_defaults(call, "acme", None)  # defaults set, then cleared: null is no set
    put(USER, "default", {"channel_types": {"email": False}})
    put(USER, "globex", {"channel_types": {"sms": False}})
    assert get(call, "acme") == wire(channel_types={"email": False})
    assert get(call, "acme") == json_body(
        call(preferences, "preferences_get", path={"user_id": "user_1", "set_id": "default"})
    )


def test_an_unknown_tenant_falls_back_to_the_requested_set_and_creates_nothing(
    call: Call, stored_items: Callable[[], list[dict[str, Any]]]
) -> None:
    put(USER, "default", {"workflows": {"digest": False}})
    assert get(call, "nobody") == wire(workflows={"digest": False})
    assert [item["pk"]["S"] for item in stored_items()] == ["user#user_1"]


def test_a_user_never_written_with_an_unknown_tenant_reads_as_an_empty_set(call: Call) -> None:
    assert get(call, "nobody", user_id="stranger") == wire()


def test_a_tenant_value_with_strategy_replace_wins_whole_over_the_users(call: Call) -> None:
    # The worked example of the per-tenant preferences guide
    set_defaults(
        call,
        "acme",
        {
            "categories": {
                "collaboration": {"__strategy__": "replace", "channel_types": {"email": False}},
                "project-updates": {"channel_types": {"email": False}},
            }
        },
    )
    put(
        USER,
        "acme",
        {
            "categories": {
                "collaboration": {"channel_types": {"email": True}},
                "project-updates": {"channel_types": {"email": True}},
            }
        },
    )
    assert get(call, "acme")["categories"] == {
        "collaboration": {"__strategy__": "replace", "channel_types": {"email": False}},
        "project-updates": {"channel_types": {"email": True}},
    }


def test_a_top_level_channel_types_with_strategy_replace_wins_whole(call: Call) -> None:
    set_defaults(call, "acme", {"channel_types": {"__strategy__": "replace", "email": False}})
    put(USER, "acme", {"channel_types": {"email": True, "sms": False}, "channels": {CHANNEL: False}})
    resolved = get(call, "acme")
    assert resolved["channel_types"] == {"__strategy__": "replace", "email": False}
    assert resolved["channels"] == {CHANNEL: False}


def test_strategy_merge_on_the_tenant_value_lets_the_user_win_again(call: Call) -> None:
    set_defaults(call, "acme", {"channel_types": {"__strategy__": "replace", "email": False}})
    set_defaults(call, "acme", {"channel_types": {"__strategy__": "merge"}})  # tenant sets deep-merge
    put(USER, "acme", {"channel_types": {"email": True}})
    assert get(call, "acme")["channel_types"] == {"__strategy__": "merge", "email": True}


def test_an_object_resolves_its_tenant_set_the_same_way(call: Call) -> None:
    set_defaults(call, "acme", {"channel_types": {"email": False, "push": False}})
    put(PROJECT, "acme", {"channel_types": {"push": True}})
    response = call(
        preferences,
        "preferences_objects_get",
        path={"collection": "projects", "object_id": "p1", "set_id": "default"},
        query={"tenant": "acme"},
    )
    assert response["statusCode"] == 200, response["body"]
    assert json_body(response) == wire(channel_types={"email": False, "push": True})


def test_the_answer_keeps_the_requested_set_id(call: Call) -> None:
    set_defaults(call, "acme", {"workflows": {"digest": False}})
    assert get(call, "acme", set_id="acme") == wire("acme", workflows={"digest": False})


@pytest.mark.parametrize("tenant", ["a#b", "a/b", "", "x" * 257])
def test_a_bad_tenant_id_is_a_422_naming_tenant_and_reads_nothing(
    call: Call, tenant: str, dynamodb_requests: list[str]
) -> None:
    response = call(
        preferences, "preferences_get", path={"user_id": "user_1", "set_id": "default"}, query={"tenant": tenant}
    )
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["tenant"]
    assert dynamodb_requests == []


@pytest.mark.parametrize(
    ("higher", "lower", "merged"),
    [
        ({"a": {"b": True}}, {"a": {"c": False}}, {"a": {"c": False, "b": True}}),
        ({"a": True}, {"a": {"c": False}}, {"a": True}),  # another type: the higher value wins
        ({"a": {"c": True}}, {"a": False}, {"a": {"c": True}}),
        ({"a": None}, {"a": {"c": False}}, {"a": {"c": False}}),  # null is unset
        ({"a": {"conditions": [1]}}, {"a": {"conditions": [2, 3]}}, {"a": {"conditions": [1]}}),  # lists replaced
        (
            {"a": {"b": True}},
            {"a": {"__strategy__": "replace", "c": False}},
            {"a": {"__strategy__": "replace", "c": False}},
        ),
        (
            {"a": {"__strategy__": "replace", "b": True}},
            {"a": {"c": False}},
            {"a": {"c": False, "__strategy__": "replace", "b": True}},
        ),
    ],
)
def test_merged_over(higher: dict[str, Any], lower: dict[str, Any], merged: dict[str, Any]) -> None:
    assert merged_over(higher, lower) == merged
