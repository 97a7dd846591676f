"""Bulk identify end to end in-process: the API handler, the queue, bulk_worker and the dead-letter path.

The queue is drained the way Lambda's SQS event source mapping does it (see tests/unit/bulk_queue.py).
Faults are injected with botocore event hooks on the layer's own DynamoDB client.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.bulk_dead_letter.app import lambda_handler as dead_letter_handler
from functions.bulk_delete.app import lambda_handler as bulk_delete_handler
from functions.bulk_identify.app import lambda_handler as bulk_identify_handler
from functions.bulk_operations.app import lambda_handler as bulk_operations_handler
from functions.bulk_worker.app import lambda_handler as worker_handler
from recipients.kernel.aws import dynamodb
from recipients.users.store import get_user_store
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import deliver, drain, operation, sqs_event
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")  # identify, bulk identify and trigger keep keys


def start(load_event: EventLoader, context: FakeLambdaContext, users: list[Any]) -> dict[str, Any]:
    response = bulk_identify_handler(load_event("bulk_identify", body={"users": users}), context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def users(count: int, prefix: str = "u") -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:6]
    return [
        {"id": f"{prefix}-{run}-{i}", "name": f"User {i}", "rank": i, "tags": {"n": [i, 0.1]}} for i in range(count)
    ]


@contextmanager
def dynamodb_fault(fault: Callable[[str, dict[str, Any]], None]) -> Iterator[None]:
    """Run `fault(operation, params)` before every request the layer's DynamoDB client sends."""

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        fault(model.name, params)

    dynamodb().meta.events.register("before-parameter-build.dynamodb.*", hook)
    try:
        yield
    finally:
        dynamodb().meta.events.unregister("before-parameter-build.dynamodb.*", hook)


def stored_ids(prefix: str) -> set[str]:
    items = boto3.client("dynamodb").scan(TableName="recipients-test")["Items"]
    return {
        item["id"]["S"] for item in items if item["pk"]["S"].startswith("user#") and item["id"]["S"].startswith(prefix)
    }


@pytest.fixture
def pipeline(recipients_table: str, bulk_queues: BulkQueues) -> BulkQueues:
    return bulk_queues


