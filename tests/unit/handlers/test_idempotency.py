"""The Idempotency-Key header on trigger, identify and bulk identify: replays, mismatches, races, limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError

from functions.bulk_identify.app import lambda_handler as bulk_identify_handler
from functions.identify.app import lambda_handler as identify_handler
from functions.trigger.app import lambda_handler as trigger_handler
from recipients.http.idempotency import MAX_KEY_LENGTH, WINDOW_SECONDS
from recipients.kernel.aws import dynamodb
from recipients.workflows import trigger as triggers
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext, WorkflowBus
from tests.unit.knock import assert_knock_error, error_fields, json_body

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
TRIGGER_BODY = {"recipients": [{"id": "u1", "name": "Ada"}, "nobody"], "data": {"comment_id": "c1"}}


@dataclass
class Api:
    load_event: EventLoader
    context: FakeLambdaContext

    def trigger(self, body: Any, key: str | None, **event: Any) -> dict[str, Any]:
        return self._call(trigger_handler, "trigger", body, key, **{"path": {"workflow_key": "new-comment"}, **event})

    def identify(self, user_id: str, body: Any, key: str | None) -> dict[str, Any]:
        return self._call(identify_handler, "identify", body, key, path={"user_id": user_id})

    def bulk_identify(self, body: Any, key: str | None) -> dict[str, Any]:
        return self._call(bulk_identify_handler, "bulk_identify", body, key)

    def _call(
        self,
        handler: Handler,
        sample: str,
        body: Any,
        key: str | None,
        context: FakeLambdaContext | None = None,
        **event: Any,
    ) -> dict[str, Any]:
        request = self.load_event(sample, body=body, headers={"idempotency-key": key}, **event)
        response = handler(request, context or self.context)
        response["request_id"] = request["requestContext"]["requestId"]
        return response


@pytest.fixture
def api(
    recipients_table: str,
    idempotency_table: str,
    workflow_bus: WorkflowBus,
    bulk_queues: BulkQueues,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
) -> Api:
    return Api(load_event, lambda_context)


def idempotency_records(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=table)["Items"]


def test_trigger_repeated_with_the_same_key_and_body_replays_the_first_run(
    api: Api, workflow_bus: WorkflowBus, stored_items: Callable[[], list[dict[str, Any]]]
) -> None:
    first = api.trigger(TRIGGER_BODY, "key-1")
    second = api.trigger(TRIGGER_BODY, "key-1")

    assert first["statusCode"] == second["statusCode"] == 200
    assert json_body(second) == json_body(first)
    assert "idempotent-replayed" not in first["headers"]
    assert second["headers"]["idempotent-replayed"] == "true"
    assert second["headers"]["original-x-request-id"] == first["request_id"]
    assert second["headers"]["x-request-id"] == second["request_id"] != first["request_id"]
    # One run recorded and one event put: the repeat did no work
    assert len(workflow_bus.received()) == 1
    assert sum(item["pk"]["S"].startswith("run#") for item in stored_items()) == 1


def test_trigger_repeat_with_keys_reordered_and_other_spacing_is_the_same_request(api: Api) -> None:
    first = api.trigger('{"recipients": ["a", "b"], "data": {"x": 1, "y": 2}}', "key-1")
    second = api.trigger('{"data":{"y":2,"x":1},"recipients":["a","b"]}', "key-1")

    assert json_body(second) == json_body(first)
    assert second["headers"]["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    "second_body",
    [
        {**TRIGGER_BODY, "data": {"comment_id": "c2"}},
        {**TRIGGER_BODY, "data": {"comment_id": "c1"}, "tenant": None},  # an explicit null is a different request
        {**TRIGGER_BODY, "data": {"comment_id": 1.0}},
        {**TRIGGER_BODY, "data": {"comment_id": "1.0"}, "recipients": ["u1", "nobody"]},
    ],
    ids=["other-data", "explicit-null", "number", "other-recipients"],
)
def test_trigger_same_key_with_a_different_body_is_422_and_runs_nothing(
    api: Api, workflow_bus: WorkflowBus, second_body: dict[str, Any]
) -> None:
    api.trigger(TRIGGER_BODY, "key-1")
    workflow_bus.received()

    response = api.trigger(second_body, "key-1")

    body = assert_knock_error(response, 422, "idempotency_key_reused")
    assert "Idempotency-Key" in body["message"]
    assert "idempotent-replayed" not in response["headers"]
    assert workflow_bus.received() == []


def test_trigger_same_key_for_another_workflow_is_a_different_request(api: Api) -> None:
    api.trigger(TRIGGER_BODY, "key-1")

    response = api.trigger(TRIGGER_BODY, "key-1", path={"workflow_key": "other-workflow"})

    assert_knock_error(response, 422, "idempotency_key_reused")


def test_trigger_without_a_key_runs_every_time(api: Api, workflow_bus: WorkflowBus, idempotency_table: str) -> None:
    first = api.trigger(TRIGGER_BODY, None)
    second = api.trigger(TRIGGER_BODY, None)

    assert json_body(first)["workflow_run_id"] != json_body(second)["workflow_run_id"]
    assert len(workflow_bus.received()) == 2
    assert idempotency_records(idempotency_table) == []


def test_trigger_different_keys_run_separately(api: Api, workflow_bus: WorkflowBus) -> None:
    first = api.trigger(TRIGGER_BODY, "key-1")
    second = api.trigger(TRIGGER_BODY, "key-2")

    assert json_body(first)["workflow_run_id"] != json_body(second)["workflow_run_id"]
    assert len(workflow_bus.received()) == 2


def test_key_is_kept_24_hours_under_its_operation(api: Api, idempotency_table: str) -> None:
    before = int(time.time())
    api.trigger(TRIGGER_BODY, "key-1")

    (record,) = idempotency_records(idempotency_table)
    assert record["id"]["S"].startswith("trigger#")
    assert "key-1" not in record["id"]["S"]  # kept as a hash
    assert record["status"]["S"] == "COMPLETED"
    assert before + WINDOW_SECONDS <= int(record["expiration"]["N"]) <= int(time.time()) + WINDOW_SECONDS


@pytest.mark.parametrize(
    ("key", "reason"),
    [("k" * (MAX_KEY_LENGTH + 1), "at most 255"), ("", "must not be empty")],
    ids=["256-chars", "empty"],
)
def test_trigger_key_out_of_bounds_is_422_and_writes_nothing(
    api: Api, key: str, reason: str, nothing_written: Callable[[], None], workflow_bus: WorkflowBus
) -> None:
    response = api.trigger(TRIGGER_BODY, key)

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["idempotency-key"]
    assert reason in body["errors"][0]["message"]
    nothing_written()
    assert workflow_bus.received() == []


def test_trigger_key_of_255_characters_is_accepted(api: Api) -> None:
    first = api.trigger(TRIGGER_BODY, "k" * MAX_KEY_LENGTH)
    second = api.trigger(TRIGGER_BODY, "k" * MAX_KEY_LENGTH)

    assert second["headers"]["idempotent-replayed"] == "true"
    assert json_body(second) == json_body(first)


def test_trigger_invalid_body_with_a_key_writes_nothing_not_even_the_key(
    api: Api, nothing_written: Callable[[], None]
) -> None:
    response = api.trigger({"recipients": [{"id": "u1", "email": "not-an-email"}]}, "key-1")

    assert_knock_error(response, 422, "invalid_params")
    nothing_written()


def test_trigger_rejected_after_the_key_was_taken_is_not_replayed(
    api: Api, workflow_bus: WorkflowBus, idempotency_table: str
) -> None:
    body = {"recipients": ["u1"], "actor": "not-yet"}
    rejected = api.trigger(body, "key-1")
    assert_knock_error(rejected, 422, "actor_missing")
    assert idempotency_records(idempotency_table) == []

    # Once the actor exists, the same key and body run for real
    api.identify("not-yet", {"name": "Actor"}, None)
    accepted = api.trigger(body, "key-1")

    assert accepted["statusCode"] == 200
    assert "idempotent-replayed" not in accepted["headers"]
    assert len(workflow_bus.received()) == 1


def test_trigger_that_fails_on_our_side_is_not_replayed(
    api: Api, workflow_bus: WorkflowBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_trigger = triggers.trigger_workflow
    monkeypatch.setattr(triggers, "trigger_workflow", lambda trigger: 1 / 0)
    failed = api.trigger(TRIGGER_BODY, "key-1")
    assert_knock_error(failed, 500, "internal_error")

    monkeypatch.setattr(triggers, "trigger_workflow", real_trigger)
    retried = api.trigger(TRIGGER_BODY, "key-1")

    assert retried["statusCode"] == 200
    assert "idempotent-replayed" not in retried["headers"]
    assert len(workflow_bus.received()) == 1


class BlockedTrigger:
    """Holds the first `triggers.trigger_workflow` until released, so a request can be caught in progress."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        real_trigger = triggers.trigger_workflow

        def blocked(trigger: triggers.Trigger) -> str:
            if not self.started.is_set():
                self.started.set()
                assert self.release.wait(timeout=10)
            return real_trigger(trigger)

        monkeypatch.setattr(triggers, "trigger_workflow", blocked)

    def start(self, call: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        """Run `call` in a thread until it is inside the trigger; returns a function that joins it."""
        result: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: result.update(call()))
        thread.start()
        assert self.started.wait(timeout=10)

        def join() -> dict[str, Any]:
            self.release.set()
            thread.join(timeout=10)
            return result

        return join


