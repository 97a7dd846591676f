"""Audiences through their function against moto: membership, inline identification, paging, requests made."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from functions.audiences.app import lambda_handler as audiences
from functions.get.app import lambda_handler as get_users
from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import LIST_SHARDS, MemberPosition, list_shard
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("recipients_table")

Call = Callable[..., dict[str, Any]]
Items = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def call(load_event: EventLoader, lambda_context: FakeLambdaContext) -> Call:
    def run(sample: str, key: str = "beta", *, handler: Any = audiences, **variant: Any) -> dict[str, Any]:
        if handler is audiences:
            variant.setdefault("path", {"key": key})
        return handler(load_event(sample, **variant), lambda_context)

    return run


def add(call: Call, members: list[dict[str, Any]], key: str = "beta", *, create: bool | None = True) -> dict[str, Any]:
    query = {} if create is None else {"create_audience": str(create).lower()}
    return call("audiences_add", key, body={"members": members}, query=query)


def added(call: Call, members: list[dict[str, Any]], key: str = "beta", *, create: bool | None = True) -> None:
    response = add(call, members, key, create=create)
    assert response["statusCode"] == 204, response["body"]
    assert response["body"] == ""


def listed(call: Call, key: str = "beta", **query: str) -> dict[str, Any]:
    response = call("audiences_list", key, query=query)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def everyone(call: Call, key: str = "beta") -> list[tuple[str, str | None]]:
    """Every member as (user_id, tenant), following `after` page by page."""
    found, after = [], None
    while True:
        page = listed(call, key, page_size="50", **({"after": after} if after else {}))
        found += [(entry["user_id"], entry["tenant"]) for entry in page["entries"]]
        after = page["page_info"]["after"]
        if after is None:
            return found


def member(user: str | dict[str, Any], tenant: str | None = None) -> dict[str, Any]:
    return {"user": {"id": user} if isinstance(user, str) else user, "tenant": tenant}


def test_add_lists_members_with_their_users_and_a_missing_user_as_null(call: Call) -> None:
    # Given one member identified inline and one given by id only, a user never identified
    added(
        call, [member({"id": "ada", "name": "Ada", "email": "ada@example.com", "plan": "pro"}, "acme"), member("bob")]
    )

    # When the audience is listed
    page = listed(call)

    # Then both are members: the inline user was upserted as identify does, the bare id has no user
    by_user = {entry["user_id"]: entry for entry in page["entries"]}
    assert set(by_user) == {"ada", "bob"}
    ada = by_user["ada"]
    assert (ada["__typename"], ada["tenant"]) == ("AudienceMember", "acme")
    assert ada["added_at"].endswith("Z")
    assert (ada["user"]["__typename"], ada["user"]["email"], ada["user"]["plan"]) == ("User", "ada@example.com", "pro")
    assert ada["user"] == json_body(call("get", handler=get_users, path={"user_id": "ada"}))
    assert (by_user["bob"]["user"], by_user["bob"]["tenant"]) == (None, None)
    assert call("get", handler=get_users, path={"user_id": "bob"})["statusCode"] == 404
    assert page["page_info"] == {"__typename": "PageInfo", "after": None, "before": None, "page_size": 50}


def test_a_missing_user_identified_later_is_listed_with_its_user(call: Call) -> None:
    added(call, [member("carol")])
    added(call, [member({"id": "carol", "name": "Carol"})], create=None)
    [entry] = listed(call)["entries"]
    assert entry["user"]["name"] == "Carol"


@pytest.mark.parametrize("create", [None, False])
def test_add_to_an_unknown_audience_without_create_is_404_and_writes_nothing(
    call: Call, stored_items: Items, create: bool | None
) -> None:
    response = add(call, [member({"id": "ada", "name": "Ada"}), member("bob")], create=create)
    body = assert_knock_error(response, 404, "resource_missing")
    assert "audience" in body["message"]
    assert stored_items() == []


def test_list_and_remove_on_an_unknown_audience_are_404(call: Call) -> None:
    added(call, [member("ada")], key="other")
    assert_knock_error(call("audiences_list", "beta"), 404, "resource_missing")
    removed = call("audiences_remove", "beta", body={"members": [member("ada")]})
    assert_knock_error(removed, 404, "resource_missing")
    assert everyone(call, "other") == [("ada", None)]


def test_the_same_user_with_distinct_tenants_is_distinct_members_and_removal_names_the_tenant(call: Call) -> None:
    added(call, [member("ada"), member("ada", "acme"), member("ada", "globex")])
    assert sorted(everyone(call), key=str) == sorted([("ada", None), ("ada", "acme"), ("ada", "globex")], key=str)

    response = call("audiences_remove", body={"members": [member("ada", "acme")]})

    assert response["statusCode"] == 204
    assert sorted(everyone(call), key=str) == sorted([("ada", None), ("ada", "globex")], key=str)


def test_duplicates_in_one_call_are_one_member_and_inline_users_are_upserted_in_order(call: Call) -> None:
    members = [
        member({"id": "ada", "name": "First", "tier": 1}),
        member("ada"),
        member({"id": "ada", "name": "Second"}),
        member("ada", "acme"),
        member("ada", "acme"),
    ]
    added(call, members)
    assert sorted(everyone(call), key=str) == sorted([("ada", None), ("ada", "acme")], key=str)
    user = json_body(call("get", handler=get_users, path={"user_id": "ada"}))
    assert (user["name"], user["tier"]) == ("Second", 1)


def test_adding_a_member_again_keeps_one_member(call: Call) -> None:
    added(call, [member("ada", "acme")])
    added(call, [member("ada", "acme")], create=False)
    assert everyone(call) == [("ada", "acme")]


def test_removing_non_members_is_not_an_error(call: Call) -> None:
    added(call, [member("ada")])
    response = call("audiences_remove", body={"members": [member("nobody"), member("ada", "acme"), member("ada")]})
    assert response["statusCode"] == 204
    assert listed(call)["entries"] == []


def test_removal_ignores_user_properties_and_identifies_no_one(call: Call, stored_user: Any) -> None:
    added(call, [member("ada")])
    response = call("audiences_remove", body={"members": [member({"id": "ada", "name": "Ignored", "x": [1]})]})
    assert response["statusCode"] == 204
    assert everyone(call) == []
    assert stored_user("ada") is None


def test_adding_1000_bare_members_to_an_existing_audience_is_one_get_and_40_batch_writes(
    call: Call, dynamodb_requests: list[str]
) -> None:
    # Given an existing audience
    added(call, [member("seed")])
    dynamodb_requests.clear()

    # When 1,000 members given by id are added
    added(call, [member(f"user-{index}") for index in range(1000)], create=False)

    # Then the audience was read once and the members written 25 at a time; no user was read or written
    assert sorted(dynamodb_requests) == ["BatchWriteItem"] * 40 + ["GetItem"]
    assert len(everyone(call)) == 1001


def test_adding_with_create_audience_is_one_update_instead_of_the_get(call: Call, dynamodb_requests: list[str]) -> None:
    added(call, [member(f"user-{index}") for index in range(30)])
    assert sorted(dynamodb_requests) == ["BatchWriteItem"] * 2 + ["UpdateItem"]
    added(call, [member("late")])  # the audience already exists: it is left as it is
    assert len(everyone(call)) == 31


def test_inline_users_are_one_update_each(call: Call, dynamodb_requests: list[str]) -> None:
    added(call, [member({"id": f"u{index}", "name": "N"}) for index in range(3)] + [member("bare")])
    assert sorted(dynamodb_requests) == ["BatchWriteItem", "UpdateItem", "UpdateItem", "UpdateItem", "UpdateItem"]


def test_removing_1000_members_is_one_get_and_40_batch_writes(call: Call, dynamodb_requests: list[str]) -> None:
    members = [member(f"user-{index}", "acme") for index in range(1000)]
    added(call, members)
    dynamodb_requests.clear()
    assert call("audiences_remove", body={"members": members})["statusCode"] == 204
    assert sorted(dynamodb_requests) == ["BatchWriteItem"] * 40 + ["GetItem"]
    assert listed(call)["entries"] == []


def test_more_than_1000_members_is_422_naming_members_and_writes_nothing(call: Call, stored_items: Items) -> None:
    for sample in ("audiences_add", "audiences_remove"):
        response = call(sample, body={"members": [member(f"u{index}") for index in range(1001)]})
        body = assert_knock_error(response, 422, "invalid_params")
        assert error_fields(body) == ["members"]
    assert stored_items() == []


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ([member("ok"), member("ok2"), {"user": {"name": "no id"}}], "members.2.user.id"),
        ([member("ok"), member({"id": "ada", "email": "not-an-email"})], "members.1.user.email"),
        ([member("ok", "a#b")], "members.0.tenant"),
        ([member("a/b")], "members.0.user.id"),
        ([member("ok"), {"tenant": "acme"}], "members.1.user"),
        ([{"user": {"id": "ok"}, "role": "admin"}], "members.0.role"),
        ([member({"id": "ok", "preferences": {"default": {"channel_types": {"fax": True}}}})], None),
        ([member("ok"), member("ok"), member("ok"), member({"id": "big", "blob": "x" * 300_000})], None),
    ],
    ids=["no-id", "bad-email", "tenant-hash", "id-slash", "no-user", "extra-key", "bad-preferences", "too-large"],
)
def test_a_bad_member_is_422_naming_its_field_and_nothing_is_written(
    call: Call, stored_items: Items, members: list[dict[str, Any]], field: str | None
) -> None:
    response = add(call, members)
    assert response["statusCode"] == 422, response["body"]
    body = json_body(response)
    fields = error_fields(body)
    if field is not None:
        assert field in fields and field in body["message"]
    else:  # errors found past the model (the preference grammar, the size of the properties) are prefixed too
        index = len(members) - 1
        assert fields and all(name.startswith(f"members.{index}.user.") for name in fields), fields
    assert stored_items() == []


def _shards_of(user_ids: list[str]) -> set[int]:
    return {list_shard(user_id) for user_id in user_ids}


def test_pages_cross_shards_both_ways_with_one_batch_get_each_and_no_scan(
    call: Call, dynamodb_requests: list[str]
) -> None:
    # Given 40 members over several shards, some with two tenants, and users for some of them
    user_ids = [f"member-{index}" for index in range(30)]
    assert len(_shards_of(user_ids)) > 8
    members = [member(user_id) for user_id in user_ids] + [member(user_id, "acme") for user_id in user_ids[:10]]
    added(call, members)
    for user_id in user_ids[::3]:
        get_recipient_store().upsert(RecipientRef(id=user_id), UpdatePlan({"prop:name": '"N"'}, {}))
    dynamodb_requests.clear()

    # When they are paged forward, 7 at a time
    pages, after = [], None
    while True:
        page = listed(call, page_size="7", **({"after": after} if after else {}))
        pages.append(page)
        after = page["page_info"]["after"]
        if after is None:
            break

    # Then every member comes once, in (shard, user id, tenant) order, each page with one BatchGetItem
    forward = [(entry["user_id"], entry["tenant"]) for page in pages for entry in page["entries"]]
    expected = sorted(
        {(m["user"]["id"], m["tenant"]) for m in members},
        key=lambda pair: (list_shard(pair[0]), f"{pair[0]}#{pair[1] or ''}"),
    )
    assert forward == expected
    assert [len(page["entries"]) for page in pages] == [7, 7, 7, 7, 7, 5]
    assert set(dynamodb_requests) == {"Query", "BatchGetItem"}
    assert dynamodb_requests.count("BatchGetItem") == len(pages)
    assert pages[0]["page_info"]["before"] is None and all(page["page_info"]["before"] for page in pages[1:])
    named = {entry["user_id"] for page in pages for entry in page["entries"] if entry["user"]}
    assert named == set(user_ids[::3])

    # ...and going back with `before` from the last page gives the same pages, in reverse
    back, before = [], pages[-1]["page_info"]["before"]
    while before is not None:
        page = listed(call, page_size="7", before=before)
        back.append([(entry["user_id"], entry["tenant"]) for entry in page["entries"]])
        before = page["page_info"]["before"]
    assert back == [[(e["user_id"], e["tenant"]) for e in page["entries"]] for page in reversed(pages[:-1])]


def test_a_member_cursor_round_trips_and_a_crafted_one_is_refused() -> None:
    position = MemberPosition.of("ada", "acme")
    assert MemberPosition.from_cursor(position.to_cursor(), "after") == position
    assert MemberPosition.from_cursor(MemberPosition.of("é" * 256, None).to_cursor(), "after").tenant is None
    for bad in ([LIST_SHARDS, "ada", None], [True, "ada", None], [0, "a#b", None], [0, "ada", "a/b"], [0, "ada"]):
        with pytest.raises(RecipientsError) as caught:
            MemberPosition.from_cursor(_encoded(bad), "before")
        assert [error.field for error in caught.value.errors] == ["before"], bad


def _encoded(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def test_bad_paging_parameters_are_422_before_any_request(call: Call, dynamodb_requests: list[str]) -> None:
    for query, field in (
        ({"after": "not-a-cursor"}, "after"),
        ({"before": _encoded([0, "ada"])}, "before"),
        ({"page_size": "51"}, "page_size"),
        ({"after": _encoded([0, "a", None]), "before": _encoded([0, "b", None])}, "before"),
    ):
        body = assert_knock_error(call("audiences_list", query=query), 422, "invalid_params")
        assert field in error_fields(body)
    assert dynamodb_requests == []


def test_an_audience_whose_members_were_all_removed_lists_empty(call: Call) -> None:
    added(call, [member("ada")])
    call("audiences_remove", body={"members": [member("ada")]})
    assert listed(call)["entries"] == []


def test_a_page_of_large_users_stops_before_6_mb_with_a_cursor_to_the_rest(call: Call) -> None:
    # Given 30 members whose users hold about 250 KB each: 7.5 MB for one page of 50
    user_ids = [f"large-{index:02d}" for index in range(30)]
    added(call, [member(user_id) for user_id in user_ids])
    for user_id in user_ids:
        get_recipient_store().upsert(RecipientRef(id=user_id), UpdatePlan({"prop:blob": '"' + "x" * 250_000 + '"'}, {}))

    # When they are listed, Then the first page stops short of Lambda's limit and the next continues it
    first = listed(call)
    assert 20 <= len(first["entries"]) < 30
    rest = listed(call, after=first["page_info"]["after"])
    seen = [entry["user_id"] for entry in first["entries"] + rest["entries"]]
    assert sorted(seen) == user_ids and rest["page_info"]["after"] is None

    # ...and going back from the last member keeps the entries nearest it, with a cursor to the ones before
    back = listed(call, before=MemberPosition.of(seen[-1], None).to_cursor())
    kept = [entry["user_id"] for entry in back["entries"]]
    assert 20 <= len(kept) < 29 and kept == seen[-1 - len(kept) : -1]
    assert back["page_info"]["before"] == MemberPosition.of(kept[0], None).to_cursor()
