"""The local SQS event source mapping (`local/queues.py`) against a real moto server.

A scripted stand-in replaces Lambda, so these tests pin down what the poller copies from Lambda's
event source mapping without depending on the functions: the event's shape, batching, deleting what
succeeded, redelivering what failed, and moto's redrive to the dead-letter queue with that queue's
own poller behind it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import SqsModel
from moto.server import ThreadedMotoServer

from local.emulator import MAX_REQUEST_PAYLOAD_BYTES, LocalResources, create_queues
from local.queues import (
    DEFAULT_RETRY_SECONDS,
    RETRY_SECONDS_VARIABLE,
    QueuePoller,
    QueuePollers,
    failed_message_ids,
    retry_seconds_from_environment,
    sqs_events,
    start_queue_pollers,
)
from local.template import SqsEventSource, load_template, resources_of_type, sqs_event_sources
from tests.integration.support import wait_until

pytestmark = pytest.mark.integration

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
REGION = "us-east-1"
MAX_RECEIVE_COUNT = 2
Behaviour = Callable[[dict[str, Any]], Any]


# --- helpers ---------------------------------------------------------------------------------------


class ScriptedLambda:
    """Runs a scripted behaviour per function (default: succeed with None) and records every call."""

    def __init__(self, **behaviours: Behaviour) -> None:
        self.behaviours = behaviours
        self._lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        with self._lock:
            self.calls.append((function_name, json.loads(json.dumps(event)), time.monotonic()))
        behaviour = self.behaviours.get(function_name)
        return behaviour(event) if behaviour else None

    def events(self, function_name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for name, event, _ in self.calls if name == function_name]

    def records(self, function_name: str) -> list[dict[str, Any]]:
        return [record for event in self.events(function_name) for record in event["Records"]]

    def deliveries(self, function_name: str, body: str) -> list[dict[str, Any]]:
        return [record for record in self.records(function_name) if record["body"] == body]


def fail_bodies_first_time(*bodies: str) -> Behaviour:
    """Reports each listed body as a batch item failure on its first delivery only."""

    def behaviour(event: dict[str, Any]) -> dict[str, Any]:
        failures = [
            {"itemIdentifier": record["messageId"]}
            for record in event["Records"]
            if record["body"] in bodies and record["attributes"]["ApproximateReceiveCount"] == "1"
        ]
        return {"batchItemFailures": failures}

    return behaviour


def raise_first_time() -> Behaviour:
    calls = 0

    def behaviour(event: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("worker crashed mid-batch")

    return behaviour


def fail_every_record(event: dict[str, Any]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in event["Records"]]}


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def sqs(moto_url: str) -> Any:
    return boto3.client(
        "sqs", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def queues(sqs: Any) -> tuple[Queue, Queue]:
    """A fresh source queue whose RedrivePolicy sends to a fresh dead-letter queue after 2 receives."""
    suffix = uuid.uuid4().hex[:8]

    def create(name: str, attributes: dict[str, str]) -> Queue:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Queue(name, url, arn)

    dead_letter = create(f"dead-{suffix}", {"VisibilityTimeout": "60"})
    redrive = json.dumps({"deadLetterTargetArn": dead_letter.arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    # a long visibility timeout, like the template's: only the poller's retry makes failures come back fast
    source = create(f"source-{suffix}", {"VisibilityTimeout": "180", "RedrivePolicy": redrive})
    return source, dead_letter


@pytest.fixture
def run_pollers(sqs: Any) -> Iterator[Callable[..., QueuePollers]]:
    """Starts pollers for (source, queue) pairs; every group started is stopped after the test."""
    started: list[QueuePollers] = []

    def run(lambda_: ScriptedLambda, *mappings: tuple[SqsEventSource, Queue], retry_seconds: int = 0) -> QueuePollers:
        pollers = [
            QueuePoller(source, queue.url, queue.arn, lambda_, sqs, retry_seconds=retry_seconds, aws_region=REGION)
            for source, queue in mappings
        ]
        started.append(QueuePollers(pollers).start())
        return started[-1]

    yield run
    for group in started:
        group.stop()


def worker_source(**changes: Any) -> SqsEventSource:
    defaults: dict[str, Any] = {"function": "WorkerFunction", "queue": "Source", "report_batch_item_failures": True}
    return SqsEventSource(**{**defaults, **changes})


def queue_is_empty(sqs: Any, queue: Queue) -> bool:
    """Nothing visible and nothing in flight: every message was deleted (or moved away)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


