"""ChangeEventsFunction with stream records from moto and events/change_events.json: one event per
committed change on the bus, none for a no-op write, partial batch failures for the events the bus
refused, and nothing put twice when Lambda delivers records again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from functions.change_events.app import lambda_handler
from functions.identify.app import lambda_handler as identify_handler
from recipients.kernel.aws import events
from tests.conftest import EVENTS_DIR, EventLoader, FakeLambdaContext, WorkflowBus
from tests.unit.stream_records import StreamReader

pytestmark = pytest.mark.usefixtures("idempotency_table")


def sample() -> dict[str, Any]:
    return json.loads((EVENTS_DIR / "change_events.json").read_text(encoding="utf-8"))


def summary(bus: WorkflowBus) -> list[tuple[str, Any, list[str]]]:
    """(detail type, recipient, changed) of every change event the bus delivered since the last call."""
    return [
        (event["detail-type"], event["detail"]["recipient"], event["detail"]["changed"])
        for event in bus.received()
        if event["detail-type"].startswith("recipient.")
    ]


@contextmanager
def bus_refusing(sequence_numbers: set[str], calls: int = 99) -> Iterator[None]:
    """Fault injection: in the first `calls` PutEvents, the entries of these records' events are
    malformed on the way, so EventBridge (moto) refuses them and puts the others."""
    made = {"calls": 0}

    def spoil(params: dict[str, Any], **_: Any) -> None:
        made["calls"] += 1
        if made["calls"] > calls:
            return
        for index, entry in enumerate(params["Entries"]):
            if json.loads(entry["Detail"])["order_key"].lstrip("0") in sequence_numbers:
                params["Entries"][index] = {**entry, "Detail": "not json"}

    events().meta.events.register("before-parameter-build.events.PutEvents", spoil)
    try:
        yield
    finally:
        events().meta.events.unregister("before-parameter-build.events.PutEvents", spoil)


def test_sample_puts_one_event_per_change_and_none_for_the_no_op(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    # When the sample's five records arrive (insert, a write changing only updated_at, a change,
    # a subscription, the delete)
    response = lambda_handler(sample(), lambda_context)

    # Then every record succeeded and four events were put, in order
    assert response == {"batchItemFailures": []}
    assert summary(workflow_bus) == [
        ("recipient.created", "user_1", ["email", "name"]),
        ("recipient.updated", "user_1", ["channel_data.push", "timezone"]),
        ("recipient.updated", "user_1", ["subscriptions"]),
        ("recipient.deleted", "user_1", ["channel_data.push", "email", "name", "timezone"]),
    ]


def test_event_detail_has_the_shape_consumers_match_on(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    lambda_handler(sample(), lambda_context)
    first = workflow_bus.received()[0]
    assert first["source"] == "recipients"
    assert first["detail"] == {
        "recipient": "user_1",
        "changed": ["email", "name"],
        "order_key": "0" * 18 + "1100000000017454423009",
    }


def test_values_are_carried_only_when_the_template_parameter_says_so(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANGE_EVENT_VALUES", "true")
    lambda_handler(sample(), lambda_context)
    details = [event["detail"] for event in workflow_bus.received()]
    assert details[0]["values"] == {"email": "ada@example.com", "name": "Ada"}
    assert details[1]["values"] == {"channel_data.push": {"tokens": ["t1"]}, "timezone": "Europe/Paris"}
    assert "values" not in details[3]


def test_whole_batch_delivered_again_puts_nothing_twice(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    # Given a batch whose events were all put
    assert lambda_handler(sample(), lambda_context) == {"batchItemFailures": []}
    assert len(summary(workflow_bus)) == 4

    # When Lambda delivers the same batch again (a repeated invocation)
    response = lambda_handler(sample(), lambda_context)

    # Then it succeeds and puts nothing
    assert response == {"batchItemFailures": []}
    assert summary(workflow_bus) == []


def test_refused_events_fail_their_records_and_the_retry_puts_only_those(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    # Given a bus that refuses the events of the second and fourth records (the third makes none)
    records = sample()["Records"]
    refused = {records[2]["dynamodb"]["SequenceNumber"], records[4]["dynamodb"]["SequenceNumber"]}
    with bus_refusing(refused):
        response = lambda_handler({"Records": records}, lambda_context)

    # Then those records fail, and the others' events were put
    assert response == {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sorted(refused, key=int)]}
    assert [kind for kind, _, changed in summary(workflow_bus)] == ["recipient.created", "recipient.updated"]

    # When Lambda retries from the lowest failed record, with every record after it
    response = lambda_handler({"Records": records[2:]}, lambda_context)

    # Then only the refused events are put: the subscription's, put before, is not put again
    assert response == {"batchItemFailures": []}
    assert summary(workflow_bus) == [
        ("recipient.updated", "user_1", ["channel_data.push", "timezone"]),
        ("recipient.deleted", "user_1", ["channel_data.push", "email", "name", "timezone"]),
    ]

    # ...and the retried batch delivered again whole puts nothing
    assert lambda_handler({"Records": records[2:]}, lambda_context) == {"batchItemFailures": []}
    assert summary(workflow_bus) == []


def test_retry_after_a_partial_failure_with_newer_records_puts_the_newer_ones(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    records = sample()["Records"]
    with bus_refusing({records[2]["dynamodb"]["SequenceNumber"]}):
        lambda_handler({"Records": records[:4]}, lambda_context)
    summary(workflow_bus)

    # When the retry from the failed record brings the delete, which was not in the first batch
    assert lambda_handler({"Records": records[2:]}, lambda_context) == {"batchItemFailures": []}

    # Then the failed record's event and the new one are put, the subscription's not again
    assert [kind for kind, _, _ in summary(workflow_bus)] == ["recipient.updated", "recipient.deleted"]


def test_unreadable_record_fails_alone(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    records = sample()["Records"]
    del records[2]["dynamodb"]["Keys"]
    response = lambda_handler({"Records": records}, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": records[2]["dynamodb"]["SequenceNumber"]}]}
    assert len(summary(workflow_bus)) == 3


def test_identify_through_its_handler_then_the_stream_puts_created_then_updated_and_no_op_nothing(
    recipients_table: str,
    workflow_bus: WorkflowBus,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
) -> None:
    # Given three identifies of one user: new, the same again, a change
    stream = StreamReader(recipients_table)
    stream.skip()
    for body in ({"name": "Ada", "email": "ada@example.com"}, {"name": "Ada"}, {"timezone": "Europe/Paris"}):
        event = load_event("identify", path={"user_id": "ada"}, body=body, headers={"Idempotency-Key": None})
        assert identify_handler(event, lambda_context)["statusCode"] == 200

    # When the stream's records reach the function
    response = lambda_handler({"Records": stream.read()}, lambda_context)

    # Then: created with its keys, nothing for the write that changed nothing, updated with the timezone
    assert response == {"batchItemFailures": []}
    assert summary(workflow_bus) == [
        ("recipient.created", "ada", ["email", "name"]),
        ("recipient.updated", "ada", ["timezone"]),
    ]


def test_empty_batch_puts_nothing(
    recipients_table: str, workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext
) -> None:
    assert lambda_handler({"Records": []}, lambda_context) == {"batchItemFailures": []}
    assert workflow_bus.received() == []
