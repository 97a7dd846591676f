"""The local DynamoDB stream event source mapping (`local/streams.py`) against a real moto server.

A scripted stand-in replaces Lambda (in-process moto does not answer DescribeStream), so these tests
pin down what the poller copies from Lambda's mapping when a batch keeps failing: the retries, the
discard, the invocation record sent to the OnFailure queue, and reading on after it.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.streams import FailureDestination, StreamPoller
from local.template import StreamEventSource, load_template, stream_event_sources
from tests.integration.support import wait_until

pytestmark = pytest.mark.integration

REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:ChangeEventsFunction"


class FailingOn:
    """A function that fails every batch holding the item `bad` (by raising, or by reporting it), and
    records every batch it was given."""

    def __init__(self, bad: str, raises: bool) -> None:
        self.bad, self.raises = bad, raises
        self.batches: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        with self._lock:
            self.batches.append(copy.deepcopy(event))
        failed = [r for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] == self.bad]
        if failed and self.raises:
            raise RuntimeError("the consumer crashed")
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}

    def batch_keys(self) -> list[list[str]]:
        with self._lock:
            return [[r["dynamodb"]["Keys"]["pk"]["S"] for r in batch["Records"]] for batch in self.batches]


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {
        "endpoint_url": f"http://{host}:{port}",
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    yield {name: boto3.client(name, **settings) for name in ("dynamodb", "dynamodbstreams", "sqs")}
    server.stop()


@pytest.fixture
def table_and_queue(aws: dict[str, Any]) -> tuple[str, str, str]:
    """A fresh table with a stream, and a fresh queue for what is discarded: (table, stream ARN, queue URL)."""
    suffix = uuid.uuid4().hex[:8]
    table = aws["dynamodb"].create_table(
        TableName=f"recipients-{suffix}",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    queue_url = aws["sqs"].create_queue(QueueName=f"discarded-{suffix}")["QueueUrl"]
    return table["TableName"], table["LatestStreamArn"], queue_url


def start_poller(
    aws: dict[str, Any], stream_arn: str, function: FailingOn, destination: FailureDestination | None
) -> Iterator[StreamPoller]:
    source = StreamEventSource(
        function="ChangeEventsFunction",
        table="RecipientsTable",
        batch_size=10,
        report_batch_item_failures=True,
        maximum_retry_attempts=1,
    )
    poller = StreamPoller(source, stream_arn, function, aws["dynamodbstreams"], destination)
    poller.start()
    yield poller
    poller.request_stop()
    poller.thread.join(10)


def put(aws: dict[str, Any], table: str, *keys: str) -> None:
    for key in keys:
        aws["dynamodb"].put_item(TableName=table, Item={"pk": {"S": key}, "name": {"S": key.title()}})


def received(aws: dict[str, Any], queue_url: str) -> list[dict[str, Any]]:
    messages = aws["sqs"].receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


@pytest.mark.parametrize("raises", [True, False], ids=["function error", "batch item failure"])
def test_a_batch_failing_past_its_retries_goes_to_the_on_failure_queue_and_reading_goes_on(
    aws: dict[str, Any], table_and_queue: tuple[str, str, str], raises: bool
) -> None:
    # Given a mapping with one retry and an OnFailure queue, and a function that fails on `bad`
    table, stream_arn, queue_url = table_and_queue
    function = FailingOn("bad", raises)
    put(aws, table, "ada", "bad")
    for _ in start_poller(aws, stream_arn, function, FailureDestination(aws["sqs"], queue_url, FUNCTION_ARN)):
        # When the batch fails twice (the first try and its one retry)
        sent = wait_until(lambda: received(aws, queue_url), "the discarded batch's record")
        # and a write after it arrives
        put(aws, table, "bob")
        wait_until(lambda: ["bob"] in function.batch_keys(), "the write after the discarded batch")

    # Then the batch was tried twice (whole after an error; from the failed record after a report),
    # the queue got Lambda's invocation record of the second try, and reading went on after it
    second_try = [["ada", "bad"]] if raises else [["bad"]]
    assert function.batch_keys() == [["ada", "bad"], *second_try, ["bob"]]
    failed = function.batches[1]["Records"]
    assert len(sent) == 1
    record = sent[0]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"] == FUNCTION_ARN
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["version"] == "1.0"
    assert record["responseContext"].get("functionError") == ("Unhandled" if raises else None)
    info = record["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream_arn
    assert info["batchSize"] == len(failed)
    assert info["startSequenceNumber"] == failed[0]["dynamodb"]["SequenceNumber"]
    assert info["endSequenceNumber"] == failed[-1]["dynamodb"]["SequenceNumber"]
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert info["shardId"].startswith("shardId-")
    # and the records stay out of the message (they stay readable in the stream)
    assert "Records" not in json.dumps(record) and "Ada" not in json.dumps(record)
    assert received(aws, queue_url) == []


def test_without_an_on_failure_queue_the_batch_is_only_discarded(
    aws: dict[str, Any], table_and_queue: tuple[str, str, str]
) -> None:
    table, stream_arn, queue_url = table_and_queue
    function = FailingOn("bad", raises=True)
    put(aws, table, "bad")
    for _ in start_poller(aws, stream_arn, function, None):
        wait_until(lambda: len(function.batches) >= 2, "the retry")
        put(aws, table, "bob")
        wait_until(lambda: ["bob"] in function.batch_keys(), "the write after the discarded batch")
    assert function.batch_keys() == [["bad"], ["bad"], ["bob"]]
    assert received(aws, queue_url) == []


def test_the_template_s_change_events_mapping_names_its_dead_letter_queue() -> None:
    sources = {source.function: source for source in stream_event_sources(load_template())}
    assert sources["ChangeEventsFunction"].on_failure_queue == "ChangeEventsDeadLetterQueue"


def test_an_on_failure_destination_that_is_not_a_queue_of_the_template_is_refused() -> None:
    template = copy.deepcopy(load_template())  # the loaded template is cached: change a copy
    event = template["Resources"]["ChangeEventsFunction"]["Properties"]["Events"]["Changes"]["Properties"]
    event["DestinationConfig"]["OnFailure"] = {"Type": "SNS", "Destination": "arn:aws:sns:us-east-1:1:topic"}
    with pytest.raises(ValueError, match=r"ChangeEventsFunction\.Events\.Changes: DestinationConfig\.OnFailure"):
        stream_event_sources(template)
