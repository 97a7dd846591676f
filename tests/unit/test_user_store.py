"""The user store, against moto's DynamoDB built from template.yaml."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from recipients.identity.identify import plan_identify
from recipients.identity.merge import UpdatePlan
from recipients.kernel import jsontext
from recipients.kernel.aws import dynamodb
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.keys import LIST_SHARDS, list_shard
from recipients.users.models import User
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import UserStore, get_user_store


@pytest.fixture
def store(recipients_table: str) -> UserStore:
    return get_user_store()


def identify(store: UserStore, user_id: str, body: dict[str, Any] | str) -> User:
    data = jsontext.loads(body) if isinstance(body, str) else body
    return store.identify_user(user_id, plan_identify(IdentifyUserRequest.model_validate(data)))


def properties(user: User) -> dict[str, Any]:
    """The user as the API returns it, without the timestamp that changes on every write."""
    wire = user.to_wire()
    del wire["updated_at"]
    return wire


def test_identify_sends_exactly_one_update_item_and_no_read(store: UserStore, dynamodb_requests: list[str]) -> None:
    identify(
        store,
        "user_1",
        {"name": "Ada", "plan": "pro", "channel_data": {"7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11": {"tokens": ["t"]}}},
    )
    assert dynamodb_requests == ["UpdateItem"]


def test_get_sends_exactly_one_get_item(store: UserStore, dynamodb_requests: list[str]) -> None:
    store.get_user("user_1")
    assert dynamodb_requests == ["GetItem"]


def test_delete_sends_exactly_one_delete_item(store: UserStore, dynamodb_requests: list[str]) -> None:
    store.delete_user("user_1")
    assert dynamodb_requests == ["DeleteItem"]


def test_identify_new_user_returns_it_with_nulls_for_unsent_reserved_fields(store: UserStore) -> None:
    user = identify(store, "user_1", {"email": "ada@example.com", "plan": "pro"})
    assert properties(user) == {
        "__typename": "User",
        "id": "user_1",
        "name": None,
        "email": "ada@example.com",
        "avatar": None,
        "phone_number": None,
        "timezone": None,
        "locale": None,
        "created_at": None,
        "plan": "pro",
    }
    assert user.updated_at.endswith("Z")


def test_identify_stores_each_property_as_its_own_json_attribute(
    store: UserStore, stored_user: Callable[[str], dict[str, Any] | None]
) -> None:
    identify(
        store,
        "user_1",
        {
            "name": "Ada",
            "prefs": {"theme": "dark"},
            "channel_data": {"7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11": {"tokens": ["t1"]}},
        },
    )
    item = stored_user("user_1")
    assert item is not None
    assert item["prop:name"] == {"S": '"Ada"'}
    assert item["prop:prefs"] == {"S": '{"theme":"dark"}'}
    assert item["chan:7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"] == {
        "S": '{"tokens":["t1"],"devices":[{"token":"t1","locale":null,"timezone":null}]}'
    }
    assert item["id"] == {"S": "user_1"}
    assert item["list_pk"] == {"S": f"user#{list_shard('user_1'):02d}"}
    assert item["list_sk"] == {"S": "user_1"}


def test_identify_keys_not_sent_are_kept(store: UserStore) -> None:
    # Given a user with a name and a plan
    identify(store, "user_1", {"name": "Ada", "plan": "pro", "email": "ada@example.com"})
    # When only the plan is sent
    user = identify(store, "user_1", {"plan": "team"})
    # Then the name and email are untouched
    assert (user.name, user.email, user.model_extra) == ("Ada", "ada@example.com", {"plan": "team"})
    assert store.get_user("user_1") == user


def test_identify_nested_value_is_replaced_whole_not_deep_merged(store: UserStore) -> None:
    identify(store, "user_1", {"prefs": {"theme": "dark", "lang": "en", "deep": {"a": 1, "b": 2}}})
    user = identify(store, "user_1", {"prefs": {"theme": "light", "deep": {"a": 3}}})
    assert user.model_extra == {"prefs": {"theme": "light", "deep": {"a": 3}}}


def test_identify_null_is_stored_and_returned_as_null(
    store: UserStore, stored_user: Callable[[str], dict[str, Any] | None]
) -> None:
    identify(store, "user_1", {"email": "ada@example.com", "plan": "pro"})
    user = identify(store, "user_1", {"email": None, "plan": None})
    assert (user.email, user.model_extra) == (None, {"plan": None})
    item = stored_user("user_1")
    assert item is not None
    assert (item["prop:email"], item["prop:plan"]) == ({"S": "null"}, {"S": "null"})


def test_identify_updated_at_changes_on_every_write(store: UserStore) -> None:
    first = identify(store, "user_1", {"plan": "pro"})
    second = identify(store, "user_1", {"plan": "pro"})
    assert datetime.fromisoformat(second.updated_at) > datetime.fromisoformat(first.updated_at)


def test_identify_values_round_trip_exactly(store: UserStore) -> None:
    body = (
        '{"score":0.1000000000000000055511151231257827,"huge":1e400,"neg":-0.0,"big":18446744073709551617,'
        '"text":"\\u0000 Zoë 😀 \\ud800","empty":{"o":{},"l":[],"s":""},"deep":' + '{"a":' * 45 + "1" + "}" * 45 + "}"
    )
    identify(store, "user_1", body)
    user = store.get_user("user_1")
    assert user is not None
    assert user.model_extra == jsontext.loads(body)
    assert jsontext.dumps(user.model_extra) == jsontext.dumps(jsontext.loads(body))
    assert user.model_extra["score"] == Decimal("0.1000000000000000055511151231257827")


def test_identify_different_keys_on_same_user_both_survive(store: UserStore) -> None:
    identify(store, "user_1", {"a": 1})
    identify(store, "user_1", {"b": 2})
    user = store.get_user("user_1")
    assert user is not None
    assert user.model_extra == {"a": 1, "b": 2}


def test_identify_concurrent_writes_of_different_keys_all_survive(store: UserStore) -> None:
    # Given an existing user and two writers, each owning one key
    identify(store, "user_1", {"name": "Ada"})
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(key: str) -> None:
        try:
            start.wait(timeout=5)
            for round_ in range(20):
                identify(store, "user_1", {key: round_})
        except BaseException as exc:  # surfaced below: an exception in a thread would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(key,)) for key in ("a", "b")]
    # When both write at the same time
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then each writer's last value is there, and nothing else was lost
    assert failures == []
    user = store.get_user("user_1")
    assert user is not None
    assert (user.name, user.model_extra) == ("Ada", {"a": 19, "b": 19})


def test_identify_ids_differing_in_case_are_different_users(store: UserStore) -> None:
    identify(store, "Ada", {"plan": "pro"})
    identify(store, "ada", {"plan": "free"})
    upper, lower = store.get_user("Ada"), store.get_user("ada")
    assert upper is not None and lower is not None
    assert (upper.id, upper.model_extra, lower.id, lower.model_extra) == (
        "Ada",
        {"plan": "pro"},
        "ada",
        {"plan": "free"},
    )


def test_get_unknown_user_returns_none(store: UserStore) -> None:
    assert store.get_user("nobody") is None


def test_delete_existing_user_returns_true_and_removes_the_item(
    store: UserStore, stored_items: Callable[[], list[dict[str, Any]]]
) -> None:
    identify(store, "user_1", {"plan": "pro"})
    assert store.delete_user("user_1") is True
    assert stored_items() == []


def test_delete_unknown_user_returns_false(store: UserStore) -> None:
    assert store.delete_user("nobody") is False


def test_identify_after_delete_starts_blank(store: UserStore) -> None:
    # Given a user with properties and channel data, deleted
    identify(
        store,
        "user_1",
        {"name": "Ada", "plan": "pro", "channel_data": {"7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11": {"tokens": ["t"]}}},
    )
    store.delete_user("user_1")
    # When the id is identified again
    user = identify(store, "user_1", {"locale": "en"})
    # Then nothing of the old user remains
    assert (user.name, user.locale, user.model_extra) == (None, "en", {})


def test_identify_past_the_item_size_limit_raises_too_large_and_keeps_the_item(store: UserStore) -> None:
    # Given a user already holding 2 x 200 kB (each call is under the 256 KiB custom limit)
    identify(store, "user_1", {"a": "x" * 200_000})
    before = identify(store, "user_1", {"b": "x" * 200_000})
    # When a third value would push the item past DynamoDB's 400 KB
    with pytest.raises(RecipientsError) as caught:
        identify(store, "user_1", {"c": "x" * 10_000})
    # Then it is a 4xx-kind error and the stored user is unchanged
    assert (caught.value.kind, caught.value.code) == (ErrorKind.INVALID, "properties_too_large")
    assert store.get_user("user_1") == before


def walk_forward(store: UserStore, page_size: int) -> list[list[str]]:
    pages, after = [], None
    while True:
        page = store.list_users(page_size, after=after)
        pages.append([user.id for user in page.entries])
        if page.after is None:
            return pages
        after = page.after


@pytest.fixture
def twenty_three_users(store: UserStore) -> list[str]:
    ids = [f"user_{index:02d}" for index in range(23)]
    for user_id in ids:
        identify(store, user_id, {"n": user_id})
    # the ids must spread over several shards for the walk to cross shard boundaries
    assert len({list_shard(user_id) for user_id in ids}) > 5
    return ids


def test_list_users_pages_through_every_user_exactly_once(store: UserStore, twenty_three_users: list[str]) -> None:
    pages = walk_forward(store, 5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    flat = [user_id for page in pages for user_id in page]
    assert sorted(flat) == sorted(twenty_three_users)
    assert len(flat) == len(set(flat))


def test_list_users_order_is_stable_by_shard_then_id(store: UserStore, twenty_three_users: list[str]) -> None:
    flat = [user_id for page in walk_forward(store, 5) for user_id in page]
    assert flat == sorted(twenty_three_users, key=lambda user_id: (list_shard(user_id), user_id))
    assert [user_id for page in walk_forward(store, 7) for user_id in page] == flat


def test_list_users_first_page_has_no_before_and_last_page_no_after(
    store: UserStore, twenty_three_users: list[str]
) -> None:
    first = store.list_users(5)
    assert first.before is None and first.after is not None
    everything = store.list_users(50)
    assert (len(everything.entries), everything.after, everything.before) == (23, None, None)


def test_list_users_before_cursor_walks_back_to_the_previous_page(
    store: UserStore, twenty_three_users: list[str]
) -> None:
    # Given the first three pages, walked forward
    page_1 = store.list_users(5)
    page_2 = store.list_users(5, after=page_1.after)
    page_3 = store.list_users(5, after=page_2.after)
    assert page_3.before is not None
    # When walking back from page 3
    back_to_2 = store.list_users(5, before=page_3.before)
    back_to_1 = store.list_users(5, before=back_to_2.before)
    # Then the same pages come back, in the same order, and the first has nothing before it
    assert [u.id for u in back_to_2.entries] == [u.id for u in page_2.entries]
    assert [u.id for u in back_to_1.entries] == [u.id for u in page_1.entries]
    assert back_to_1.before is None
    assert back_to_2.after == page_2.after


def test_list_users_empty_table_returns_empty_page(store: UserStore) -> None:
    page = store.list_users(5)
    assert (page.entries, page.after, page.before) == ([], None, None)


@pytest.mark.parametrize("cursor", ["garbage!", "", "W10", "WzE2LCAiYSJd", "WyJ4IiwgImEiXQ", "eyJhIjogMX0"])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_list_users_bad_cursor_raises_invalid_naming_the_parameter(
    store: UserStore, direction: str, cursor: str
) -> None:
    # "W10" is [], "WzE2LCAiYSJd" is [16, "a"] (no such shard), "WyJ4IiwgImEiXQ" is ["x", "a"], "eyJhIjogMX0" an object
    with pytest.raises(RecipientsError) as caught:
        store.list_users(5, **{direction: cursor})
    assert caught.value.kind is ErrorKind.INVALID
    assert [error.field for error in caught.value.errors] == [direction]


@pytest.mark.parametrize(
    "payload",
    [b"[" * 3000, b'[0, "a/b"]', b'[0, "' + b"x" * 257 + b'"]', b"[0, " + b" " * 3000 + b'"a"]'],
    ids=["nested-3000-deep", "id-with-slash", "id-too-long", "over-2048-characters"],
)
def test_list_users_crafted_cursor_raises_invalid_not_an_unexpected_error(store: UserStore, payload: bytes) -> None:
    # Given a cursor this API could never have issued
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")

    # When it is used, Then it is refused as invalid input (a 422), not a crash (a 500)
    with pytest.raises(RecipientsError) as caught:
        store.list_users(5, after=cursor)
    assert caught.value.kind is ErrorKind.INVALID
    assert [error.field for error in caught.value.errors] == ["after"]


def test_list_shard_is_stable_and_in_range() -> None:
    assert list_shard("user_1") == list_shard("user_1")
    assert {list_shard(f"u{index}") for index in range(500)} == set(range(LIST_SHARDS))


@pytest.mark.parametrize(
    "error_code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("update_item", lambda store: identify(store, "user_1", {"plan": "pro"})),
        ("get_item", lambda store: store.get_user("user_1")),
        ("delete_item", lambda store: store.delete_user("user_1")),
        ("query", lambda store: store.list_users(5)),
    ],
    ids=["identify", "get", "delete", "list"],
)
def test_throttled_request_raises_unavailable(
    store: UserStore, operation: str, call: Callable[[UserStore], object], error_code: str
) -> None:
    # Given DynamoDB answers with a throttling error
    with Stubber(dynamodb()) as stubber:
        stubber.add_client_error(operation, service_error_code=error_code, http_status_code=400)
        # When / Then: a retryable "unavailable" error, never a raw ClientError
        with pytest.raises(RecipientsError) as caught:
            call(store)
        stubber.assert_no_pending_responses()
    assert (caught.value.kind, caught.value.code) == (ErrorKind.UNAVAILABLE, "service_unavailable")


def test_unexpected_dynamodb_error_is_not_disguised(aws: None) -> None:
    # Given no table at all: a fault on our side, not the caller's
    with pytest.raises(ClientError) as caught:
        get_user_store().get_user("user_1")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_plan_larger_than_one_write_is_set_in_parts_and_read_back_whole(
    store: UserStore, dynamodb_requests: list[str]
) -> None:
    # Given a plan of 600 attributes, as a bulk row coalescing several rows of one id can make
    plan = UpdatePlan({f"prop:k{i}": str(i) for i in range(600)}, {})

    user = store.identify_user("many", plan)

    assert dynamodb_requests == ["UpdateItem", "UpdateItem", "UpdateItem"]
    assert len(user.model_extra or {}) == 600
    assert store.get_user("many") == user
