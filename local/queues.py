"""Lambda's SQS event source mapping, for `make run`: poll each queue and feed its function.

For every `Type: SQS` event in template.yaml, `start_queue_pollers()` runs one background thread that
does what Lambda's poller does. It receives up to BatchSize messages, keeps receiving for up to
MaximumBatchingWindowInSeconds while the batch is not full, and invokes the function through the
emulator with the SQS event Lambda builds. Like Lambda, it cuts a batch whose event would be over the
6 MB invocation payload limit (MAX_REQUEST_PAYLOAD_BYTES: SQS messages may take 1 MiB each) into
several invocations, messages in order. Then it settles each invocation's messages the way Lambda does:

- an exception from the function fails the whole batch;
- with ReportBatchItemFailures, the messages named in `batchItemFailures[].itemIdentifier` fail and the
  rest are deleted. A None or empty response, or no `batchItemFailures`, means that every message
  succeeded. A malformed response (not an object, `batchItemFailures` not a list, an identifier that
  is missing, empty or not in the batch) fails the whole batch;
- without ReportBatchItemFailures, every message of a batch whose invocation returned is deleted.

Failed messages are not deleted, so SQS delivers them again, and moto server applies the queue's
RedrivePolicy as SQS does. On the first ReceiveMessage after a message's maxReceiveCount-th delivery,
moto moves the message to the dead-letter queue (same message id, body and attributes). The
dead-letter queue's own event source then feeds the message to its function. This module never moves
messages itself.

One deliberate deviation from AWS: Lambda leaves a failed message invisible until the queue's
VisibilityTimeout ends (BulkQueue: 180 s). Locally the poller calls ChangeMessageVisibility to make it
visible again after `LOCAL_SQS_RETRY_SECONDS` seconds (default 2), so a retry or a trip to the
dead-letter queue takes seconds, not minutes.

Not emulated: concurrent batches (one invocation at a time per source, and the emulator runs one
invocation at a time anyway; ScalingConfig.MaximumConcurrency is informational), FilterCriteria,
ending the batching window early once the batch reaches 6 MB (it is cut afterwards instead),
function timeouts, backoff after errors, and the DeadLetterQueueSourceArn attribute that SQS adds to
a dead-lettered message (moto doesn't).
"""

from __future__ import annotations

import base64
import os
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import boto3

from local.emulator import MAX_REQUEST_PAYLOAD_BYTES, Emulator, Invoker, region, request_payload_bytes
from local.pollers import BackgroundLoop, Pollers
from local.template import SqsEventSource, sqs_event_sources

RETRY_SECONDS_VARIABLE = "LOCAL_SQS_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 2
RECEIVE_WAIT_SECONDS = 1  # long-poll briefly, so stop() is prompt
_SQS_MAX_MESSAGES = 10  # per ReceiveMessage / DeleteMessageBatch / ChangeMessageVisibilityBatch
_MAX_VISIBILITY_SECONDS = 43_200
_LAMBDA_ATTRIBUTE_ORDER = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")


