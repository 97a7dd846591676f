"""Row validation and chunking of bulk operations (pure code, no AWS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from recipients.bulk.models import BulkRow
from recipients.bulk.rows import MAX_MESSAGE_BYTES, chunk_rows
from recipients.bulk.validation import validate_ids
from recipients.kernel import jsontext
from recipients.objects.bulk import validate_set_object_rows
from recipients.users.bulk import validate_identify_rows

TOO_DEEP = json.loads("[" * 101 + "]" * 101)

C1 = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
C2 = "aef6e715-df82-4ab6-b61e-b743e249f7b6"


def test_validate_set_object_rows_takes_the_collection_from_the_path_and_keeps_it_out_of_the_body() -> None:
    rows = [{"id": "p1", "name": "Apollo", "budget": 100}, {"id": "p2", "collection": "projects", "name": "Gemini"}]

    valid, rejected = validate_set_object_rows("projects", rows)

    assert rejected == []
    assert valid == [
        BulkRow(indices=[0], id="p1", attributes={"prop:name": '"Apollo"', "prop:budget": "100"}),
        BulkRow(indices=[1], id="p2", attributes={"prop:name": '"Gemini"'}),
    ]


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ({"id": "p1", "collection": "teams"}, "collection", "must equal the collection in the path"),
        ({"id": "p1", "collection": "$system"}, "collection", "must not start with '$'"),
        ({"id": "p1", "collection": None}, "collection", "must be a string"),
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
    assert valid == [BulkRow(indices=[0], id="u1", attributes={"prop:collection": '"projects"'})]


def test_validate_ids_with_a_collection_reports_it_on_each_error_item() -> None:
    valid, rejected = validate_ids(["p1", "a/b", 7], "projects")

    assert valid == [BulkRow(indices=[0], id="p1")]
    assert [(item.id, item.collection, item.index, item.errors[0].field) for item in rejected] == [
        ("a/b", "projects", 1, "id"),
        ("", "projects", 2, "id"),
    ]


def test_validate_ids_of_users_have_no_collection() -> None:
    _, rejected = validate_ids(["a#b"])

    assert rejected[0].collection is None


def test_chunk_rows_carries_action_and_collection_on_every_chunk() -> None:
    rows = [BulkRow(indices=[index], id=f"p{index}", attributes={"prop:n": str(index)}) for index in range(250)]

    chunks = chunk_rows("op-1", "set_object", rows, "projects")

    assert [len(chunk.rows) for chunk in chunks] == [100, 100, 50]
    assert {(chunk.action, chunk.collection) for chunk in chunks} == {("set_object", "projects")}
    assert [chunk.chunk_index for chunk in chunks] == [0, 1, 2]


def test_chunk_rows_of_users_have_no_collection() -> None:
    chunks = chunk_rows("op-1", "identify", [BulkRow(indices=[0], id="u1", attributes={})])

    assert [(chunk.action, chunk.collection) for chunk in chunks] == [("identify", None)]


def test_rows_of_one_id_become_one_write_of_what_applying_them_in_order_gives() -> None:
    # Given three rows of u1 around a row of u2: keys replaced, kept, nulled, and channels merged by channel
    rows = [
        {"id": "u1", "name": "First", "prefs": {"a": 1}, "channel_data": {C1: {"tokens": ["t1"]}}},
        {"id": "u2", "name": "Other"},
        {"id": "u1", "prefs": {"b": 2}, "email": None, "channel_data": {C2: {"tokens": ["t2"]}}},
        {"id": "u1", "name": "Third", "channel_data": {C1: {"tokens": ["t3"]}}},
    ]

    valid, rejected = validate_identify_rows(rows)

    # Then u1 is one row standing for its three, with the last value of each key, in first-seen order
    assert rejected == []
    assert [(row.id, row.indices) for row in valid] == [("u1", [0, 2, 3]), ("u2", [1])]
    assert valid[0].attributes == {
        "prop:name": '"Third"',
        "prop:prefs": '{"b":2}',
        f"chan:{C1}": '{"tokens":["t3"],"devices":[{"token":"t3","locale":null,"timezone":null}]}',
        "prop:email": "null",
        f"chan:{C2}": '{"tokens":["t2"],"devices":[{"token":"t2","locale":null,"timezone":null}]}',
    }


@pytest.mark.parametrize(
    ("rows", "kilobytes"),
    [
        ([{"id": "u", "blob": "x" * 240_000} for _ in range(5)], 240),
        ([{"id": "u", f"k{index}": "y" * 1_000} for index in range(250)], 250),
        ([{"id": "u", "k": "z" * 1_000, "n": index} for index in range(1_000)], 1),
    ],
    ids=["five-rows-of-240-kb", "250-rows-of-distinct-1-kb-keys", "1000-rows-of-1-kb"],
)
def test_rows_of_one_id_past_what_one_message_holds_together_travel_as_one_row(
    rows: list[dict[str, Any]], kilobytes: int
) -> None:
    valid, rejected = validate_identify_rows(rows)
    chunks = chunk_rows("op-1", "identify", valid)

    assert rejected == []
    assert [len(row.indices) for row in valid] == [len(rows)]
    assert len(chunks) == 1
    assert len(chunks[0].to_json().encode()) <= MAX_MESSAGE_BYTES


def test_rows_of_one_id_that_together_pass_one_item_are_each_rejected_with_why() -> None:
    rows = [{"id": "ok"}, {"id": "big", "a": "x" * 200_000}, {"id": "big", "b": "y" * 210_000}]

    valid, rejected = validate_identify_rows(rows)

    assert [row.id for row in valid] == ["ok"]
    assert [(item.id, item.index, item.errors[0].field) for item in rejected] == [
        ("big", 1, "properties"),
        ("big", 2, "properties"),
    ]
    assert "400 KB" in rejected[0].reason


def test_the_largest_row_that_can_be_written_fits_one_queue_message() -> None:
    # Given rows of one id coalescing to almost a whole 400 KB item, of the characters JSON escapes most
    rows = [
        {"id": "u", "quotes": '"' * 120_000},
        {"id": "u", "slashes": "\\" * 60_000},
        {"id": "u", "controls": "\x01" * 6_000},
    ]

    valid, rejected = validate_identify_rows(rows)

    assert rejected == []
    (chunk,) = chunk_rows("op-1", "identify", valid)
    assert len(chunk.to_json().encode()) <= MAX_MESSAGE_BYTES
    assert jsontext.loads(chunk.to_json())["rows"][0]["attributes"]["prop:quotes"] == jsontext.dumps('"' * 120_000)


def test_validate_ids_listed_twice_is_one_delete_standing_for_both() -> None:
    valid, rejected = validate_ids(["a", "b", "a", "a#"])

    assert [(row.id, row.indices) for row in valid] == [("a", [0, 2]), ("b", [1])]
    assert [item.index for item in rejected] == [3]


def test_queued_chunks_carry_no_empty_fields_so_a_thousand_identify_rows_take_ten_messages() -> None:
    # Given a thousand identify rows of about 240 bytes each, as the bench sends them
    rows, _ = validate_identify_rows(
        [
            {"id": f"user-{index:04d}", "name": f"User {index}", "email": f"u{index}@example.com", "plan": "pro"}
            for index in range(1000)
        ]
    )

    # When they are cut into queue messages
    chunks = chunk_rows("op-1", "identify", rows)

    # Then no field a row does not use is sent (null edits, groups), and each message holds 100 rows
    assert [len(chunk.rows) for chunk in chunks] == [100] * 10
    assert all("null" not in chunk.to_json() for chunk in chunks)
    assert BulkRow.model_validate(json.loads(chunks[0].to_json())["rows"][0]) == chunks[0].rows[0]