def test_bulk_identify_answers_queued_operation_with_rejected_rows_and_their_reasons(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given 250 rows of which three break a rule
    rows: list[Any] = users(250)
    rows[3] = {"id": "bad#id"}
    rows[10] = {"id": rows[11]["id"], "email": "not-an-email"}
    rows[20] = "just a string"

    # When they are sent in one call
    body = start(load_event, lambda_context, rows)

    # Then the operation is queued with the three rows already counted as errors, each with why
    assert (body["__typename"], body["name"], body["status"]) == ("BulkOperation", "users.bulk_identify", "queued")
    assert (body["estimated_total_rows"], body["processed_rows"], body["error_count"]) == (250, 3, 3)
    reasons = {item["index"]: item for item in body["error_items"]}
    assert set(reasons) == {3, 10, 20}
    assert reasons[3]["id"] == "bad#id" and "must not contain '#'" in reasons[3]["reason"]
    assert reasons[10]["errors"] == [{"field": "email", "message": reasons[10]["errors"][0]["message"]}]
    assert reasons[20]["id"] == "" and "JSON object" in reasons[20]["reason"]
    assert body["progress_path"].endswith(f"/v1/bulk_operations/{body['id']}")
    # and the valid rows wait on the queue, in chunks
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=pipeline.url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessages"]) >= 3


def test_bulk_pipeline_writes_every_valid_row_and_completes_with_exact_counts(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    rows: list[Any] = users(230)
    rows[0] = {"id": "bad/id"}
    body = start(load_event, lambda_context, rows)

    drain(pipeline, lambda_context)

    final = operation(body["id"])
    assert final["status"] == "completed"
    assert (final["processed_rows"], final["success_count"], final["error_count"]) == (230, 229, 1)
    assert final["started_at"] and final["completed_at"] and final["failed_at"] is None
    prefix = rows[1]["id"].rsplit("-", 1)[0]
    assert stored_ids(prefix) == {row["id"] for row in rows[1:]}
    user = get_user_store().get_user(rows[7]["id"])
    assert user is not None and user.model_extra == {"rank": 7, "tags": {"n": [7, Decimal("0.1")]}}


def test_bulk_chunk_delivered_twice_is_counted_once(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a queued operation and its first batch of messages
    body = start(load_event, lambda_context, users(40))
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=pipeline.url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    event = sqs_event(pipeline.url, messages)

    # When SQS delivers the same messages twice (at-least-once delivery)
    worker_handler(event, lambda_context)
    worker_handler(event, lambda_context)
    for message in messages:
        sqs.delete_message(QueueUrl=pipeline.url, ReceiptHandle=message["ReceiptHandle"])
    drain(pipeline, lambda_context)

    # Then every row is counted exactly once
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        40,
        40,
        0,
    )


def test_bulk_worker_crash_after_half_a_chunk_then_redelivery_counts_every_row_once(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given an operation of one chunk, and a worker that dies after writing half its rows
    rows = users(20)
    body = start(load_event, lambda_context, rows)
    writes = {"count": 0}

    def crash_after_ten_writes(operation_name: str, params: dict[str, Any]) -> None:
        if operation_name == "UpdateItem" and params["Key"]["pk"]["S"].startswith("user#"):
            writes["count"] += 1
            if writes["count"] > 10:
                raise RuntimeError("the worker's process died")

    with dynamodb_fault(crash_after_ten_writes):
        deliver(pipeline.url, worker_handler, lambda_context)
    assert operation(body["id"])["processed_rows"] == 0  # nothing counted yet: the chunk is not finished

    # When SQS delivers the chunk again
    drain(pipeline, lambda_context)

    # Then every row is written and counted once
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["success_count"]) == ("completed", 20, 20)
    assert stored_ids(rows[0]["id"].rsplit("-", 1)[0]) == {row["id"] for row in rows}


def test_bulk_worker_retries_throttled_writes_and_loses_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given DynamoDB throttling every third write
    rows = users(60)
    body = start(load_event, lambda_context, rows)
    calls = {"count": 0}

    def throttle_every_third_write(operation_name: str, params: dict[str, Any]) -> None:
        if operation_name == "UpdateItem":
            calls["count"] += 1
            if calls["count"] % 3 == 0:
                error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
                raise ClientError(error, operation_name)  # type: ignore[arg-type]

    # When the chunks are processed
    with dynamodb_fault(throttle_every_third_write):
        drain(pipeline, lambda_context)

    # Then every row is written and counted once
    final = operation(body["id"])
    assert (final["status"], final["processed_rows"], final["success_count"], final["error_count"]) == (
        "completed",
        60,
        60,
        0,
    )
    assert stored_ids(rows[0]["id"].rsplit("-", 1)[0]) == {row["id"] for row in rows}


def test_bulk_poison_chunk_goes_to_dead_letter_queue_and_operation_ends_failed_with_rows_counted(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a row whose write always fails for a reason a retry cannot fix
    rows = users(150)
    poison = rows[5]["id"]
    body = start(load_event, lambda_context, rows)

    def always_fail_for_poison(operation_name: str, params: dict[str, Any]) -> None:
        if operation_name == "UpdateItem" and params["Key"]["pk"]["S"] == f"user#{poison}":
            raise RuntimeError("this row can never be written")

    # When the queue is drained through every retry and the dead-letter queue
    with dynamodb_fault(always_fail_for_poison):
        drain(pipeline, lambda_context)

    # Then the poison chunk's rows are errors with a reason, the rest are written, and the operation ended
    final = operation(body["id"])
    assert final["status"] == "failed" and final["failed_at"] is not None
    assert final["processed_rows"] == 150
    assert final["success_count"] + final["error_count"] == 150
    assert final["error_count"] >= 1
    failed_ids = {item["id"] for item in final["error_items"]}
    assert poison in failed_ids
    assert all("every retry" in item["reason"] for item in final["error_items"])
    # the dead chunk's rows are reported for sending again (rewriting them is harmless); all others are stored
    written = stored_ids(poison.rsplit("-", 1)[0])
    assert poison not in written
    assert {row["id"] for row in rows} - failed_ids <= written


def test_bulk_identify_all_rows_invalid_completes_at_once(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    body = start(load_event, lambda_context, [{"id": ""}, {"name": "no id"}])
    assert (body["status"], body["processed_rows"], body["error_count"], body["success_count"]) == (
        "completed",
        2,
        2,
        0,
    )
    assert body["completed_at"] is not None
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=pipeline.url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "users"),
        ({"users": []}, "users"),
        ({"users": [{"id": f"u{i}"} for i in range(1001)]}, "users"),
        ({"users": {"id": "u1"}}, "users"),
        ({"users": [{"id": "u1"}], "extra": 1}, "extra"),
        ([{"id": "u1"}], "body"),
    ],
    ids=["missing", "empty", "1001-rows", "not-a-list", "unknown-key", "bare-array"],
)
def test_bulk_identify_bad_body_returns_422_and_writes_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, body: Any, field: str
) -> None:
    response = bulk_identify_handler(load_event("bulk_identify", body=body), lambda_context)
    error = assert_knock_error(response, 422, "invalid_params")
    assert field in error_fields(error)
    assert boto3.client("dynamodb").scan(TableName="recipients-test")["Items"] == []
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=pipeline.url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_bulk_operations_get_returns_the_operation(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    body = start(load_event, lambda_context, users(3))
    event = load_event("bulk_operations", path={"operation_id": body["id"]})
    response = bulk_operations_handler(event, lambda_context)
    assert response["statusCode"] == 200
    assert json_body(response) == body


@pytest.mark.parametrize("operation_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown", "not-a-uuid"])
def test_bulk_operations_get_unknown_or_malformed_id_is_404(
    recipients_table: str, load_event: EventLoader, lambda_context: FakeLambdaContext, operation_id: str
) -> None:
    response = bulk_operations_handler(
        load_event("bulk_operations", path={"operation_id": operation_id}), lambda_context
    )
    assert_knock_error(response, 404, "resource_missing")


