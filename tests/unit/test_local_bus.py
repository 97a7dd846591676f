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


def test_cancelled_event_line_names_the_key_and_the_runs() -> None:
    event = {
        "detail-type": "workflow.cancelled",
        "detail": {"workflow_key": "k", "cancellation_key": "ck", "workflow_run_ids": ["a", "b"]},
    }

    assert summarize(event) == "event workflow.cancelled k key ck: 2 runs"


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