def send(sqs: Any, queue: Queue, *bodies: str) -> list[str]:
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    response = sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)
    assert not response.get("Failed")
    by_id = {entry["Id"]: entry["MessageId"] for entry in response["Successful"]}
    return [by_id[str(i)] for i in range(len(bodies))]


# --- template --------------------------------------------------------------------------------------


def test_sqs_event_sources_reads_properties_defaults_and_parameter_refs() -> None:
    # Given a template with one SQS event fully configured (with parameter Refs) and one bare
    template = {
        "Parameters": {"Size": {"Type": "Number", "Default": 7}, "Most": {"Type": "Number", "Default": 3}},
        "Resources": {
            "Jobs": {"Type": "AWS::SQS::Queue"},
            "Dead": {"Type": "AWS::SQS::Queue"},
            "Worker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {
                        "Api": {"Type": "HttpApi", "Properties": {"Path": "/x", "Method": "GET"}},
                        "Jobs": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Jobs", "Arn"]},
                                "BatchSize": {"Ref": "Size"},
                                "MaximumBatchingWindowInSeconds": 2,
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                "ScalingConfig": {"MaximumConcurrency": {"Ref": "Most"}},
                            },
                        },
                    }
                },
            },
            "Janitor": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {"Dead": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": "Dead.Arn"}}}}
                },
            },
        },
    }

    # When its SQS event sources are read
    sources = sqs_event_sources(template)

    # Then Refs resolve to defaults and missing properties take Lambda's defaults
    assert sources == [
        SqsEventSource("Worker", "Jobs", 7, 2, report_batch_item_failures=True, maximum_concurrency=3),
        SqsEventSource("Janitor", "Dead", 10, 0, report_batch_item_failures=False, maximum_concurrency=None),
    ]


def test_sqs_event_sources_rejects_a_queue_outside_the_template() -> None:
    # Given an SQS event whose queue is a literal ARN
    event = {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:us-east-1:123456789012:elsewhere"}}
    template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"E": event}}}}}

    # When / Then reading it fails with a message that names the event
    with pytest.raises(ValueError, match=r"F\.Events\.E: Queue must be !GetAtt"):
        sqs_event_sources(template)


def test_sqs_event_sources_of_the_template_feed_the_bulk_functions() -> None:
    # Given template.yaml / When its SQS event sources are read
    by_queue = {source.queue: source for source in sqs_event_sources()}

    # Then the bulk queue feeds the worker and its dead-letter queue feeds the dead-letter function
    assert by_queue["BulkQueue"].function == "BulkWorkerFunction"
    assert by_queue["BulkQueue"].report_batch_item_failures is True
    assert by_queue["BulkDeadLetterQueue"].function == "BulkDeadLetterFunction"
    redrive = resources_of_type("AWS::SQS::Queue")["BulkQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["BulkDeadLetterQueue", "Arn"]}


def test_sqs_event_sources_of_the_template_feed_the_subscription_clean_up() -> None:
    # Given template.yaml / When its SQS event sources are read
    by_queue = {source.queue: source for source in sqs_event_sources()}

    # Then the clean-up queue feeds its function with partial batch responses; its dead-letter queue waits for a redrive
    assert by_queue["SubscriptionCleanupQueue"].function == "SubscriptionCleanupFunction"
    assert by_queue["SubscriptionCleanupQueue"].report_batch_item_failures is True
    assert "SubscriptionCleanupDeadLetterQueue" not in by_queue
    redrive = resources_of_type("AWS::SQS::Queue")["SubscriptionCleanupQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SubscriptionCleanupDeadLetterQueue", "Arn"]}