def test_bulk_operations_get_upper_case_id_finds_the_operation(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    body = start(load_event, lambda_context, users(2))
    event = load_event("bulk_operations", path={"operation_id": body["id"].upper()})
    assert json_body(bulk_operations_handler(event, lambda_context))["id"] == body["id"]


def test_bulk_chunk_message_keeps_numbers_exact(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    row = '{"id": "exact-1", "n": 0.1000000000000000055511151231257827, "big": 123456789012345678901234567890}'
    text = '{"users": [' + row + "]}"
    response = bulk_identify_handler(load_event("bulk_identify", body=text), lambda_context)
    assert response["statusCode"] == 200
    drain(pipeline, lambda_context)
    item = boto3.client("dynamodb").get_item(TableName="recipients-test", Key={"pk": {"S": "user#exact-1"}})["Item"]
    assert item["prop:n"]["S"] == "0.1000000000000000055511151231257827"
    assert item["prop:big"]["S"] == "123456789012345678901234567890"
    assert json.loads(item["prop:big"]["S"]) == 123456789012345678901234567890


@pytest.mark.parametrize("body", ["not json", '{"operation_id": "x"}', "[]"], ids=["text", "partial-chunk", "list"])
def test_message_that_is_not_a_chunk_is_retried_by_worker_and_dropped_by_dead_letter_function(
    pipeline: BulkQueues, lambda_context: FakeLambdaContext, body: str
) -> None:
    # Given a message on the queue that is not a bulk chunk
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=pipeline.url, MessageBody=body)
    message = sqs.receive_message(QueueUrl=pipeline.url, AttributeNames=["All"])["Messages"]
    event = sqs_event(pipeline.url, message)

    # When the worker and then the dead-letter function get it
    worker_result = worker_handler(event, lambda_context)
    dead_letter_result = dead_letter_handler(event, lambda_context)

    # Then the worker reports it failed (so SQS retries, then dead-letters it) and the dead-letter
    # function consumes it without writing anything
    assert worker_result == {"batchItemFailures": [{"itemIdentifier": message[0]["MessageId"]}]}
    assert dead_letter_result == {"batchItemFailures": []}
    assert boto3.client("dynamodb").scan(TableName="recipients-test")["Items"] == []


def test_bulk_delete_removes_every_listed_user_and_counts_missing_ids_as_deleted(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given 30 stored users
    rows = users(30)
    start(load_event, lambda_context, rows)
    drain(pipeline, lambda_context)
    prefix = rows[0]["id"].rsplit("-", 1)[0]
    assert len(stored_ids(prefix)) == 30

    # When they are bulk-deleted with an id never identified and one that breaks the id rules
    ids: list[Any] = [row["id"] for row in rows] + [f"{prefix}-never", "bad/id", 7]
    response = bulk_delete_handler(load_event("bulk_delete", body={"user_ids": ids}), lambda_context)
    assert response["statusCode"] == 200
    body = json_body(response)
    drain(pipeline, lambda_context)

    # Then every listed user is gone; the missing one counts as deleted, the malformed ones as errors
    final = operation(body["id"])
    assert (final["name"], final["status"]) == ("users.bulk_delete", "completed")
    assert (final["processed_rows"], final["success_count"], final["error_count"]) == (33, 31, 2)
    assert sorted(item["index"] for item in final["error_items"]) == [31, 32]
    assert stored_ids(prefix) == set()


@pytest.mark.parametrize(
    "body",
    [{}, {"user_ids": []}, {"user_ids": "u1"}, {"user_ids": [f"u{i}" for i in range(1001)]}],
    ids=["missing", "empty", "not-a-list", "1001-ids"],
)
def test_bulk_delete_bad_body_returns_422_and_queues_nothing(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, body: dict[str, Any]
) -> None:
    response = bulk_delete_handler(load_event("bulk_delete", body=body), lambda_context)
    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["user_ids"]
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=pipeline.url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_bulk_rows_with_unpaired_surrogates_are_rejected_alone_and_the_others_written(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given 200 good rows and three holding a lone surrogate: in the id, in a value, in a key
    rows: list[Any] = users(203, prefix="sur")
    rows[0] = {"id": "\udc00"}
    rows[100] = {"id": rows[100]["id"], "name": "x\udc00"}
    rows[202] = {"id": rows[202]["id"], "prefs": {"\ud800": 1}}

    # When they are bulk identified
    response = bulk_identify_handler(load_event("bulk_identify", body={"users": rows}), lambda_context)

    # Then the answer is a 200 that UTF-8 can carry, listing the three rows with where the surrogate is
    assert response["statusCode"] == 200, response["body"]
    response["body"].encode("utf-8")
    body = json_body(response)
    errors = {item["index"]: item for item in body["error_items"]}
    assert {index: item["errors"][0]["field"] for index, item in errors.items()} == {0: "id", 100: "name", 202: "prefs"}
    assert errors[0]["id"] == "\ufffd"
    assert all("unpaired surrogate" in item["reason"] for item in errors.values())
    # and the 200 others are written
    drain(pipeline, lambda_context)
    final = operation(body["id"])
    assert (final["status"], final["success_count"], final["error_count"]) == ("completed", 200, 3)
    assert len(stored_ids("sur-")) == 200


def test_bulk_delete_ids_with_unpaired_surrogates_are_rejected_alone(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    response = bulk_delete_handler(
        load_event("bulk_delete", body={"user_ids": ["gone_1", "\udc00", "a\ud800b", "gone_2"]}), lambda_context
    )

    assert response["statusCode"] == 200, response["body"]
    body = json_body(response)
    assert [(item["index"], item["id"]) for item in body["error_items"]] == [(1, "\ufffd"), (2, "a\ufffdb")]
    drain(pipeline, lambda_context)
    assert operation(body["id"])["success_count"] == 2


def get_operation(
    load_event: EventLoader, context: FakeLambdaContext, operation_id: str, **query: str
) -> dict[str, Any]:
    event = load_event("bulk_operations", path={"operation_id": operation_id}, query=query or None)
    response = bulk_operations_handler(event, context)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def test_every_rejected_row_stays_listed_when_the_operation_is_polled(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a call of 999 rows that are all rejected, each with a long reason, and one good row
    rows: list[Any] = [{"id": f"bad#{index:03d}-" + "x" * 200} for index in range(999)] + [users(1)[0]]

    # When it is answered, and polled
    first = start(load_event, lambda_context, rows)
    polled = get_operation(load_event, lambda_context, first["id"])

    # Then both list all 999, in row order, and say nothing is left out
    for body in (first, polled):
        assert [item["index"] for item in body["error_items"]] == list(range(999))
        assert (body["error_count"], body["unlisted_error_count"], body["error_items_next"]) == (999, 0, None)


def test_error_items_past_what_one_answer_holds_are_counted_and_reachable_by_their_next_link(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given answers that can hold only about 40 KB of body, and 300 rejected rows (about 100 KB of error items)
    monkeypatch.setattr("recipients.kernel.payload.MAX_BODY_BYTES", 40_000)
    rows: list[Any] = [{"id": f"bad#{index:03d}", "email": "no"} for index in range(300)]

    # When the operation is answered and then read page by page through error_items_next
    body = start(load_event, lambda_context, rows)
    seen = [item["index"] for item in body["error_items"]]
    assert 0 < len(seen) < 300
    assert body["unlisted_error_count"] == 300 - len(seen)
    while body["error_items_next"] is not None:
        after = body["error_items_next"].partition("?error_items_after=")[2]
        body = get_operation(load_event, lambda_context, body["id"], error_items_after=after)
        assert len(body["error_items"]) > 0
        seen += [item["index"] for item in body["error_items"]]

    # Then every rejected row was listed exactly once, in order, each answer within the budget
    assert seen == list(range(300))
    assert body["unlisted_error_count"] == 300 - len(body["error_items"])


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"id": "big", "blob": str(index) * 240_000} for index in range(5)], {"blob": "4" * 240_000}),
        ([{"id": "big", "k": "v" * 1_000, "n": index} for index in range(1_000)], {"k": "v" * 1_000, "n": 999}),
    ],
    ids=["five-rows-of-240-kb", "1000-rows-of-1-kb"],
)
def test_rows_of_one_id_that_together_pass_a_message_are_written_in_order(
    pipeline: BulkQueues,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    rows: list[dict[str, Any]],
    expected: dict[str, Any],
) -> None:
    # When rows of one id that no single queue message could hold together are bulk identified
    body = start(load_event, lambda_context, rows)
    drain(pipeline, lambda_context)

    # Then every row is counted written and the user is what applying them in order gives
    final = operation(body["id"])
    assert (final["status"], final["success_count"], final["error_count"]) == ("completed", len(rows), 0)
    user = get_user_store().get_user("big")
    assert user is not None and user.model_extra == expected


def test_an_operation_whose_finishing_write_was_throttled_finishes_when_its_chunk_comes_again(
    pipeline: BulkQueues, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given the write that finishes an operation throttled once, after its last chunk was counted
    rows = users(20)
    body = start(load_event, lambda_context, rows)
    refused = {"count": 0}

    def throttle_the_first_finish(operation_name: str, params: dict[str, Any]) -> None:
        finishing = operation_name == "UpdateItem" and ":final" in params.get("ExpressionAttributeValues", {})
        if finishing and refused["count"] == 0:
            refused["count"] += 1
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
            raise ClientError(error, operation_name)  # type: ignore[arg-type]

    # When the chunk is processed (its counting is retried and finds the chunk counted already)
    with dynamodb_fault(throttle_the_first_finish):
        drain(pipeline, lambda_context)

    # Then the operation still ends completed, with every row counted once
    final = operation(body["id"])
    assert refused["count"] == 1
    assert (final["status"], final["processed_rows"], final["success_count"]) == ("completed", 20, 20)
