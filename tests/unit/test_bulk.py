"""Row validation and chunking of bulk operations (pure code, no AWS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from recipients.bulk import chunk_rows, validate_delete_ids, validate_identify_rows, validate_set_object_rows
from recipients.models import BulkRow

TOO_DEEP = json.loads("[" * 101 + "]" * 101)


def test_validate_set_object_rows_takes_the_collection_from_the_path_and_keeps_it_out_of_the_body() -> None:
    rows = [{"id": "p1", "name": "Apollo", "budget": 100}, {"id": "p2", "collection": "projects", "name": "Gemini"}]

    valid, rejected = validate_set_object_rows("projects", rows)

    assert rejected == []
    assert valid == [
        BulkRow(index=0, id="p1", body={"name": "Apollo", "budget": 100}),
        BulkRow(index=1, id="p2", body={"name": "Gemini"}),
    ]


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ({"id": "p1", "collection": "teams"}, "collection", "must equal the collection in the path"),
        ({"id": "p1", "collection": "$tenants"}, "collection", "must not start with '$'"),
        ({"id": "p1", "collection": None}, "collection", "valid string"),
        ({"id": "a#b"}, "id", "must not contain '#'"),
        ({"id": "p1", "timezone": "Mars/Base"}, "timezone", "tz database"),
        ({"id": "p1", "created_at": "yesterday"}, "created_at", "ISO-8601"),
        ({"name": "no id"}, "id", "required"),
        ({"id": "p1", "deep": TOO_DEEP}, "deep", "100 levels"),
    ],
    ids=[
        "other-collection",
        "reserved-collection",
        "null-collection",
        "hash-id",
        "timezone",
        "created-at",
        "no-id",
        "deep",
    ],
)
def test_validate_set_object_rows_bad_row_is_an_error_item_with_the_collection_and_why(
    row: dict[str, Any], field: str, reason: str
) -> None:
    valid, rejected = validate_set_object_rows("projects", [{"id": "ok"}, row])

    assert [item.id for item in valid] == ["ok"]
    assert len(rejected) == 1
    item = rejected[0]
    assert (item.id, item.collection, item.index) == (row.get("id", ""), "projects", 1)
    assert [error.field for error in item.errors] == [field]
    assert reason in item.reason


def test_validate_set_object_rows_row_that_is_not_an_object_is_an_error_item() -> None:
    valid, rejected = validate_set_object_rows("projects", ["p1", None])

    assert valid == []
    assert [(item.id, item.collection, item.index) for item in rejected] == [("", "projects", 0), ("", "projects", 1)]
    assert all("JSON object" in item.reason for item in rejected)


def test_validate_identify_rows_keeps_a_collection_key_as_a_custom_property_of_the_user() -> None:
    valid, rejected = validate_identify_rows([{"id": "u1", "collection": "projects"}])

    assert rejected == []
    assert valid == [BulkRow(index=0, id="u1", body={"collection": "projects"})]


def test_validate_delete_ids_with_a_collection_reports_it_on_each_error_item() -> None:
    valid, rejected = validate_delete_ids(["p1", "a/b", 7], "projects")

    assert valid == [BulkRow(index=0, id="p1")]
    assert [(item.id, item.collection, item.index, item.errors[0].field) for item in rejected] == [
        ("a/b", "projects", 1, "id"),
        ("", "projects", 2, "id"),
    ]


def test_validate_delete_ids_of_users_have_no_collection() -> None:
    _, rejected = validate_delete_ids(["a#b"])

    assert rejected[0].collection is None


def test_chunk_rows_carries_action_and_collection_on_every_chunk() -> None:
    rows = [BulkRow(index=index, id=f"p{index}", body={"n": index}) for index in range(250)]

    chunks = chunk_rows("op-1", "set_object", rows, "projects")

    assert [len(chunk.rows) for chunk in chunks] == [100, 100, 50]
    assert {(chunk.action, chunk.collection) for chunk in chunks} == {("set_object", "projects")}
    assert [chunk.chunk_index for chunk in chunks] == [0, 1, 2]


def test_chunk_rows_of_users_have_no_collection() -> None:
    chunks = chunk_rows("op-1", "identify", [BulkRow(index=0, id="u1", body={})])

    assert [(chunk.action, chunk.collection) for chunk in chunks] == [("identify", None)]
