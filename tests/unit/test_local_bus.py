"""make run prints each workflow event that reaches the bus: one readable line per event."""

from __future__ import annotations

import io
import json

import boto3

from local.bus import EventPrinter, summarize


def test_triggered_event_line_names_the_run_its_first_recipients_and_the_skipped_count() -> None:
    recipients = [{"id": f"u{i}"} for i in range(6)] + [{"id": "p1", "collection": "projects"}]
    event = {
        "detail-type": "workflow.triggered",
        "detail": {
            "workflow_key": "new-comment",
            "workflow_run_id": "r1",
            "recipients": recipients,
            "skipped_count": 2,
            "part": 2,
            "parts": 3,
        },
    }

    assert summarize(event) == (
        "event workflow.triggered new-comment run r1 part 2/3: 7 recipients [u0, u1, u2, u3, u4, +2], 2 skipped"
    )


def test_fan_out_parts_before_the_last_say_their_count_is_not_known_yet() -> None:
    detail = {"workflow_key": "k", "workflow_run_id": "r1", "recipients": [{"id": "u"}], "skipped_count": 0}

    first = summarize({"detail-type": "workflow.triggered", "detail": {**detail, "part": 1, "parts": None}})
    last = summarize({"detail-type": "workflow.triggered", "detail": {**detail, "part": 2, "parts": 2}})

    assert first == "event workflow.triggered k run r1 part 1/?: 1 recipient [u], 0 skipped"
    assert last == "event workflow.triggered k run r1 part 2/2: 1 recipient [u], 0 skipped"


def test_triggered_event_line_says_where_stored_data_is() -> None:
    detail = {"workflow_key": "k", "workflow_run_id": "r1", "recipients": [{"id": "u"}], "skipped_count": 0}
    detail["data_ref"] = {"bucket": "b", "key": "runs/r1/data.json", "bytes": 300_000}

    line = summarize({"detail-type": "workflow.triggered", "detail": detail})

    assert line == "event workflow.triggered k run r1: 1 recipient [u], 0 skipped, data in s3://b/runs/r1/data.json"


def test_cancelled_event_line_names_the_key_and_the_runs() -> None:
    event = {
        "detail-type": "workflow.cancelled",
        "detail": {"workflow_key": "k", "cancellation_key": "ck", "workflow_run_ids": ["a", "b"]},
    }

    assert summarize(event) == "event workflow.cancelled k key ck: 2 runs"
    one = {**event, "detail": {**event["detail"], "workflow_run_ids": ["a"]}}
    assert summarize(one) == "event workflow.cancelled k key ck: 1 run"


def test_printer_prints_and_removes_what_reaches_its_queue(aws: None) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="printer-test")["QueueUrl"]
    event = {"detail-type": "workflow.cancelled", "detail": {"workflow_key": "k", "cancellation_key": "c"}}
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    out = io.StringIO()

    printed = EventPrinter(queue_url, sqs, out=out).print_pending()

    assert printed == 1
    assert out.getvalue() == "event workflow.cancelled k key c: 0 runs\n"
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_printer_with_show_json_prints_each_event_whole_under_its_line(aws: None) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="printer-json-test")["QueueUrl"]
    event = {
        "source": "recipients",
        "detail-type": "workflow.cancelled",
        "detail": {"workflow_key": "k", "cancellation_key": "c", "workflow_run_ids": ["r1"]},
    }
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    out = io.StringIO()

    EventPrinter(queue_url, sqs, out=out, show_json=True).print_pending()

    line, _, rest = out.getvalue().partition("\n")
    assert line == "event workflow.cancelled k key c: 1 run"
    assert json.loads(rest) == event
