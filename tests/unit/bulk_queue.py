"""Bulk queues driven in-process the way Lambda's SQS event source mapping drives them, against moto.

Batches of 10, partial batch responses, failed messages redelivered at once, and the dead-letter
queue fed to its function: shared by the bulk tests of users and objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from functions.bulk_dead_letter.app import lambda_handler as dead_letter_handler
from functions.bulk_worker.app import lambda_handler as worker_handler
from recipients.bulk.store import get_operation_store
from tests.conftest import BulkQueues, FakeLambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def sqs_event(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The event Lambda's event source mapping builds from received messages."""
    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn["QueueArn"],
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def deliver(queue_url: str, handler: Handler, context: FakeLambdaContext) -> int:
    """One receive-invoke-settle round, as the event source mapping does it; returns messages received."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    )
    if not messages:
        return 0
    result = handler(sqs_event(queue_url, messages), context)
    failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] in failed:  # back on the queue now instead of after the visibility timeout
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def drain(queues: BulkQueues, context: FakeLambdaContext, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not (
            deliver(queues.url, worker_handler, context) + deliver(queues.dead_letter_url, dead_letter_handler, context)
        ):
            return


def operation(operation_id: str) -> dict[str, Any]:
    found = get_operation_store().get_operation(operation_id, consistent=True)
    assert found is not None
    return found.model_dump(by_alias=True)
