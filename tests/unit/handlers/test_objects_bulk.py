"""POST /v1/objects/{collection}/bulk/set and /bulk/delete end to end in-process: the objects_bulk handler,
the queue, bulk_worker and the dead-letter function, against moto (see tests/unit/bulk_queue.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from functions.bulk_dead_letter.app import lambda_handler as dead_letter_handler
from functions.bulk_worker.app import lambda_handler as worker_handler
from functions.objects_bulk.app import lambda_handler
from recipients.objects.store import get_object_store
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import drain, operation, sqs_event
from tests.unit.knock import assert_knock_error, error_fields, json_body


@pytest.fixture
def pipeline(recipients_table: str, bulk_queues: BulkQueues) -> BulkQueues:
    return bulk_queues


def bulk_set(load_event: EventLoader, context: FakeLambdaContext, collection: str, rows: list[Any]) -> dict[str, Any]:
    event = load_event("objects_bulk_set", path={"collection": collection}, body={"objects": rows})
    response = lambda_handler(event, context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def bulk_delete(load_event: EventLoader, context: FakeLambdaContext, collection: str, ids: list[Any]) -> dict[str, Any]:
    event = load_event("objects_bulk_delete", path={"collection": collection}, body={"object_ids": ids})
    response = lambda_handler(event, context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def stored_objects(collection: str) -> dict[str, dict[str, Any]]:
    """Every stored object of a collection, by id (a scan: independent of the list index)."""
    items = boto3.client("dynamodb").scan(TableName="recipients-test")["Items"]
    prefix = f"obj#{collection}#"
    found = {}
    for item in items:
        if item["pk"]["S"].startswith(prefix):
            stored = get_object_store().get_object(collection, item["id"]["S"])
            assert stored is not None
            found[stored.id] = stored.properties
    return found


def queued_messages(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])


def queue_is_empty(queue_url: str) -> bool:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return attributes["ApproximateNumberOfMessages"] == "0"


def projects(count: int) -> list[dict[str, Any]]:
    return [{"id": f"proj_{index}", "name": f"Project {index}", "rank": index} for index in range(count)]


# --- bulk set ----------------------------------------------------------------------------------------


def test_bulk_set_sample_answers_queued_operation_with_the_other_collection_row_rejected(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/objects_bulk_set.json: two objects of `projects` and one that names `teams`
    response = lambda_handler(load_event("objects_bulk_set"), lambda_context)

    assert response["statusCode"] == 200
    body = json_body(response)
    assert (body["__typename"], body["name"], body["status"]) == ("BulkOperation", "objects.bulk_set", "queued")
    assert (body["estimated_total_rows"], body["processed_rows"], body["success_count"], body["error_count"]) == (
        3,
        1,
        0,
        1,
    )
    assert body["error_items"] == [
        {
            "id": "proj_3",
            "collection": "projects",
            "index": 2,
            "reason": "collection: must equal the collection in the path",
            "errors": [{"field": "collection", "message": "must equal the collection in the path"}],
        }
    ]
    assert body["progress_path"].endswith(f"/v1/bulk_operations/{body['id']}")


def test_bulk_set_mixed_rows_writes_every_valid_row_and_ends_with_exact_counts(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given 150 rows of `projects` of which six break a rule
    rows: list[Any] = projects(150)
    rows[3] = {"id": "bad#id", "name": "x"}
    rows[10] = {"id": "proj_10", "timezone": "Mars/Base"}
    rows[20] = {"id": "proj_20", "collection": "teams"}
    rows[30] = {"id": "proj_30", "collection": "$system"}
    rows[40] = "just a string"
    rows[50] = {"name": "no id"}
    rows[60] = {"id": "proj_60", "collection": "projects", "name": "Same collection is fine"}

    # When they are set in one call and the queue is drained
    started = bulk_set(load_event, lambda_context, "projects", rows)
    drain(pipeline, lambda_context)

    # Then the six bad rows are errors of `projects` with a reason, and the other 144 are written
    assert (started["status"], started["processed_rows"], started["error_count"]) == ("queued", 6, 6)
    final = operation(started["id"])
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        150,
        144,
        6,
    )
    assert final["completed_at"] is not None and final["failed_at"] is None
    errors = {item["index"]: item for item in final["error_items"]}
    assert set(errors) == {3, 10, 20, 30, 40, 50}
    assert {item["collection"] for item in errors.values()} == {"projects"}
    assert [errors[index]["errors"][0]["field"] for index in (3, 10, 20, 30, 40, 50)] == [
        "id",
        "timezone",
        "collection",
        "collection",
        "row",
        "id",
    ]
    assert all(item["reason"] for item in errors.values())
    stored = stored_objects("projects")
    assert set(stored) == {row["id"] for index, row in enumerate(rows) if index not in errors}
    assert stored["proj_7"] == {"name": "Project 7", "rank": 7}
    assert stored["proj_60"] == {"name": "Same collection is fine"}
    assert stored_objects("teams") == {}


def test_bulk_set_chunks_carry_the_collection_and_the_set_object_action(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    bulk_set(load_event, lambda_context, "projects", projects(3))

    messages = queued_messages(pipeline.url)

    assert len(messages) == 1
    chunk = json.loads(messages[0]["Body"])
    assert (chunk["action"], chunk["collection"]) == ("set_object", "projects")
    assert [(row["indices"], row["id"], row["attributes"]) for row in chunk["rows"]] == [
        ([index], f"proj_{index}", {"prop:name": f'"Project {index}"', "prop:rank": str(index)}) for index in range(3)
    ]


def test_bulk_set_merges_shallowly_and_applies_rows_of_one_id_in_order(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a stored object with a nested property
    bulk_set(load_event, lambda_context, "projects", [{"id": "p1", "name": "Apollo", "meta": {"a": 1}, "kept": 1}])
    drain(pipeline, lambda_context)

    # When two rows of that id are set in one call
    rows = [{"id": "p1", "meta": {"b": 2}, "name": "First"}, {"id": "p1", "name": "Second"}]
    body = bulk_set(load_event, lambda_context, "projects", rows)
    drain(pipeline, lambda_context)

    # Then the keys sent replaced whole values, in row order, and the rest was kept
    assert operation(body["id"])["success_count"] == 2
    assert stored_objects("projects") == {"p1": {"name": "Second", "meta": {"b": 2}, "kept": 1}}


def test_bulk_set_keeps_numbers_exact(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    text = '{"objects": [{"id": "exact", "n": 0.1000000000000000055511151231257827, "big": 123456789012345678901}]}'
    event = load_event("objects_bulk_set", body=text)
    assert lambda_handler(event, lambda_context)["statusCode"] == 200

    drain(pipeline, lambda_context)

    assert stored_objects("projects")["exact"] == {
        "n": Decimal("0.1000000000000000055511151231257827"),
        "big": 123456789012345678901,
    }


def test_bulk_set_all_rows_invalid_completes_at_once_and_queues_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    body = bulk_set(load_event, lambda_context, "projects", [{"id": ""}, {"id": "p1", "collection": "teams"}])

    assert (body["status"], body["processed_rows"], body["error_count"], body["success_count"]) == (
        "completed",
        2,
        2,
        0,
    )
    assert queue_is_empty(pipeline.url)


def test_bulk_set_1000_rows_is_accepted(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    body = bulk_set(load_event, lambda_context, "projects", [{"id": f"p{index}"} for index in range(1000)])

    assert (body["status"], body["estimated_total_rows"], body["error_count"]) == ("queued", 1000, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "objects"),
        ({"objects": []}, "objects"),
        ({"objects": [{"id": f"p{index}"} for index in range(1001)]}, "objects"),
        ({"objects": {"id": "p1"}}, "objects"),
        ({"objects": [{"id": "p1"}], "extra": 1}, "extra"),
        ({"users": [{"id": "p1"}]}, "objects"),
        ([{"id": "p1"}], "body"),
    ],
    ids=["missing", "empty", "1001-rows", "not-a-list", "unknown-key", "users-key", "bare-array"],
)
def test_bulk_set_bad_body_returns_422_and_writes_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, body: Any, field: str
) -> None:
    response = lambda_handler(load_event("objects_bulk_set", body=body), lambda_context)

    assert field in error_fields(assert_knock_error(response, 422, "invalid_params"))
    assert boto3.client("dynamodb").scan(TableName="recipients-test")["Items"] == []
    assert queue_is_empty(pipeline.url)


@pytest.mark.parametrize("collection", ["$system", "a#b", "a/b", " "])
@pytest.mark.parametrize("sample", ["objects_bulk_set", "objects_bulk_delete"])
def test_bulk_invalid_collection_in_path_returns_422_and_writes_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, sample: str, collection: str
) -> None:
    response = lambda_handler(load_event(sample, path={"collection": collection}), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["collection"]
    assert boto3.client("dynamodb").scan(TableName="recipients-test")["Items"] == []
    assert queue_is_empty(pipeline.url)


def test_bulk_set_chunk_dead_lettered_ends_failed_with_its_rows_listed_in_their_collection(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a queued bulk set whose one chunk failed every delivery
    body = bulk_set(load_event, lambda_context, "projects", projects(3))
    messages = queued_messages(pipeline.url)

    # When the dead-letter function gets it
    assert dead_letter_handler(sqs_event(pipeline.url, messages), lambda_context) == {"batchItemFailures": []}

    # Then the operation ended failed, every row an error of `projects` to send again
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["error_count"]) == ("failed", 3, 3)
    assert [(item["id"], item["collection"]) for item in final["error_items"]] == [
        (f"proj_{index}", "projects") for index in range(3)
    ]
    assert all("every retry" in item["reason"] for item in final["error_items"])


def test_bulk_worker_object_chunk_without_collection_counts_its_rows_as_errors(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a queued object chunk that lost its collection (a hand-made or damaged message)
    body = bulk_set(load_event, lambda_context, "projects", projects(2))
    messages = queued_messages(pipeline.url)
    chunk = json.loads(messages[0]["Body"])
    messages[0]["Body"] = json.dumps({**chunk, "collection": None})

    # When the worker gets it
    assert worker_handler(sqs_event(pipeline.url, messages), lambda_context) == {"batchItemFailures": []}

    # Then its rows are counted as errors that say why, and nothing is written
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        2,
        0,
        2,
    )
    assert {item["errors"][0]["field"] for item in final["error_items"]} == {"collection"}
    assert stored_objects("projects") == {}


# --- bulk delete -------------------------------------------------------------------------------------


def test_bulk_delete_removes_the_listed_objects_of_the_collection_only_and_counts_missing_ids_as_deleted(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given five objects of `projects` and one of `teams` with a listed id
    bulk_set(load_event, lambda_context, "projects", projects(5))
    bulk_set(load_event, lambda_context, "teams", [{"id": "proj_0", "name": "Team"}])
    drain(pipeline, lambda_context)

    # When the five are bulk-deleted with an id never set and two the id rules refuse
    ids: list[Any] = [f"proj_{index}" for index in range(5)] + ["never_set", "bad/id", 7]
    body = bulk_delete(load_event, lambda_context, "projects", ids)
    drain(pipeline, lambda_context)

    # Then every listed object of `projects` is gone, the missing id counts as deleted, the bad ids are errors
    assert (body["name"], body["error_count"]) == ("objects.bulk_delete", 2)
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        8,
        6,
        2,
    )
    assert [(item["index"], item["collection"]) for item in final["error_items"]] == [
        (6, "projects"),
        (7, "projects"),
    ]
    assert stored_objects("projects") == {}
    assert stored_objects("teams") == {"proj_0": {"name": "Team"}}


def test_bulk_delete_sample_queues_a_delete_object_chunk_of_the_collection(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/objects_bulk_delete.json: two ids of `projects` and one the id rules refuse
    body = json_body(lambda_handler(load_event("objects_bulk_delete"), lambda_context))

    chunk = json.loads(queued_messages(pipeline.url)[0]["Body"])
    assert (chunk["action"], chunk["collection"]) == ("delete_object", "projects")
    assert [row["id"] for row in chunk["rows"]] == ["proj_1", "proj_2"]
    assert [(item["id"], item["index"]) for item in body["error_items"]] == [("bad#id", 2)]


@pytest.mark.parametrize(
    "body",
    [{}, {"object_ids": []}, {"object_ids": "p1"}, {"object_ids": [f"p{index}" for index in range(1001)]}],
    ids=["missing", "empty", "not-a-list", "1001-ids"],
)
def test_bulk_delete_bad_body_returns_422_and_queues_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, body: dict[str, Any]
) -> None:
    response = lambda_handler(load_event("objects_bulk_delete", body=body), lambda_context)

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["object_ids"]
    assert boto3.client("dynamodb").scan(TableName="recipients-test")["Items"] == []
    assert queue_is_empty(pipeline.url)


def test_bulk_set_and_delete_rows_with_unpaired_surrogates_are_rejected_alone(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    rows: list[Any] = [
        *projects(3),
        {"id": "\udc00"},
        {"id": "p_x", "name": "\udfff"},
        {"id": "p_y", "collection": "\ud800"},
    ]

    set_body = bulk_set(load_event, lambda_context, "projects", rows)
    delete_body = bulk_delete(load_event, lambda_context, "projects", ["proj_9", "\udc00"])
    drain(pipeline, lambda_context)

    fields = [(item["index"], item["errors"][0]["field"]) for item in set_body["error_items"]]
    assert fields == [(3, "id"), (4, "name"), (5, "collection")]
    assert [item["index"] for item in delete_body["error_items"]] == [1]
    assert set(stored_objects("projects")) == {"proj_0", "proj_1", "proj_2"}
    assert operation(set_body["id"])["status"] == operation(delete_body["id"])["status"] == "completed"
