"""GET /v1/users/{user_id} and GET /v1/users: the get handler with events/get*.json and events/list.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.get.app import lambda_handler
from functions.identify.app import lambda_handler as identify_handler
from recipients.kernel import payload
from recipients.users.models import User
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys


@pytest.fixture
def identified(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> dict[str, Any]:
    """The sample user, identified through the identify handler; returns its body."""
    response = identify_handler(load_event("identify"), lambda_context)
    assert response["statusCode"] == 200
    return json_body(response)


@pytest.fixture
def five_users(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str) -> set[str]:
    ids = {f"user_{index}" for index in range(5)}
    for user_id in ids:
        identify_handler(load_event("identify", path={"user_id": user_id}, body={"n": user_id}), lambda_context)
    return ids


def test_get_existing_user_returns_200_and_the_user_as_identified(
    load_event: EventLoader, lambda_context: FakeLambdaContext, identified: dict[str, Any]
) -> None:
    response = lambda_handler(load_event("get"), lambda_context)
    assert response["statusCode"] == 200
    body = json_body(response)
    assert User.model_validate(body).id == "user_123"
    assert body == identified


def test_get_sends_one_get_item(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    identified: dict[str, Any],
    dynamodb_requests: list[str],
) -> None:
    lambda_handler(load_event("get"), lambda_context)
    assert dynamodb_requests == ["GetItem"]


def test_get_unknown_user_returns_404(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    response = lambda_handler(load_event("get_not_found"), lambda_context)
    body = assert_knock_error(response, 404, "resource_missing")
    assert body["message"] == "user 'nobody_here' not found"


def test_get_percent_encoded_id_is_decoded_once(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    identify_handler(load_event("identify", path={"user_id": "%41 ünï"}, body={}), lambda_context)
    response = lambda_handler(load_event("get", path={"user_id": "%41 ünï"}), lambda_context)
    assert response["statusCode"] == 200
    assert json_body(response)["id"] == "%41 ünï"


@pytest.mark.parametrize("user_id", ["a#b", "a/b", " ", "a" * 257])
def test_get_invalid_id_returns_422_naming_user_id(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, user_id: str
) -> None:
    response = lambda_handler(load_event("get", path={"user_id": user_id}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["user_id"]


def test_list_returns_200_with_entries_and_page_info(
    load_event: EventLoader, lambda_context: FakeLambdaContext, five_users: set[str]
) -> None:
    # events/list.json asks for page_size=2
    response = lambda_handler(load_event("list"), lambda_context)
    assert response["statusCode"] == 200
    body = json_body(response)
    assert set(body) == {"entries", "page_info"}
    assert [User.model_validate(entry).id in five_users for entry in body["entries"]] == [True, True]
    info = body["page_info"]
    assert (info["__typename"], info["page_size"], info["before"]) == ("PageInfo", 2, None)
    assert isinstance(info["after"], str) and info["after"]


def test_list_following_after_returns_every_user_once(
    load_event: EventLoader, lambda_context: FakeLambdaContext, five_users: set[str]
) -> None:
    seen: list[str] = []
    query: dict[str, str] = {"page_size": "2"}
    for _ in range(10):
        body = json_body(lambda_handler(load_event("list", query=query), lambda_context))
        seen += [entry["id"] for entry in body["entries"]]
        if body["page_info"]["after"] is None:
            break
        query = {"page_size": "2", "after": body["page_info"]["after"]}
    assert sorted(seen) == sorted(five_users)


def test_list_without_page_size_defaults_to_50(
    load_event: EventLoader, lambda_context: FakeLambdaContext, five_users: set[str]
) -> None:
    body = json_body(lambda_handler(load_event("list", query={}), lambda_context))
    assert body["page_info"] == {"__typename": "PageInfo", "after": None, "before": None, "page_size": 50}
    assert {entry["id"] for entry in body["entries"]} == five_users


def test_list_empty_table_returns_empty_entries(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str
) -> None:
    body = json_body(lambda_handler(load_event("list"), lambda_context))
    assert body == {
        "entries": [],
        "page_info": {"__typename": "PageInfo", "after": None, "before": None, "page_size": 2},
    }


def test_list_include_preferences_is_accepted(
    load_event: EventLoader, lambda_context: FakeLambdaContext, five_users: set[str]
) -> None:
    response = lambda_handler(load_event("list", query={"include[]": "preferences"}), lambda_context)
    assert response["statusCode"] == 200
    assert len(json_body(response)["entries"]) == 5


@pytest.mark.parametrize("page_size", ["0", "51", "abc", "-1", "2.5"])
def test_list_page_size_out_of_range_returns_422_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, page_size: str
) -> None:
    response = lambda_handler(load_event("list", query={"page_size": page_size}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["page_size"]


def test_list_after_and_before_together_returns_422(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, dynamodb_requests: list[str]
) -> None:
    response = lambda_handler(
        load_event("list", query={"after": "WzAsICJhIl0", "before": "WzAsICJhIl0"}), lambda_context
    )
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["before"]
    assert dynamodb_requests == []


@pytest.mark.parametrize("parameter", ["after", "before"])
def test_list_cursor_not_from_this_api_returns_422_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, parameter: str
) -> None:
    response = lambda_handler(load_event("list", query={parameter: "not-a-cursor"}), lambda_context)
    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == [parameter]


def test_list_page_stops_filling_before_lambdas_payload_limit_and_hands_back_a_cursor(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given 30 users of about 250 KB each: 50 of them would pass Lambda's 6 MB answer (7.5 MB)
    for index in range(30):
        event = load_event("identify", path={"user_id": f"heavy_{index:02d}"}, body={"blob": "\u00e9" * 125_000})
        assert identify_handler(event, lambda_context)["statusCode"] == 200  # 250 KB as UTF-8, 750 KB escaped

    # When pages of 50 are listed, following `after`
    seen: list[str] = []
    after = None
    for _ in range(30):
        query = {"page_size": "50", **({"after": after} if after else {})}
        response = lambda_handler(load_event("list", query=query), lambda_context)
        assert response["statusCode"] == 200
        # Then every answer is within the limit, as the runtime will write it
        assert payload.body_bytes(response["body"]) <= payload.MAX_BODY_BYTES
        body = json.loads(response["body"])
        seen += [user["id"] for user in body["entries"]]
        after = body["page_info"]["after"]
        if after is None:
            break

    # and the pages together still hold every user once
    assert sorted(seen) == [f"heavy_{index:02d}" for index in range(30)]
    assert len(seen) == 30
    # and walking back with `before` from the last page gives the same order, within the limit too
    back = list(body["entries"])
    before = body["page_info"]["before"]
    while before is not None:
        response = lambda_handler(load_event("list", query={"page_size": "50", "before": before}), lambda_context)
        assert payload.body_bytes(response["body"]) <= payload.MAX_BODY_BYTES
        page = json.loads(response["body"])
        back = page["entries"] + back
        before = page["page_info"]["before"]
    assert [user["id"] for user in back] == seen