@pytest.mark.parametrize("name", ["bulk_worker", "bulk_dead_letter"])
def test_sample_sqs_event_parses_and_names_the_queue_feeding_its_function(name: str) -> None:
    # Given the sample event of a function fed by a queue
    event = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    functions = resources_of_type("AWS::Serverless::Function")
    (queue,) = [
        source.queue
        for source in sqs_event_sources()
        if Path(functions[source.function]["Properties"]["CodeUri"]).name == name
    ]

    # When Powertools parses it
    parsed = SqsModel.model_validate(event)

    # Then it has 2 records from that queue's local ARN, with correct MD5s and compact JSON chunk bodies
    assert len(parsed.Records) == 2
    arn = LocalResources(load_template()).arn(queue)
    for index, record in enumerate(parsed.Records):
        assert record.eventSourceARN == arn
        assert isinstance(record.body, str)
        assert record.md5OfBody == hashlib.md5(record.body.encode()).hexdigest()
        chunk = json.loads(record.body)
        assert json.dumps(chunk, separators=(",", ":"), ensure_ascii=False) == record.body
        assert chunk["operation_id"] == "9b2e1c7a-3f4d-4e8b-9a51-2c0d5e6f7a81"
        assert (chunk["chunk_index"], chunk["action"]) == (index, "identify")
        assert all(set(row) == {"indices", "id", "attributes"} for row in chunk["rows"])


# --- settling batches ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "failed", "malformed"),
    [
        (None, set(), False),
        ({}, set(), False),
        ({"batchItemFailures": None}, set(), False),
        ({"batchItemFailures": []}, set(), False),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, {"m2"}, False),
        ("ok", {"m1", "m2"}, True),
        ({"batchItemFailures": "m2"}, {"m1", "m2"}, True),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"m1", "m2"}, True),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, {"m1", "m2"}, True),
        ({"batchItemFailures": [{"id": "m2"}]}, {"m1", "m2"}, True),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, {"m1", "m2"}, True),
        ({"batchItemFailures": ["m2"]}, {"m1", "m2"}, True),
    ],
)
def test_failed_message_ids_follow_lambda_partial_batch_rules(result: Any, failed: set[str], malformed: bool) -> None:
    # Given a batch of two messages and a function's ReportBatchItemFailures response
    # When the response is read
    found, reason = failed_message_ids(result, ["m1", "m2"])

    # Then empty answers succeed, listed ids fail, and anything malformed fails the whole batch
    assert found == failed
    assert (reason is not None) == malformed


