"""Identify, get, delete and list users over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.support import assert_knock_error, blank_user, exact_json

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
DEEP_45 = '{"level":' * 45 + '"bottom"' + "}" * 45
EXOTIC_PROPERTIES = (
    "{"
    '"tiny": 0.1000000000000000055511151231257827, "huge": 1e400, "trailing_zero": 2.50, "negative_zero": -0.0,'
    ' "beyond_2_63": 123456789012345678901234567890, "below_minus_2_63": -9223372036854775809,'
    ' "unicode": "\u00fcn\u00efc\u00f8d\u00e9 \u2713 \U0001f600 \u4e2d\u6587", "nul": "a\\u0000b",'
    ' "\u043a\u043b\u044e\u0447 \U0001f511": "unicode name",'
    ' "empty_string": "", "empty_object": {}, "empty_list": [], "mixed": [1, true, false, null, 1.0],'
    f' "deep": {DEEP_45}'
    "}"
)


def identify(http: httpx.Client, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.put(f"/v1/users/{user_id}", json=body)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


def list_page(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/v1/users", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_identify_new_user_returns_200_and_the_merged_user(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a user id never seen before
    user_id = new_user_id("identify")
    sent = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "avatar": "https://example.com/ada.png",
        "phone_number": "+447700900123",
        "timezone": "Europe/London",
        "locale": "en-GB",
        "created_at": "2024-05-22T12:00:00Z",
        "plan": "pro",
        "prefs": {"theme": "dark"},
    }

    # When it is identified
    response = http.put(f"/v1/users/{user_id}", json=sent)

    # Then the answer is the User: reserved fields, updated_at, custom keys at the top level
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    user = response.json()
    updated_at = datetime.fromisoformat(user.pop("updated_at"))
    assert user == {"__typename": "User", "id": user_id, **sent}
    assert updated_at.tzinfo is not None
    assert abs(datetime.now(UTC) - updated_at) < timedelta(minutes=5)


def test_identify_without_reserved_fields_returns_them_as_null(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a new user id
    user_id = new_user_id("identify-custom")

    # When only a custom property is sent
    user = identify(http, user_id, {"plan": "free"})

    # Then every reserved field is present and null (created_at is never filled in by the service)
    assert {key: value for key, value in user.items() if key != "updated_at"} == {**blank_user(user_id), "plan": "free"}


def test_identify_existing_user_merges_shallowly(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a user with reserved, custom and nested properties
    user_id = new_user_id("merge")
    identify(
        http,
        user_id,
        {"name": "Ada", "email": "ada@example.com", "plan": "pro", "prefs": {"theme": "dark", "font": {"size": 12}}},
    )

    # When a second identify sends a nested object, a null reserved field and a new null custom key
    merged = identify(http, user_id, {"prefs": {"font": {"size": 14}}, "email": None, "seats": None})

    # Then each key sent replaced its whole value, keys not sent were kept, and nulls are stored as null
    expected = {"name": "Ada", "email": None, "plan": "pro", "prefs": {"font": {"size": 14}}, "seats": None}
    assert {key: merged[key] for key in expected} == expected
    assert "seats" in merged
    stored = http.get(f"/v1/users/{user_id}").json()
    assert stored == merged


def test_identify_exotic_custom_values_round_trip_exactly(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a user id and properties written as raw JSON text: exact decimals, 1e400, ints past 2^63,
    # unicode (names too), NUL, empty values and an object nested 45 levels deep
    user_id = new_user_id("exotic")

    # When they are identified
    response = http.put(
        f"/v1/users/{user_id}", content=EXOTIC_PROPERTIES.encode(), headers={"content-type": "application/json"}
    )

    # Then the answer and a later GET give back every value exactly, digit for digit
    assert response.status_code == 200, response.text
    sent = exact_json(EXOTIC_PROPERTIES)
    returned = exact_json(response.text)
    assert {key: returned[key] for key in sent} == sent
    stored_text = http.get(f"/v1/users/{user_id}").text
    stored = exact_json(stored_text)
    assert {key: stored[key] for key in sent} == sent
    # and each number's text as written, not just an equal value (1e400, not 1E+400)
    for number in (
        '"huge":1e400',
        '"trailing_zero":2.50',
        '"negative_zero":-0.0',
        '"beyond_2_63":123456789012345678901234567890',
    ):
        assert number in response.text and number in stored_text


def test_get_identified_user_returns_200_and_same_user(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given an identified user
    user_id = new_user_id("get")
    identified = identify(http, user_id, {"name": "Grace", "team": {"name": "compilers"}})

    # When it is read
    response = http.get(f"/v1/users/{user_id}")

    # Then it is the user the identify returned
    assert response.status_code == 200
    assert response.json() == identified


def test_get_unknown_user_returns_404_knock_error(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given an id that was never identified
    user_id = new_user_id("nobody")

    # When it is read
    response = http.get(f"/v1/users/{user_id}")

    # Then the answer is a Knock-shaped 404
    assert_knock_error(response, 404, "resource_missing")


def test_delete_existing_user_returns_204_and_removes_it(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given an identified user
    user_id = new_user_id("delete")
    identify(http, user_id, {"name": "Temp"})

    # When it is deleted
    response = http.delete(f"/v1/users/{user_id}")

    # Then the answer is an empty 204 and the user is gone
    assert response.status_code == 204
    assert response.content == b""
    assert_knock_error(http.get(f"/v1/users/{user_id}"), 404, "resource_missing")


def test_delete_deleted_user_returns_404_knock_error(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a user that was identified and deleted
    user_id = new_user_id("delete-twice")
    identify(http, user_id, {"name": "Temp"})
    assert http.delete(f"/v1/users/{user_id}").status_code == 204

    # When it is deleted again
    response = http.delete(f"/v1/users/{user_id}")

    # Then the answer is a Knock-shaped 404
    assert_knock_error(response, 404, "resource_missing")


def test_identify_after_delete_starts_blank(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given a user with properties that was then deleted
    user_id = new_user_id("reborn")
    identify(http, user_id, {"name": "Old", "email": "old@example.com", "plan": "pro"})
    assert http.delete(f"/v1/users/{user_id}").status_code == 204

    # When the same id is identified again
    user = identify(http, user_id, {"seats": 3})

    # Then nothing of the old user is left
    assert {key: value for key, value in user.items() if key != "updated_at"} == {**blank_user(user_id), "seats": 3}


def test_list_page_size_2_visits_every_user_exactly_once(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given five identified users
    created = {new_user_id("list") for _ in range(5)}
    for user_id in created:
        identify(http, user_id, {"plan": "list"})

    # When every page of two is read, following page_info.after until it is null
    seen: list[str] = []
    params: dict[str, Any] = {"page_size": 2}
    for _ in range(5000):
        page = list_page(http, **params)
        assert len(page["entries"]) <= 2
        assert page["page_info"]["__typename"] == "PageInfo"
        assert page["page_info"]["page_size"] == 2
        assert all(entry["__typename"] == "User" for entry in page["entries"])
        seen.extend(entry["id"] for entry in page["entries"])
        if page["page_info"]["after"] is None:
            break
        params = {"page_size": 2, "after": page["page_info"]["after"]}
    else:
        pytest.fail("page_info.after never became null")

    # Then no user appeared twice and every created user appeared
    assert len(seen) == len(set(seen))
    assert created <= set(seen)


def test_list_before_cursor_returns_previous_page(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given at least three users and the first two pages of two
    for user_id in (new_user_id("before") for _ in range(3)):
        identify(http, user_id, {"plan": "before"})
    first = list_page(http, page_size=2)
    second = list_page(http, page_size=2, after=first["page_info"]["after"])
    assert second["page_info"]["before"] is not None

    # When the page before the second page is read
    previous = list_page(http, page_size=2, before=second["page_info"]["before"])

    # Then it is the first page again, and its after cursor leads to the second page
    assert [entry["id"] for entry in previous["entries"]] == [entry["id"] for entry in first["entries"]]
    assert previous["page_info"]["before"] is None
    again = list_page(http, page_size=2, after=previous["page_info"]["after"])
    assert [entry["id"] for entry in again["entries"]] == [entry["id"] for entry in second["entries"]]


@pytest.mark.parametrize("page_size", ["0", "51", "abc"])
def test_list_invalid_page_size_returns_422(http: httpx.Client, page_size: str) -> None:
    # When a page size outside 1-50, or not a number, is asked for
    response = http.get("/v1/users", params={"page_size": page_size})

    # Then the answer names page_size
    assert_knock_error(response, 422, "invalid_params", {"page_size"})


@pytest.mark.parametrize(
    ("parameter", "cursor"),
    [("after", "not-a-cursor"), ("before", "%%%"), ("after", "Wzk5LCJ4Il0")],  # the last is [99,"x"]: no such shard
)
def test_list_bad_cursor_returns_422(http: httpx.Client, parameter: str, cursor: str) -> None:
    # When a cursor this API never returned is sent
    response = http.get("/v1/users", params={parameter: cursor})

    # Then the answer names the parameter
    assert_knock_error(response, 422, "invalid_params", {parameter})


def test_list_after_and_before_together_returns_422(http: httpx.Client) -> None:
    # Given a real cursor
    cursor = list_page(http, page_size=1)["page_info"]["after"] or "Wzk5LCJ4Il0"

    # When it is sent as both after and before
    response = http.get("/v1/users", params={"after": cursor, "before": cursor})

    # Then the answer says they cannot be combined
    assert_knock_error(response, 422, "invalid_params", {"before"})
