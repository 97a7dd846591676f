"""The official knockapi SDK's objects calls, pointed at the API with base_url, work unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import knockapi
import pytest
from knockapi import Knock

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewCollection = Callable[[str], str]


def test_set_with_custom_properties_returns_the_object_and_merges_shallowly(
    knock: Knock, new_collection: NewCollection
) -> None:
    # Given an object set with a reserved field and custom properties (through extra_body)
    collection = new_collection("sdk-projects")
    knock.objects.set(collection, "proj_1", name="Apollo", extra_body={"budget": 100, "meta": {"a": 1, "b": 2}})

    # When it is set again with another reserved field, a nested custom key and a new key
    saved = knock.objects.set(
        collection, "proj_1", timezone="America/New_York", extra_body={"meta": {"a": 9}, "seats": 3}
    )

    # Then the SDK parses the Object: properties hold name and custom keys, nested objects replaced whole
    assert (saved.api_typename, saved.id, saved.collection) == ("Object", "proj_1", collection)
    assert saved.properties == {
        "name": "Apollo",
        "timezone": "America/New_York",
        "budget": 100,
        "meta": {"a": 9},
        "seats": 3,
    }
    assert saved.created_at is None
    assert saved.updated_at.tzinfo is not None


def test_get_returns_the_object_as_set(knock: Knock, new_collection: NewCollection) -> None:
    # Given an object set with a created_at
    collection = new_collection("sdk-get")
    created_at = datetime(2024, 5, 22, 12, 0, tzinfo=UTC)
    saved = knock.objects.set(collection, "p1", name="Gemini", extra_body={"created_at": created_at.isoformat()})

    # When it is read through the SDK
    fetched = knock.objects.get(collection, "p1")

    # Then it is the same object, created_at parsed as the same instant
    assert fetched == saved
    assert fetched.created_at == created_at
    assert fetched.properties == {"name": "Gemini"}


def test_set_and_get_ids_with_reserved_characters_round_trip(knock: Knock, new_collection: NewCollection) -> None:
    # Given a collection and an id with characters the SDK percent-encodes (and some it leaves literal)
    collection = new_collection("sdk enc:@")
    object_id = f"obj \u00fcn\u00efc\u00f8d\u00e9:{datetime.now(UTC).timestamp()}@+!%"

    # When the object is set and read back through the SDK
    knock.objects.set(collection, object_id, name="Encoded")
    fetched = knock.objects.get(collection, object_id)

    # Then both are stored exactly as given
    assert (fetched.collection, fetched.id) == (collection, object_id)


def test_list_with_small_pages_iterates_every_object_of_the_collection_once(
    knock: Knock, new_collection: NewCollection
) -> None:
    # Given five objects in a collection and one in another
    collection, other = new_collection("sdk-list"), new_collection("sdk-other")
    ids = {f"p{index}" for index in range(5)}
    for object_id in ids:
        knock.objects.set(collection, object_id, extra_body={"n": object_id})
    knock.objects.set(other, "p0")

    # When the SDK auto-paginates through pages of two (it follows page_info.after)
    first_page = knock.objects.list(collection, page_size=2)
    listed = list(first_page)

    # Then there were several pages, and every object of the collection came once, with its properties
    assert len(first_page.entries) == 2 and first_page.has_next_page()
    assert sorted(entry.id for entry in listed) == sorted(ids)
    assert all((entry.collection, entry.properties) == (collection, {"n": entry.id}) for entry in listed)


def test_list_include_preferences_is_accepted(knock: Knock, new_collection: NewCollection) -> None:
    collection = new_collection("sdk-include")
    knock.objects.set(collection, "p1", preferences={"default": {"categories": {"marketing": False}}})

    listed = list(knock.objects.list(collection, include=["preferences"]))

    assert [entry.id for entry in listed] == ["p1"]


def test_delete_then_get_raises_not_found(knock: Knock, new_collection: NewCollection) -> None:
    # Given an object
    collection = new_collection("sdk-delete")
    knock.objects.set(collection, "p1", name="Temp")

    # When it is deleted through the SDK (a 204, which the SDK returns as None)
    knock.objects.delete(collection, "p1")

    # Then reading it, or deleting it again, raises NotFoundError with a Knock body
    with pytest.raises(knockapi.NotFoundError) as raised:
        knock.objects.get(collection, "p1")
    assert isinstance(raised.value.body, dict)
    assert raised.value.body["code"] == "resource_missing"
    with pytest.raises(knockapi.NotFoundError):
        knock.objects.delete(collection, "p1")


@pytest.mark.parametrize(
    ("collection", "fields", "field"),
    [("$system", {"name": "x"}, "collection"), ("projects", {"timezone": "Mars/Olympus_Mons"}, "timezone")],
    ids=["reserved-collection", "timezone"],
)
def test_set_invalid_collection_or_field_raises_unprocessable_entity_naming_it(
    knock: Knock, collection: str, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.objects.set(collection, "p1", **fields)  # type: ignore[arg-type]

    assert isinstance(raised.value.body, dict)
    assert [error["field"] for error in raised.value.body["errors"]] == [field]


def test_bulk_set_then_poll_until_completed(knock: Knock, new_collection: NewCollection) -> None:
    # Given 20 objects with custom keys, one with an id the rules refuse
    collection = new_collection("sdk-bulk")
    rows = [{"id": f"p{index}", "name": f"Project {index}", "rank": index} for index in range(19)]
    rows.append({"id": "bad#id", "name": "Refused"})

    # When they are set in bulk through the SDK and the operation is polled
    queued = knock.objects.bulk.set(collection, objects=rows)  # type: ignore[arg-type]  # custom keys ride along
    finished = wait_for_operation(knock, queued.id)

    # Then the SDK parses every answer, counts are exact, and the bad row names its collection and why
    assert (queued.api_typename, queued.name, queued.status, queued.estimated_total_rows) == (
        "BulkOperation",
        "objects.bulk_set",
        "queued",
        20,
    )
    assert (finished.status, finished.processed_rows, finished.success_count, finished.error_count) == (
        "completed",
        20,
        19,
        1,
    )
    assert finished.error_items is not None
    assert (finished.error_items[0].id, finished.error_items[0].collection) == ("bad#id", collection)
    assert "#" in (finished.error_items[0].model_extra or {})["reason"]
    assert knock.objects.get(collection, "p7").properties == {"name": "Project 7", "rank": 7}


def test_bulk_delete_then_poll_until_completed(knock: Knock, new_collection: NewCollection) -> None:
    collection = new_collection("sdk-bulk-delete")
    for object_id in ("p1", "p2", "p3"):
        knock.objects.set(collection, object_id, name="Doomed")

    finished = wait_for_operation(knock, knock.objects.bulk.delete(collection, object_ids=["p1", "p2", "p3"]).id)

    assert (finished.name, finished.status, finished.success_count) == ("objects.bulk_delete", "completed", 3)
    assert list(knock.objects.list(collection)) == []
