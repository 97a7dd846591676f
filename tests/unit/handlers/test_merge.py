"""POST /v1/users/{user_id}/merge: the merge handler against moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.merge.app import lambda_handler
from recipients.kernel.aws import dynamodb
from recipients.users.identify import check_identify_user, identify_user
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

StoredUser = Callable[[str], dict[str, Any] | None]


def identify(user_id: str, body: dict[str, Any]) -> None:
    identify_user(user_id, check_identify_user(user_id, IdentifyUserRequest.model_validate(body)))


C1 = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
C2 = "aef6e715-df82-4ab6-b61e-b743e249f7b6"


def merge(load_event: EventLoader, context: FakeLambdaContext, user_id: str, body: Any) -> dict[str, Any]:
    return lambda_handler(load_event("merge", path={"user_id": user_id}, body=body), context)


def test_merge_copies_what_the_user_lacks_keeps_its_own_values_whole_and_deletes_the_other(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, stored_user: StoredUser
) -> None:
    # Given a user and a guest with overlapping and nested properties, channel data and preferences
    identify(
        "ada", {"name": "Ada", "email": None, "prefs": {"theme": "dark"}, "channel_data": {C1: {"tokens": ["a1"]}}}
    )
    identify(
        "guest_42",
        {
            "name": "Guest",
            "email": "guest@example.com",
            "phone_number": "+447700900123",
            "prefs": {"lang": "en"},
            "cart": [1, 2],
            "channel_data": {C1: {"tokens": ["g9"]}, C2: {"tokens": ["g2"]}},
            "preferences": {"default": {"commercial_subscribed": True}},
        },
    )

    # When the guest is merged into the user
    response = merge(load_event, lambda_context, "ada", {"from_user_id": "guest_42"})

    # Then the user keeps every key it had (null included, nested objects whole) and gains the rest
    assert response["statusCode"] == 200
    body = json_body(response)
    assert (body["id"], body["name"], body["email"], body["phone_number"]) == ("ada", "Ada", None, "+447700900123")
    assert (body["prefs"], body["cart"]) == ({"theme": "dark"}, [1, 2])
    assert get_user_store().get_user("ada") is not None
    stored = stored_user("ada")
    assert stored is not None
    assert (stored[f"chan:{C1}"]["S"], stored[f"chan:{C2}"]["S"]) == (
        '{"tokens":["a1"],"devices":[{"token":"a1","locale":null,"timezone":null}]}',
        '{"tokens":["g2"],"devices":[{"token":"g2","locale":null,"timezone":null}]}',
    )
    assert stored["pref:default"]["S"] == '{"commercial_subscribed":true}'
    assert json_body(response) == get_user_store().get_user("ada").to_wire()  # type: ignore[union-attr]
    # and the guest is gone
    assert stored_user("guest_42") is None


@pytest.mark.parametrize("missing", ["primary", "secondary"])
def test_merge_with_an_unknown_user_returns_404_and_changes_nothing(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, missing: str
) -> None:
    identify("present", {"name": "Here"})
    user_id, from_user_id = ("absent", "present") if missing == "primary" else ("present", "absent")
    response = merge(load_event, lambda_context, user_id, {"from_user_id": from_user_id})
    assert "'absent'" in assert_knock_error(response, 404, "resource_missing")["message"]
    assert get_user_store().get_user("present") is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from_user_id": "ada"}, "from_user_id"),
        ({"from_user_id": "a/b"}, "from_user_id"),
        ({"from_user_id": 7}, "from_user_id"),
        ({}, "from_user_id"),
        ({"from_user_id": "guest", "extra": 1}, "extra"),
    ],
    ids=["itself", "bad-id", "not-a-string", "missing", "unknown-key"],
)
def test_merge_bad_body_returns_422_and_changes_nothing(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, body: dict[str, Any], field: str
) -> None:
    identify("ada", {"name": "Ada"})
    identify("guest", {"name": "Guest"})
    response = merge(load_event, lambda_context, "ada", body)
    assert field in error_fields(assert_knock_error(response, 422, "invalid_params"))
    assert get_user_store().get_user("guest") is not None


def test_merge_when_a_user_changes_meanwhile_returns_409_and_changes_nothing(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a guest that is identified again between the merge's read and its write
    identify("ada", {"name": "Ada"})
    identify("guest", {"plan": "free"})

    def identify_guest_first(params: dict[str, Any], **_: Any) -> None:
        dynamodb().meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", identify_guest_first)
        identify("guest", {"plan": "pro"})

    dynamodb().meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", identify_guest_first)

    # When the merge runs
    response = merge(load_event, lambda_context, "ada", {"from_user_id": "guest"})

    # Then it answers 409 (the SDK retries it) and neither user was changed by the merge
    assert_knock_error(response, 409, "conflict")
    ada, guest = get_user_store().get_user("ada"), get_user_store().get_user("guest")
    assert ada is not None and "plan" not in (ada.model_extra or {})
    assert guest is not None and guest.model_extra == {"plan": "pro"}


def test_merge_of_more_keys_than_one_write_takes_copies_them_all(
    recipients_table: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    stored_user: StoredUser,
    dynamodb_requests: list[str],
) -> None:
    # Given a guest with 300 properties the user lacks (two identifies: one takes at most 250 keys)
    identify("ada", {"name": "Ada"})
    identify("guest", {f"a{i}": i for i in range(150)})
    identify("guest", {f"b{i}": i for i in range(150)})
    dynamodb_requests.clear()

    # When it is merged into the user
    response = merge(load_event, lambda_context, "ada", {"from_user_id": "guest"})

    # Then every key is copied, in two conditioned writes, the last with the guest's delete
    assert response["statusCode"] == 200, response["body"]
    assert dynamodb_requests == ["GetItem", "GetItem", "UpdateItem", "TransactWriteItems"]
    body = json_body(response)
    assert {key: body[key] for key in ("a0", "a149", "b0", "b149", "name")} == {
        "a0": 0,
        "a149": 149,
        "b0": 0,
        "b149": 149,
        "name": "Ada",
    }
    assert len([key for key in body if key[0] in "ab" and key[1:].isdigit()]) == 300
    assert body == get_user_store().get_user("ada").to_wire()  # type: ignore[union-attr]
    assert stored_user("guest") is None


def test_merge_interrupted_between_its_writes_is_a_409_and_a_retry_completes_it(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, stored_user: StoredUser
) -> None:
    # Given a 300-key guest, and the user identified again between the merge's first and last write
    identify("ada", {"name": "Ada"})
    identify("guest", {f"a{i}": i for i in range(150)})
    identify("guest", {f"b{i}": i for i in range(150)})

    def identify_ada_first(params: dict[str, Any], **_: Any) -> None:
        dynamodb().meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", identify_ada_first)
        identify("ada", {"plan": "pro"})

    dynamodb().meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", identify_ada_first)

    # When the merge runs, and then runs again (the SDK retries a 409)
    first = merge(load_event, lambda_context, "ada", {"from_user_id": "guest"})
    second = merge(load_event, lambda_context, "ada", {"from_user_id": "guest"})

    # Then the first is a conflict that kept the guest, and the retry completes the merge
    assert_knock_error(first, 409, "conflict")
    assert second["statusCode"] == 200, second["body"]
    body = json_body(second)
    assert len([key for key in body if key[0] in "ab" and key[1:].isdigit()]) == 300
    assert (body["plan"], body["name"]) == ("pro", "Ada")
    assert stored_user("guest") is None


def test_merge_whose_result_would_not_fit_one_item_is_a_422_and_writes_nothing(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, stored_user: StoredUser
) -> None:
    identify("ada", {"big": "x" * 250_000})
    identify("guest", {"other": "y" * 200_000})
    before = stored_user("ada")

    response = merge(load_event, lambda_context, "ada", {"from_user_id": "guest"})

    error = assert_knock_error(response, 422, "properties_too_large")
    assert error_fields(error) == ["from_user_id"]
    assert stored_user("ada") == before
    assert stored_user("guest") is not None