def retry_seconds_from_environment() -> int:
    """`LOCAL_SQS_RETRY_SECONDS`: how long a failed message stays invisible locally."""
    text = os.environ.get(RETRY_SECONDS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_RETRY_SECONDS
    try:
        seconds = int(text)
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= _MAX_VISIBILITY_SECONDS:
        raise ValueError(f"{RETRY_SECONDS_VARIABLE} must be a whole number of seconds from 0 to 43200, not {text!r}")
    return seconds


# --- the event Lambda builds -----------------------------------------------------------------------


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A ReceiveMessage MessageAttributeValue in the shape Lambda puts in the event (binary as base64)."""
    attribute: dict[str, Any] = {}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _base64(value["BinaryValue"])
    attribute["stringListValues"] = list(value.get("StringListValues") or [])
    attribute["binaryListValues"] = [_base64(item) for item in value.get("BinaryListValues") or []]
    attribute["dataType"] = value["DataType"]
    return attribute


def _base64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode("utf-8")).decode("ascii")


def sqs_record(message: dict[str, Any], queue_arn: str, aws_region: str) -> dict[str, Any]:
    """One record of Lambda's SQS event, from a ReceiveMessage message (AttributeNames/MessageAttributeNames All)."""
    received = message.get("Attributes") or {}
    attributes = {name: received[name] for name in _LAMBDA_ATTRIBUTE_ORDER if name in received}
    attributes.update({name: value for name, value in received.items() if name not in attributes})
    message_attributes = message.get("MessageAttributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {name: _message_attribute(value) for name, value in message_attributes.items()},
    }
    if message_attributes and message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update(
        {
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": aws_region,
        }
    )
    return record


_EMPTY_EVENT_BYTES = request_payload_bytes({"Records": []})


def sqs_events(
    messages: list[dict[str, Any]], queue_arn: str, aws_region: str
) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """Lambda's SQS events for a received batch, each with its messages: the batch in order, cut so
    that no event is over MAX_REQUEST_PAYLOAD_BYTES (a record too large alone goes alone)."""
    group: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    size = _EMPTY_EVENT_BYTES
    for message in messages:
        record = sqs_record(message, queue_arn, aws_region)
        record_size = request_payload_bytes(record)
        if records and size + 1 + record_size > MAX_REQUEST_PAYLOAD_BYTES:  # 1: the comma before it
            yield group, {"Records": records}
            group, records, size = [], [], _EMPTY_EVENT_BYTES
        size += record_size + (1 if records else 0)
        group.append(message)
        records.append(record)
    if records:
        yield group, {"Records": records}


def failed_message_ids(result: Any, message_ids: list[str]) -> tuple[set[str], str | None]:
    """The messages a ReportBatchItemFailures response fails, and why the whole batch failed (if it did)."""
    if result is None:
        return set(), None
    if not isinstance(result, dict):
        return set(message_ids), f"the response is not an object: {result!r:.200}"
    failures = result.get("batchItemFailures")
    if failures is None:
        return set(), None
    if not isinstance(failures, list):
        return set(message_ids), f"batchItemFailures is not a list: {failures!r:.200}"
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in message_ids:
            return set(message_ids), f"batchItemFailures holds an invalid item: {failure!r:.200}"
        failed.add(identifier)
    return failed, None


# --- the poller ------------------------------------------------------------------------------------


class QueuePoller(BackgroundLoop):
    """One event source mapping: a thread that receives from `queue_url` and invokes `source.function`."""

    def __init__(
        self,
        source: SqsEventSource,
        queue_url: str,
        queue_arn: str,
        invoker: Invoker,
        sqs: Any,
        *,
        retry_seconds: int | None = None,
        aws_region: str | None = None,
        wait_seconds: int = RECEIVE_WAIT_SECONDS,
    ) -> None:
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoker = invoker
        self.sqs = sqs
        self.retry_seconds = retry_seconds_from_environment() if retry_seconds is None else retry_seconds
        self.aws_region = aws_region or region()
        self.wait_seconds = wait_seconds
        super().__init__(name=f"sqs-{source.function}")

    def step(self) -> float:
        self.poll_once()  # it rests in the receive's long poll
        return 0

    def failure(self) -> str:
        return f"sqs {self.source.function}: polling {self.source.queue} failed"

    def poll_once(self) -> int:
        """Receive one batch and deliver it; returns the number of records delivered."""
        messages = self._receive_batch()
        if not messages:
            return 0
        if self._stop.is_set():  # stopping: hand the batch back untouched
            self._change_visibility(messages, 0)
            return 0
        self._deliver(messages)
        return len(messages)

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages") or []
        return messages

    def _receive_batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: what one receive gives, topped up during the batching window."""
        batch_size = self.source.batch_size
        messages = self._receive(min(batch_size, _SQS_MAX_MESSAGES), self.wait_seconds)
        if not messages or self.source.batching_window_seconds <= 0:
            return messages
        deadline = time.monotonic() + self.source.batching_window_seconds
        while len(messages) < batch_size and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self._receive(min(batch_size - len(messages), _SQS_MAX_MESSAGES), 0)
            if more:
                messages.extend(more)
            else:
                self._stop.wait(min(0.05, remaining))
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        for group, event in sqs_events(messages, self.queue_arn, self.aws_region):
            self._invoke(group, event)

    def _invoke(self, messages: list[dict[str, Any]], event: dict[str, Any]) -> None:
        """One invocation with `event`, which holds `messages`; then settle them."""
        function = self.source.function
        message_ids = [message["MessageId"] for message in messages]
        started = time.perf_counter()
        try:
            result = self.invoker.invoke(function, event, str(uuid.uuid4()))
        except Exception:
            print(f"sqs {function}: the invocation failed, the whole batch will be retried:", file=sys.stderr)
            traceback.print_exc()
            failed = set(message_ids)
        else:
            failed = set()
            if self.source.report_batch_item_failures:
                failed, malformed = failed_message_ids(result, message_ids)
                if malformed:
                    print(f"sqs {function}: whole batch failed, {malformed}", file=sys.stderr)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._delete([message for message in messages if message["MessageId"] not in failed])
        self._change_visibility([message for message in messages if message["MessageId"] in failed], self.retry_seconds)
        records = f"{len(messages)} record" if len(messages) == 1 else f"{len(messages)} records"
        summary = f"{records}, {len(failed)} failed, in {elapsed_ms:.0f} ms"
        sys.stderr.write(f"sqs {self.source.queue} -> {function}: {summary}\n")

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for chunk in _chunks(messages):
            entries = [{"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]} for i, message in enumerate(chunk)]
            response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            self._report_failed_entries("DeleteMessageBatch", response)

    def _change_visibility(self, messages: list[dict[str, Any]], seconds: int) -> None:
        for chunk in _chunks(messages):
            entries = [
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": seconds}
                for i, message in enumerate(chunk)
            ]
            response = self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
            self._report_failed_entries("ChangeMessageVisibilityBatch", response)

    def _report_failed_entries(self, action: str, response: dict[str, Any]) -> None:
        for failure in response.get("Failed") or []:
            reason = f"{failure.get('Code')} {failure.get('Message')}"
            print(f"sqs {self.source.function}: {action} failed for an entry: {reason}", file=sys.stderr)


def _chunks(messages: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(messages), _SQS_MAX_MESSAGES):
        yield messages[start : start + _SQS_MAX_MESSAGES]


class QueuePollers(Pollers[QueuePoller]):
    """The running queue pollers of a local API."""

    def __init__(self, pollers: list[QueuePoller]) -> None:
        super().__init__(pollers, "sqs")


def start_queue_pollers(emulator: Emulator, sources: list[SqsEventSource] | None = None) -> QueuePollers:
    """One started poller per enabled SQS event source of the template, invoking through `emulator`."""
    resources = emulator.resources
    retry_seconds = retry_seconds_from_environment()
    pollers = [
        QueuePoller(
            source,
            resources.queue_urls[source.queue],
            resources.arn(source.queue),
            emulator,
            boto3.client("sqs"),  # AWS_ENDPOINT_URL points at moto server (configure_aws_environment)
            retry_seconds=retry_seconds,
        )
        for source in (sqs_event_sources(resources.template) if sources is None else sources)
        if source.enabled
    ]
    return QueuePollers(pollers).start()