def test_trigger_repeated_while_the_first_is_in_progress_is_409_then_replays(
    api: Api, workflow_bus: WorkflowBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    join_first = BlockedTrigger(monkeypatch).start(lambda: api.trigger(TRIGGER_BODY, "key-1"))

    in_progress = api.trigger(TRIGGER_BODY, "key-1")

    body = assert_knock_error(in_progress, 409, "idempotency_key_in_progress")
    assert "retry" in body["message"]
    first = join_first()
    assert first["statusCode"] == 200
    replayed = api.trigger(TRIGGER_BODY, "key-1")
    assert replayed["headers"]["idempotent-replayed"] == "true"
    assert json_body(replayed) == json_body(first)
    assert len(workflow_bus.received()) == 1


@dataclass
class ShortContext(FakeLambdaContext):
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_key_of_an_invocation_that_timed_out_is_taken_over_by_the_retry(
    api: Api, workflow_bus: WorkflowBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a first invocation still holding the key after its Lambda time ran out (it was killed)
    blocked = BlockedTrigger(monkeypatch)
    join_first = blocked.start(lambda: api.trigger(TRIGGER_BODY, "key-1", context=ShortContext(remaining_ms=50)))
    time.sleep(0.2)

    # When the client retries, the key is not stuck in progress: the retry runs the trigger
    retry = api.trigger(TRIGGER_BODY, "key-1")

    assert retry["statusCode"] == 200
    assert "idempotent-replayed" not in retry["headers"]
    join_first()


def test_identify_repeated_with_the_same_key_replays_the_first_answer_without_writing(
    api: Api, dynamodb_requests: list[str]
) -> None:
    first = api.identify("u1", {"name": "Ada", "plan": "pro"}, "key-1")
    api.identify("u1", {"plan": "team"}, None)  # the user changes in between

    replayed = api.identify("u1", {"name": "Ada", "plan": "pro"}, "key-1")

    assert replayed["headers"]["idempotent-replayed"] == "true"
    assert json_body(replayed) == json_body(first)
    assert json_body(replayed)["plan"] == "pro"
    assert dynamodb_requests == ["UpdateItem", "UpdateItem"]  # the replay wrote nothing


def test_identify_same_key_with_a_different_body_or_user_is_422_and_the_user_unchanged(
    api: Api, stored_user: Callable[[str], dict[str, Any] | None]
) -> None:
    api.identify("u1", {"name": "Ada"}, "key-1")
    stored = stored_user("u1")

    other_body = api.identify("u1", {"name": "Grace"}, "key-1")
    other_user = api.identify("u2", {"name": "Ada"}, "key-1")

    assert_knock_error(other_body, 422, "idempotency_key_reused")
    assert_knock_error(other_user, 422, "idempotency_key_reused")
    assert stored_user("u1") == stored
    assert stored_user("u2") is None


def test_same_key_on_identify_and_trigger_is_kept_apart(api: Api) -> None:
    identified = api.identify("u1", {"name": "Ada"}, "shared-key")
    triggered = api.trigger(TRIGGER_BODY, "shared-key")

    assert identified["statusCode"] == triggered["statusCode"] == 200
    assert "idempotent-replayed" not in triggered["headers"]


def test_identify_answer_too_large_for_a_record_is_kept_aside_and_replayed_whole(
    api: Api, idempotency_table: str, dynamodb_requests: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 240 KB of properties as UTF-8, 720 KB once escaped to ASCII as a record would keep them,
    # and parts of 100 KB (so that the answer takes several)
    monkeypatch.setattr("recipients.http.idempotency.ASIDE_PART_BYTES", 100_000)
    body = {f"k{i}": "é" * 1_000 for i in range(120)}

    # When they are identified twice with one key
    first = api.identify("u1", body, "key-1")
    api.identify("u1", {"k0": "changed"}, None)  # without a key: the user changes in between
    second = api.identify("u1", body, "key-1")

    # Then the repeat is the first answer, byte for byte, without identifying again
    assert first["statusCode"] == second["statusCode"] == 200
    assert second["headers"]["idempotent-replayed"] == "true"
    assert second["body"] == first["body"]
    assert dynamodb_requests == ["UpdateItem", "UpdateItem"]
    # and the answer is kept beside the record, in parts that outlive it
    records = idempotency_records(idempotency_table)
    parts = [item for item in records if item["id"]["S"].startswith("answer#")]
    record = next(item for item in records if not item["id"]["S"].startswith("answer#"))
    assert len(parts) == 3
    assert all(int(part["expiration"]["N"]) > int(record["expiration"]["N"]) for part in parts)


def test_bulk_identify_answer_of_999_rejected_rows_replays_without_queueing_again(
    api: Api, bulk_queues: BulkQueues
) -> None:
    # Given a bulk call whose answer (999 error items) is far past what a record holds
    users = [{"id": f"bad#{i}-" + "x" * 200} for i in range(999)] + [{"id": "good", "name": "x"}]
    first = api.bulk_identify({"users": users}, "key-1")
    replayed = api.bulk_identify({"users": users}, "key-1")

    assert replayed["headers"]["idempotent-replayed"] == "true"
    assert replayed["body"] == first["body"]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=bulk_queues.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_bulk_identify_repeated_with_the_same_key_queues_the_rows_once(api: Api, bulk_queues: BulkQueues) -> None:
    body = {"users": [{"id": f"u{i}", "name": "x"} for i in range(5)]}
    first = api.bulk_identify(body, "key-1")
    replayed = api.bulk_identify(body, "key-1")

    assert json_body(replayed)["id"] == json_body(first)["id"]
    assert replayed["headers"]["idempotent-replayed"] == "true"
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=bulk_queues.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_idempotency_store_unavailable_is_503_and_nothing_is_identified(
    recipients_table: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    stored_items: Callable[[], list[dict[str, Any]]],
) -> None:
    # No idempotency table: every request to it fails
    event = load_event("identify", body={"name": "Ada"}, headers={"idempotency-key": "key-1"})

    response = identify_handler(event, lambda_context)

    assert_knock_error(response, 503, "service_unavailable")
    assert stored_items() == []


def test_answer_that_cannot_be_kept_is_still_given(
    api: Api, workflow_bus: WorkflowBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an idempotency table that takes the key but fails when the answer is saved
    def fail(*args: Any, **kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_update_record", fail)

    response = api.trigger(TRIGGER_BODY, "key-1")

    # Then the run that happened is answered, not hidden behind a 503
    assert response["statusCode"] == 200
    (event,) = workflow_bus.received()
    assert json_body(response)["workflow_run_id"] == event["detail"]["workflow_run_id"]


DEEP = 600
"""Levels of nesting the JSON parser takes, but a recursive walk of the request (two frames a level) does not."""


def test_trigger_with_data_nested_600_deep_and_a_key_runs_once_and_replays(api: Api, workflow_bus: WorkflowBus) -> None:
    # Given trigger data nested far deeper than a property may be (data has no depth limit)
    body = '{"recipients": ["nobody"], "data": {"tree": ' + "[" * DEEP + "]" * DEEP + "}}"

    # When it is sent twice with one key, as the SDK does
    first = api.trigger(body, "key-deep")
    replayed = api.trigger(body, "key-deep")

    # Then it ran once and the repeat is a replay, not a 500
    assert first["statusCode"] == 200, first["body"]
    assert json_body(replayed) == json_body(first)
    assert replayed["headers"]["idempotent-replayed"] == "true"
    assert len(workflow_bus.received()) == 1


def test_bulk_identify_row_nested_600_deep_with_a_key_is_a_rejected_row(api: Api) -> None:
    # Given a bulk call whose first row nests a property far past the 100-level limit
    deep_row = '{"id": "deep", "tree": ' + "[" * DEEP + "]" * DEEP + "}"

    # When it is sent with a key
    response = api.bulk_identify('{"users": [' + deep_row + ', {"id": "fine"}]}', "key-deep")

    # Then the row is rejected with the reason and the other one is queued, rather than the call failing
    assert response["statusCode"] == 200, response["body"]
    body = json_body(response)
    assert [(item["index"], item["errors"][0]["field"]) for item in body["error_items"]] == [(0, "tree")]
    assert body["status"] == "queued"


def test_large_answer_that_cannot_be_kept_aside_is_given_and_a_repeat_works_again(
    api: Api, idempotency_table: str, dynamodb_requests: list[str]
) -> None:
    # Given an idempotency table that refuses the parts of a large answer
    def refuse_parts(params: dict[str, Any], **_: Any) -> None:
        if params.get("Item", {}).get("id", {}).get("S", "").startswith("answer#"):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "PutItem")

    dynamodb().meta.events.register("before-parameter-build.dynamodb.PutItem", refuse_parts)
    try:
        body = {f"k{i}": "é" * 1_000 for i in range(120)}
        first = api.identify("u1", body, "key-1")
        second = api.identify("u1", body, "key-1")
    finally:
        dynamodb().meta.events.unregister("before-parameter-build.dynamodb.PutItem", refuse_parts)

    # Then both are answered; with no record kept, the repeat identified again
    assert first["statusCode"] == second["statusCode"] == 200
    assert "idempotent-replayed" not in second["headers"]
    assert dynamodb_requests == ["UpdateItem", "UpdateItem"]
    assert idempotency_records(idempotency_table) == []
