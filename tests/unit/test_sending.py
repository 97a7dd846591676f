"""Queueing work: SendMessageBatch sends again exactly what SQS refused, and hands back what it never took."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from recipients.kernel.aws import sqs
from recipients.kernel.sending import SEND_ATTEMPTS, send_batch

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/work"


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr("recipients.kernel.sending.time.sleep", pauses.append)
    return pauses


def _refused(entry_id: str) -> dict[str, object]:
    return {"Id": entry_id, "SenderFault": False, "Code": "InternalError"}


def test_refused_entries_are_sent_again_alone_until_taken(no_pauses: list[float]) -> None:
    # Given SQS takes "a" and refuses "b" the first time
    with Stubber(sqs()) as stubber:
        stubber.add_response(
            "send_message_batch",
            {"Successful": [{"Id": "a", "MessageId": "1", "MD5OfMessageBody": "x"}], "Failed": [_refused("b")]},
            {"QueueUrl": QUEUE, "Entries": [{"Id": "a", "MessageBody": "A"}, {"Id": "b", "MessageBody": "B"}]},
        )
        stubber.add_response(
            "send_message_batch",
            {"Successful": [{"Id": "b", "MessageId": "2", "MD5OfMessageBody": "y"}], "Failed": []},
            {"QueueUrl": QUEUE, "Entries": [{"Id": "b", "MessageBody": "B"}]},
        )
        # When both are sent
        unsent = send_batch(QUEUE, {"a": "A", "b": "B"}, pause_seconds=0.5)
        stubber.assert_no_pending_responses()
    # Then only "b" went again, after a pause, and nothing is left
    assert unsent == set()
    assert no_pauses == [1.0]


def test_entries_refused_every_time_are_handed_back_and_a_failed_call_counts_as_a_try() -> None:
    with Stubber(sqs()) as stubber:
        stubber.add_client_error("send_message_batch", "ServiceUnavailable", http_status_code=503)
        for _ in range(SEND_ATTEMPTS - 1):
            stubber.add_response("send_message_batch", {"Successful": [], "Failed": [_refused("b")]})
        unsent = send_batch(QUEUE, {"b": "B"})
        stubber.assert_no_pending_responses()
    assert unsent == {"b"}


def test_a_delay_overrides_the_queues_own_on_every_entry() -> None:
    with Stubber(sqs()) as stubber:
        stubber.add_response(
            "send_message_batch",
            {"Successful": [{"Id": "a", "MessageId": "1", "MD5OfMessageBody": "x"}], "Failed": []},
            {"QueueUrl": QUEUE, "Entries": [{"Id": "a", "MessageBody": "A", "DelaySeconds": 0}]},
        )
        assert send_batch(QUEUE, {"a": "A"}, delay_seconds=0) == set()
        stubber.assert_no_pending_responses()