@pytest.mark.parametrize(("value", "expected"), [(None, DEFAULT_RETRY_SECONDS), ("0", 0), (" 5 ", 5)])
def test_retry_seconds_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
) -> None:
    if value is None:
        monkeypatch.delenv(RETRY_SECONDS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(RETRY_SECONDS_VARIABLE, value)
    assert retry_seconds_from_environment() == expected


@pytest.mark.parametrize("value", ["-1", "1.5", "soon", "43201"])
def test_retry_seconds_invalid_value_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(RETRY_SECONDS_VARIABLE, value)
    with pytest.raises(ValueError, match=RETRY_SECONDS_VARIABLE):
        retry_seconds_from_environment()


# --- Lambda's 6 MB payload limit -------------------------------------------------------------------


def event_bytes(event: dict[str, Any]) -> int:
    """What Lambda counts for an event: compact JSON, UTF-8."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


def received(message_id: str, body: str) -> dict[str, Any]:
    """A message as ReceiveMessage returns it."""
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "1"},
    }


def two_messages(event_total: int) -> list[dict[str, Any]]:
    """Two received messages whose event, sent in one invocation, is `event_total` bytes."""
    small = [received("m1", "a"), received("m2", "b")]
    ((_, event),) = sqs_events(small, "arn:queue", REGION)
    return [small[0], received("m2", "b" * (1 + event_total - event_bytes(event)))]


def test_sqs_events_keep_a_batch_whose_event_is_exactly_lambdas_limit_in_one_invocation() -> None:
    # Given two messages whose event is exactly 6,291,456 bytes
    messages = two_messages(MAX_REQUEST_PAYLOAD_BYTES)

    # When the events Lambda sends are built
    ((group, event),) = sqs_events(messages, "arn:queue", REGION)

    # Then one invocation holds both
    assert group == messages
    assert [record["messageId"] for record in event["Records"]] == ["m1", "m2"]
    assert event_bytes(event) == MAX_REQUEST_PAYLOAD_BYTES


def test_sqs_events_cut_a_batch_one_byte_over_lambdas_limit_into_two_invocations() -> None:
    # Given two messages whose event would be one byte over 6,291,456
    messages = two_messages(MAX_REQUEST_PAYLOAD_BYTES + 1)

    # When the events Lambda sends are built
    (first, first_event), (second, second_event) = sqs_events(messages, "arn:queue", REGION)

    # Then the batch is cut in order, each invocation with its own message
    assert (first, second) == ([messages[0]], [messages[1]])
    assert [record["messageId"] for record in first_event["Records"]] == ["m1"]
    assert [record["messageId"] for record in second_event["Records"]] == ["m2"]
    assert event_bytes(second_event) <= MAX_REQUEST_PAYLOAD_BYTES


# --- the poller against moto server ----------------------------------------------------------------


def test_poller_delivers_a_message_as_lambdas_sqs_event_and_deletes_it(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given a message with a string and a binary attribute
    source, _ = queues
    body = json.dumps({"chunk_index": 0, "rows": []}, separators=(",", ":"))
    attributes = {
        "trace": {"DataType": "String", "StringValue": "abc"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    }
    sent = sqs.send_message(QueueUrl=source.url, MessageBody=body, MessageAttributes=attributes)
    lambda_ = ScriptedLambda()

    # When the poller runs
    run_pollers(lambda_, (worker_source(), source))

    # Then the function gets one record shaped exactly as Lambda's, and the message is deleted
    (event,) = wait_until(lambda: lambda_.events("WorkerFunction"), "the invocation")
    (record,) = event["Records"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["messageId"] == sent["MessageId"]
    assert record["receiptHandle"]
    assert record["body"] == body
    assert record["md5OfBody"] == hashlib.md5(body.encode()).hexdigest() == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", source.arn, REGION)
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"].isdigit()
    assert record["messageAttributes"] == {
        "trace": {"stringValue": "abc", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01\xff").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert SqsModel.model_validate(event).Records[0].messageId == sent["MessageId"]
    wait_until(lambda: queue_is_empty(sqs, source), "the message to be deleted")


def test_poller_batches_up_to_batch_size_within_the_batching_window(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given 7 waiting messages and an event source with BatchSize 3 and a 1 s batching window
    source, _ = queues
    bodies = [f"message-{i}" for i in range(7)]
    send(sqs, source, *bodies)
    lambda_ = ScriptedLambda()

    # When the poller runs
    run_pollers(lambda_, (worker_source(batch_size=3, batching_window_seconds=1), source))

    # Then full batches go first, the remainder after the window, and each message exactly once
    wait_until(lambda: len(lambda_.records("WorkerFunction")) >= 7, "all 7 messages")
    assert [len(event["Records"]) for event in lambda_.events("WorkerFunction")] == [3, 3, 1]
    assert sorted(record["body"] for record in lambda_.records("WorkerFunction")) == bodies
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")


LARGE_BODY_BYTES = 1_000_000
"""About as large as an SQS message may be (1 MiB): six fit in one invocation's 6 MB, seven do not."""


def send_large(sqs: Any, queue: Queue, count: int) -> list[str]:
    """`count` messages of about 1 MB, one SendMessage each (a batch of them would be over 1 MiB)."""
    bodies = [f"{i}:" + "x" * LARGE_BODY_BYTES for i in range(count)]
    for body in bodies:
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    return bodies


def test_poller_delivers_a_batch_of_1_mb_messages_in_invocations_within_lambdas_payload_limit(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given ten messages of 1 MB each waiting: one batch of 10, about 10 MB of event
    source, _ = queues
    bodies = send_large(sqs, source, 10)
    lambda_ = ScriptedLambda()

    # When the poller takes them
    run_pollers(lambda_, (worker_source(batch_size=10), source))

    # Then the batch is cut into invocations of at most 6,291,456 bytes, in order, and each message is
    # delivered once and deleted
    wait_until(lambda: len(lambda_.records("WorkerFunction")) >= 10, "all 10 messages")
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")
    events = lambda_.events("WorkerFunction")
    assert [len(event["Records"]) for event in events] == [6, 4]
    assert all(event_bytes(event) <= MAX_REQUEST_PAYLOAD_BYTES for event in events)
    assert [record["body"] for record in lambda_.records("WorkerFunction")] == bodies
    assert {record["attributes"]["ApproximateReceiveCount"] for record in lambda_.records("WorkerFunction")} == {"1"}


def test_poller_settles_each_invocation_of_a_cut_batch_on_its_own(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given a batch of eight 1 MB messages (two invocations) and a function that fails the seventh once
    source, _ = queues
    bodies = send_large(sqs, source, 8)
    lambda_ = ScriptedLambda(WorkerFunction=fail_bodies_first_time(bodies[6]))

    # When the poller takes them
    run_pollers(lambda_, (worker_source(batch_size=10), source))

    # Then only the seventh comes back; every other message was delivered once and deleted
    wait_until(lambda: lambda_.deliveries("WorkerFunction", bodies[6])[1:], "the seventh's redelivery")
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")
    assert [len(event["Records"]) for event in lambda_.events("WorkerFunction")] == [6, 2, 1]
    assert [len(lambda_.deliveries("WorkerFunction", body)) for body in bodies] == [1] * 6 + [2, 1]


def test_poller_redelivers_only_the_reported_batch_item_failures(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given three messages in one batch and a function that reports "b" as failed the first time
    source, _ = queues
    a, b, c = send(sqs, source, "a", "b", "c")
    lambda_ = ScriptedLambda(WorkerFunction=fail_bodies_first_time("b"))

    # When the poller runs
    run_pollers(lambda_, (worker_source(), source))

    # Then "b" comes back with a higher receive count, while "a" and "c" were deleted after one delivery
    second = wait_until(lambda: lambda_.deliveries("WorkerFunction", "b")[1:], "b's redelivery")[0]
    assert (second["messageId"], second["attributes"]["ApproximateReceiveCount"]) == (b, "2")
    assert [record["messageId"] for record in lambda_.events("WorkerFunction")[0]["Records"]] == [a, b, c]
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")
    assert [record["body"] for record in lambda_.records("WorkerFunction")] == ["a", "b", "c", "b"]


def test_poller_redelivers_the_whole_batch_when_the_function_raises(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given two messages and a function that crashes on its first invocation
    source, _ = queues
    sent = send(sqs, source, "x", "y")
    lambda_ = ScriptedLambda(WorkerFunction=raise_first_time())

    # When the poller runs
    group = run_pollers(lambda_, (worker_source(), source))

    # Then both messages come back (the thread survived the exception) and are deleted the second time
    wait_until(lambda: len(lambda_.records("WorkerFunction")) >= 4, "the batch's redelivery")
    first, second = lambda_.events("WorkerFunction")
    assert [record["messageId"] for record in first["Records"]] == sent
    assert [record["messageId"] for record in second["Records"]] == sent
    assert {record["attributes"]["ApproximateReceiveCount"] for record in second["Records"]} == {"2"}
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")
    assert group.pollers[0].thread.is_alive()


@pytest.mark.parametrize("result", ["not an object", {"batchItemFailures": [{"itemIdentifier": "nope"}]}])
def test_poller_malformed_response_fails_the_whole_batch(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers], result: Any
) -> None:
    # Given a function that answers nonsense to its first invocation
    source, _ = queues
    send(sqs, source, "x", "y")
    answers = iter([result])
    lambda_ = ScriptedLambda(WorkerFunction=lambda event: next(answers, None))

    # When the poller runs
    run_pollers(lambda_, (worker_source(), source))

    # Then both messages are delivered again
    wait_until(lambda: len(lambda_.events("WorkerFunction")) >= 2, "the batch's redelivery")
    assert [record["body"] for record in lambda_.records("WorkerFunction")] == ["x", "y", "x", "y"]
    wait_until(lambda: queue_is_empty(sqs, source), "every message to be deleted")


def test_poller_without_report_batch_item_failures_ignores_the_response(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given an event source without ReportBatchItemFailures and a function that lists a failure
    source, _ = queues
    send(sqs, source, "x")
    lambda_ = ScriptedLambda(WorkerFunction=fail_every_record)

    # When the poller runs
    run_pollers(lambda_, (worker_source(report_batch_item_failures=False), source))

    # Then the invocation returned, so Lambda counts the message as processed and deletes it
    wait_until(lambda: lambda_.events("WorkerFunction"), "the invocation")
    wait_until(lambda: queue_is_empty(sqs, source), "the message to be deleted")
    assert len(lambda_.records("WorkerFunction")) == 1


def test_poller_failed_message_stays_invisible_for_the_retry_seconds(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given a message whose first delivery fails and a 1 s local retry delay
    source, _ = queues
    send(sqs, source, "x")
    lambda_ = ScriptedLambda(WorkerFunction=fail_bodies_first_time("x"))

    # When the poller runs
    run_pollers(lambda_, (worker_source(), source), retry_seconds=1)

    # Then the retry comes after about 1 s: not at once, and not after the queue's 180 s timeout
    wait_until(lambda: len(lambda_.calls) >= 2, "the retry")
    first, second = (at for _, _, at in lambda_.calls[:2])
    assert 1.0 <= second - first < 5.0


def test_poison_message_goes_to_the_dead_letter_queue_and_its_function(
    sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given a worker that fails every message, and the dead-letter queue polled for its own function
    source, dead_letter = queues
    (poison,) = send(sqs, source, "poison")
    lambda_ = ScriptedLambda(WorkerFunction=fail_every_record)
    dead_source = SqsEventSource("DeadLetterFunction", "Dead", report_batch_item_failures=True)

    # When the pollers run
    run_pollers(lambda_, (worker_source(), source), (dead_source, dead_letter))

    # Then after maxReceiveCount failed deliveries moto moves it to the dead-letter queue, whose
    # function gets the same message from that queue
    (record,) = wait_until(lambda: lambda_.records("DeadLetterFunction"), "the dead-letter delivery")
    assert (record["messageId"], record["body"], record["eventSourceARN"]) == (poison, "poison", dead_letter.arn)
    counts = [r["attributes"]["ApproximateReceiveCount"] for r in lambda_.deliveries("WorkerFunction", "poison")]
    assert counts == [str(n) for n in range(1, MAX_RECEIVE_COUNT + 1)]
    wait_until(lambda: queue_is_empty(sqs, dead_letter), "the dead-letter message to be deleted")
    assert queue_is_empty(sqs, source)


def test_poller_survives_failing_sqs_calls(
    capsys: pytest.CaptureFixture[str], sqs: Any, queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # (capsys first: it must outlive the poller thread, which run_pollers stops at teardown)
    # Given a poller whose queue disappears
    source, _ = queues
    group = run_pollers(ScriptedLambda(), (worker_source(), source))
    sqs.delete_queue(QueueUrl=source.url)

    # When ReceiveMessage fails
    wait_until(lambda: "polling Source failed" in capsys.readouterr().err, "the failure to be logged")

    # Then the thread logs the error and keeps going
    assert group.pollers[0].thread.is_alive()


def test_stop_ends_every_poller_thread_promptly(
    queues: tuple[Queue, Queue], run_pollers: Callable[..., QueuePollers]
) -> None:
    # Given two pollers long-polling empty queues
    source, dead_letter = queues
    group = run_pollers(ScriptedLambda(), (worker_source(), source), (worker_source(function="Other"), dead_letter))

    # When they are stopped
    started = time.monotonic()
    group.stop()

    # Then every thread has ended within a receive's wait time
    assert time.monotonic() - started < 3.0
    assert not any(poller.thread.is_alive() for poller in group.pollers)


def test_template_queues_send_a_poison_chunk_to_the_dead_letter_function(
    moto_url: str, sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given template.yaml's queues created as the emulator creates them, with pollers started as
    # `start_local_api()` starts them (batching window off and no retry delay, to keep this fast)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv(RETRY_SECONDS_VARIABLE, "0")
    resources = LocalResources(load_template())
    create_queues(resources)
    lambda_ = ScriptedLambda(BulkWorkerFunction=fail_every_record)
    emulator = SimpleNamespace(resources=resources, invoke=lambda_.invoke)
    sources = [replace(source, batching_window_seconds=0) for source in sqs_event_sources(resources.template)]
    group = start_queue_pollers(emulator, sources)  # type: ignore[arg-type]

    try:
        # When a chunk that always fails is queued
        body = (EVENTS_DIR / "bulk_worker.json").read_text(encoding="utf-8")
        chunk = json.loads(body)["Records"][0]["body"]
        sqs.send_message(QueueUrl=resources.queue_urls["BulkQueue"], MessageBody=chunk)

        # Then the worker sees it BulkMaxReceiveCount times, then the dead-letter function gets it
        (record,) = wait_until(lambda: lambda_.records("BulkDeadLetterFunction"), "the dead-letter delivery")
    finally:
        group.stop()
    assert record["body"] == chunk
    assert record["eventSourceARN"] == resources.arn("BulkDeadLetterQueue")
    redrive = resources.resolve(resources.template["Resources"]["BulkQueue"]["Properties"]["RedrivePolicy"])
    max_receive_count = int(redrive["maxReceiveCount"])
    assert len(lambda_.deliveries("BulkWorkerFunction", chunk)) == max_receive_count
