"""Defects once found by probing the running API, each checked again over real HTTP against the local API.

Every test here failed on the API as it was before its fix: one bad row failing a whole bulk call,
rows of one id that no message could hold, more keys than moto's parser took, polls that listed
fewer error items than the first answer, objects nesting their properties on every round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.support import assert_knock_error, finished_operation

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
NewCollection = Callable[[str], str]
LONE_SURROGATE = '"\\udc00"'
"""A lone surrogate as JSON sends it: an escape that parses, but that no UTF-8 can carry."""


def post_raw(http: httpx.Client, path: str, text: str, **headers: str) -> httpx.Response:
    return http.post(path, content=text.encode(), headers={"content-type": "application/json", **headers})


def test_one_row_with_a_lone_surrogate_id_is_rejected_alone_and_999_good_rows_are_written(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    # Given 999 good rows and one whose id is a lone surrogate, as raw JSON
    prefix = new_user_id("lone")
    good = ",".join(f'{{"id": "{prefix}-{index}", "n": {index}}}' for index in range(999))

    # When they are bulk identified
    response = post_raw(http, "/v1/users/bulk/identify", f'{{"users": [{good}, {{"id": {LONE_SURROGATE}}}]}}')

    # Then the call is answered, the bad row alone is listed, and every good row is written
    assert response.status_code == 200, response.text
    queued = response.json()
    assert [(item["index"], item["errors"][0]["field"]) for item in queued["error_items"]] == [(999, "id")]
    final = finished_operation(http, queued)
    assert (final["status"], final["success_count"], final["error_count"]) == ("completed", 999, 1)
    assert http.get(f"/v1/users/{prefix}-998").json()["n"] == 998


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/v1/users/{id}", f'{{"name": {LONE_SURROGATE}}}', "name"),
        (
            "/v1/workflows/new-comment/trigger",
            f'{{"recipients": [{{"id": "{{id}}", "bio": {LONE_SURROGATE}}}]}}',
            "recipients.0.bio",
        ),
    ],
    ids=["identify", "trigger"],
)
def test_a_lone_surrogate_anywhere_else_is_a_422_naming_where(
    http: httpx.Client, new_user_id: NewUserId, path: str, text: str, field: str
) -> None:
    user_id = new_user_id("lone")
    method = "PUT" if path.startswith("/v1/users") else "POST"
    response = http.request(
        method,
        path.replace("{id}", user_id),
        content=text.replace("{id}", user_id).encode(),
        headers={"content-type": "application/json"},
    )

    assert_knock_error(response, 422, "invalid_params", {field})
    assert http.get(f"/v1/users/{user_id}").status_code == 404


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"blob": str(index) * 240_000} for index in range(5)], {"blob": "4" * 240_000}),
        ([{"k": "v" * 1_000, "n": index} for index in range(1_000)], {"k": "v" * 1_000, "n": 999}),
    ],
    ids=["five-rows-of-240-kb", "1000-rows-of-1-kb"],
)
def test_rows_of_one_id_past_one_message_are_written_in_order(
    http: httpx.Client, new_user_id: NewUserId, rows: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    user_id = new_user_id("one-id")

    response = http.post("/v1/users/bulk/identify", json={"users": [{"id": user_id, **row} for row in rows]})

    assert response.status_code == 200, response.text
    final = finished_operation(http, response.json())
    assert (final["status"], final["success_count"], final["error_count"]) == ("completed", len(rows), 0)
    stored = http.get(f"/v1/users/{user_id}").json()
    assert {key: stored[key] for key in expected} == expected


def test_a_bulk_row_with_200_keys_and_an_identify_with_250_are_written_whole(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    bulk_id, put_id = new_user_id("keys-200"), new_user_id("keys-250")

    response = http.post(
        "/v1/users/bulk/identify", json={"users": [{"id": bulk_id, **{f"k{i}": i for i in range(200)}}]}
    )
    identified = http.put(f"/v1/users/{put_id}", json={f"k{i}": i for i in range(250)})

    assert response.status_code == 200, response.text
    assert finished_operation(http, response.json())["success_count"] == 1
    assert identified.status_code == 200, identified.text
    for user_id, keys in ((bulk_id, 200), (put_id, 250)):
        stored = http.get(f"/v1/users/{user_id}").json()
        assert [stored[f"k{i}"] for i in range(keys)] == list(range(keys))


def test_identify_of_251_keys_is_a_422_naming_the_limit(http: httpx.Client, new_user_id: NewUserId) -> None:
    user_id = new_user_id("keys-251")

    response = http.put(f"/v1/users/{user_id}", json={f"k{i}": i for i in range(251)})

    assert_knock_error(response, 422, "invalid_params", {"properties"})
    assert "250" in response.json()["message"]


def test_merge_of_300_keys_the_user_lacks_succeeds(http: httpx.Client, new_user_id: NewUserId) -> None:
    user_id, guest_id = new_user_id("merge-into"), new_user_id("merge-guest")
    assert http.put(f"/v1/users/{user_id}", json={"name": "Ada"}).status_code == 200
    for half in ("a", "b"):
        assert http.put(f"/v1/users/{guest_id}", json={f"{half}{i}": i for i in range(150)}).status_code == 200

    response = http.post(f"/v1/users/{user_id}/merge", json={"from_user_id": guest_id})

    assert response.status_code == 200, response.text
    merged = response.json()
    assert (merged["name"], merged["a0"], merged["b149"]) == ("Ada", 0, 149)
    assert http.get(f"/v1/users/{guest_id}").status_code == 404


def test_polling_an_operation_of_999_bad_rows_lists_all_999(http: httpx.Client, new_user_id: NewUserId) -> None:
    prefix = new_user_id("bad")
    rows = [{"id": f"{prefix}#{index}", "email": "not an address " + "x" * 100} for index in range(999)]

    response = http.post("/v1/users/bulk/identify", json={"users": rows})
    polled = http.get(f"/v1/bulk_operations/{response.json()['id']}").json()

    for body in (response.json(), polled):
        assert [item["index"] for item in body["error_items"]] == list(range(999))
        assert (body["status"], body["error_count"], body["unlisted_error_count"]) == ("completed", 999, 0)


def test_bulk_identify_with_an_answer_too_large_for_a_record_is_replayed_not_queued_again(
    http: httpx.Client, new_user_id: NewUserId
) -> None:
    prefix = new_user_id("replay")
    rows: list[dict[str, Any]] = [{"id": f"{prefix}#{index}-" + "x" * 200} for index in range(999)]
    rows.append({"id": f"{prefix}-good", "name": "Good"})

    first = http.post("/v1/users/bulk/identify", json={"users": rows}, headers={"idempotency-key": prefix})
    second = http.post("/v1/users/bulk/identify", json={"users": rows}, headers={"idempotency-key": prefix})

    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert finished_operation(http, first.json())["success_count"] == 1


def test_an_object_put_back_as_get_returned_it_is_unchanged(http: httpx.Client, new_collection: NewCollection) -> None:
    collection = new_collection("round-trip")
    assert http.put(f"/v1/objects/{collection}/o1", json={"name": "Apollo", "budget": 100}).status_code == 200
    read = http.get(f"/v1/objects/{collection}/o1").json()

    for _ in range(3):
        assert http.put(f"/v1/objects/{collection}/o1", json=read).status_code == 200

    again = http.get(f"/v1/objects/{collection}/o1").json()
    assert again["properties"] == {"name": "Apollo", "budget": 100}


def test_an_id_that_is_not_a_uuid_names_no_bulk_operation(http: httpx.Client) -> None:
    assert_knock_error(http.get("/v1/bulk_operations/notauuid"), 404, "resource_missing")


def test_a_workflow_key_starting_with_a_dash_is_accepted(http: httpx.Client, new_user_id: NewUserId) -> None:
    response = http.post("/v1/workflows/-lead/trigger", json={"recipients": [{"id": new_user_id("dash")}]})

    assert response.status_code == 200, response.text
