"""Set, get, delete, list, bulk set and bulk delete objects over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import PATH_SAFE
from tests.integration.support import assert_knock_error, exact_json, finished_operation

pytestmark = pytest.mark.integration

NewCollection = Callable[[str], str]


def set_object(http: httpx.Client, collection: str, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.put(f"/v1/objects/{collection}/{object_id}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def list_all(http: httpx.Client, collection: str, page_size: int) -> list[list[dict[str, Any]]]:
    """Every page of a collection, following page_info.after until it is null."""
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {"page_size": page_size}
    for _ in range(1000):
        response = http.get(f"/v1/objects/{collection}", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"entries", "page_info"}
        assert (page["page_info"]["__typename"], page["page_info"]["page_size"]) == ("PageInfo", page_size)
        pages.append(page["entries"])
        if page["page_info"]["after"] is None:
            return pages
        params = {"page_size": page_size, "after": page["page_info"]["after"]}
    pytest.fail("page_info.after never became null")


def test_set_new_object_returns_200_and_the_object_with_properties_nested(
    http: httpx.Client, new_collection: NewCollection
) -> None:
    # Given a collection never used before
    collection = new_collection("projects")
    sent = {"name": "Apollo", "timezone": "Europe/London", "created_at": "2024-05-22T12:00:00Z", "budget": 100}

    # When an object is set in it
    response = http.put(f"/v1/objects/{collection}/proj_1", json=sent)

    # Then the answer is the Object: name and custom keys under properties, created_at at the top
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    updated_at = datetime.fromisoformat(body.pop("updated_at"))
    assert body == {
        "__typename": "Object",
        "id": "proj_1",
        "collection": collection,
        "created_at": "2024-05-22T12:00:00Z",
        "properties": {"name": "Apollo", "timezone": "Europe/London", "budget": 100},
    }
    assert abs(datetime.now(UTC) - updated_at) < timedelta(minutes=5)


def test_set_existing_object_merges_shallowly_and_get_returns_it(
    http: httpx.Client, new_collection: NewCollection
) -> None:
    # Given an object with a nested property
    collection = new_collection("projects")
    set_object(http, collection, "p1", {"name": "Apollo", "meta": {"a": 1, "b": {"c": 2}}, "kept": True})

    # When a second set sends the nested key, a null name and a new null key
    merged = set_object(http, collection, "p1", {"meta": {"b": {"d": 3}}, "name": None, "seats": None})

    # Then each key sent replaced its whole value, the others were kept, and GET agrees
    assert merged["properties"] == {"name": None, "meta": {"b": {"d": 3}}, "kept": True, "seats": None}
    assert http.get(f"/v1/objects/{collection}/p1").json() == merged


def test_set_exotic_values_round_trip_exactly(http: httpx.Client, new_collection: NewCollection) -> None:
    collection = new_collection("exotic")
    text = '{"tiny": 0.1000000000000000055511151231257827, "huge": 1e400, "big": 123456789012345678901234567890}'

    response = http.put(
        f"/v1/objects/{collection}/x", content=text.encode(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert exact_json(response.text)["properties"] == exact_json(text)
    assert exact_json(http.get(f"/v1/objects/{collection}/x").text)["properties"] == exact_json(text)


@pytest.mark.parametrize(
    ("collection", "object_id"),
    [("space projects", "\u00fc ser:@+!$&'()*,;="), ("%25", "caf\u00e9 \U0001f600"), ("a:b", "%2F")],
)
def test_set_percent_encoded_collection_and_id_decode_exactly_once(
    http: httpx.Client, collection: str, object_id: str
) -> None:
    # Given a collection and id sent percent-encoded the way the SDK encodes path segments
    path = f"/v1/objects/{quote(collection, safe=PATH_SAFE)}/{quote(object_id, safe=PATH_SAFE)}"

    # When the object is set and read back
    try:
        written = http.put(path, json={"name": "Encoded"})
        read = http.get(path)
    finally:
        http.delete(path)

    # Then both are stored as the decoded segments, decoded once
    assert written.status_code == 200, written.text
    assert (written.json()["collection"], written.json()["id"]) == (collection, object_id)
    assert (read.json()["collection"], read.json()["id"]) == (collection, object_id)


@pytest.mark.parametrize("collection", ["$system", "a%23b", "a%2Fb", "%20"], ids=["system", "hash", "slash", "blank"])
def test_set_invalid_collection_returns_422_naming_it(http: httpx.Client, collection: str) -> None:
    response = http.put(f"/v1/objects/{collection}/p1", json={"name": "x"})

    assert_knock_error(response, 422, "invalid_params", {"collection"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"locale": "not a locale"}, "locale"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"id": "someone_else"}, "id"),
        ({"collection": "teams"}, "collection"),
        ({"collection": "$system"}, "collection"),
    ],
)
def test_set_invalid_field_returns_422_and_writes_nothing(
    http: httpx.Client, new_collection: NewCollection, body: dict[str, Any], field: str
) -> None:
    collection = new_collection("invalid")

    response = http.put(f"/v1/objects/{collection}/p1", json={"name": "x", **body})

    assert_knock_error(response, 422, "invalid_params", {field})
    assert_knock_error(http.get(f"/v1/objects/{collection}/p1"), 404, "resource_missing")


def test_get_unknown_object_returns_404(http: httpx.Client, new_collection: NewCollection) -> None:
    assert_knock_error(http.get(f"/v1/objects/{new_collection('empty')}/nobody"), 404, "resource_missing")


def test_delete_object_returns_204_then_404(http: httpx.Client, new_collection: NewCollection) -> None:
    # Given an object
    collection = new_collection("delete")
    set_object(http, collection, "p1", {"name": "Temp"})

    # When it is deleted, twice
    first = http.delete(f"/v1/objects/{collection}/p1")
    second = http.delete(f"/v1/objects/{collection}/p1")

    # Then the first is an empty 204, the object is gone, and the second is a 404
    assert (first.status_code, first.content) == (204, b"")
    assert_knock_error(http.get(f"/v1/objects/{collection}/p1"), 404, "resource_missing")
    assert_knock_error(second, 404, "resource_missing")


def test_list_pages_of_two_visit_every_object_of_the_collection_once(
    http: httpx.Client, new_collection: NewCollection
) -> None:
    # Given five objects in one collection and one in another
    collection, other = new_collection("list"), new_collection("other")
    ids = {f"p{index}" for index in range(5)}
    for object_id in ids:
        set_object(http, collection, object_id, {"n": object_id})
    set_object(http, other, "p0", {"n": "other"})

    # When every page of two is read
    pages = list_all(http, collection, page_size=2)

    # Then there are three pages holding exactly the five objects of that collection, each once
    assert [len(page) for page in pages] == [2, 2, 1]
    entries = [entry for page in pages for entry in page]
    assert sorted(entry["id"] for entry in entries) == sorted(ids)
    assert all(
        (entry["__typename"], entry["collection"], entry["properties"]) == ("Object", collection, {"n": entry["id"]})
        for entry in entries
    )


@pytest.mark.parametrize("query", [{"page_size": "51"}, {"page_size": "0"}, {"after": "not-a-cursor"}])
def test_list_bad_query_returns_422_naming_the_parameter(http: httpx.Client, query: dict[str, str]) -> None:
    response = http.get("/v1/objects/projects", params=query)

    assert_knock_error(response, 422, "invalid_params", set(query))


def test_bulk_set_then_poll_writes_valid_rows_and_lists_bad_ones_with_their_collection(
    http: httpx.Client, new_collection: NewCollection
) -> None:
    # Given 30 rows of which three break a rule
    collection = new_collection("bulk")
    rows: list[Any] = [{"id": f"p{index}", "name": f"Project {index}", "rank": index} for index in range(30)]
    rows[5] = {"id": "bad#id"}
    rows[6] = {"id": "p6", "collection": "elsewhere"}
    rows[7] = {"id": "p7", "timezone": "Mars/Olympus_Mons"}

    # When they are set in bulk and the operation is polled until it ends
    response = http.post(f"/v1/objects/{collection}/bulk/set", json={"objects": rows})
    assert response.status_code == 200, response.text
    queued = response.json()
    final = finished_operation(http, queued)

    # Then the counts are exact, every bad row is listed in the collection with why, and the rest are stored
    assert (queued["name"], queued["status"], queued["estimated_total_rows"]) == ("objects.bulk_set", "queued", 30)
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        30,
        27,
        3,
    )
    errors = sorted((item["index"], item["collection"], item["errors"][0]["field"]) for item in final["error_items"])
    assert errors == [(5, collection, "id"), (6, collection, "collection"), (7, collection, "timezone")]
    listed = [entry for page in list_all(http, collection, page_size=50) for entry in page]
    assert sorted(entry["id"] for entry in listed) == sorted(
        row["id"] for row in rows if row["id"] not in {"bad#id", "p6", "p7"}
    )
    assert http.get(f"/v1/objects/{collection}/p9").json()["properties"] == {"name": "Project 9", "rank": 9}


def test_bulk_delete_then_poll_removes_the_objects(http: httpx.Client, new_collection: NewCollection) -> None:
    # Given three objects
    collection = new_collection("bulk-delete")
    for object_id in ("p1", "p2", "p3"):
        set_object(http, collection, object_id, {"name": "Doomed"})

    # When two of them and an id never set are deleted in bulk
    response = http.post(f"/v1/objects/{collection}/bulk/delete", json={"object_ids": ["p1", "p2", "never"]})
    assert response.status_code == 200, response.text
    final = finished_operation(http, response.json())

    # Then the operation counts all three as deleted and only p3 is left
    assert (final["name"], final["status"], final["success_count"], final["error_count"]) == (
        "objects.bulk_delete",
        "completed",
        3,
        0,
    )
    assert [entry["id"] for page in list_all(http, collection, page_size=50) for entry in page] == ["p3"]


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("bulk/set", {"objects": []}, "objects"),
        ("bulk/set", {"objects": [{"id": f"p{index}"} for index in range(1001)]}, "objects"),
        ("bulk/delete", {"object_ids": []}, "object_ids"),
        ("bulk/delete", {"object_ids": [f"p{index}" for index in range(1001)]}, "object_ids"),
    ],
    ids=["set-empty", "set-1001", "delete-empty", "delete-1001"],
)
def test_bulk_with_no_rows_or_over_1000_returns_422(
    http: httpx.Client, new_collection: NewCollection, route: str, body: dict[str, Any], field: str
) -> None:
    response = http.post(f"/v1/objects/{new_collection('bulk-limits')}/{route}", json=body)

    assert_knock_error(response, 422, "invalid_params", {field})
