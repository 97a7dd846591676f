"""Lambda's DynamoDB stream event source mapping, for `make run`: read each table's stream and feed its function.

For every `Type: DynamoDB` event in template.yaml, `start_stream_pollers()` runs one background thread
that does what Lambda's poller does for each shard of the table's stream (moto server has one):

- it reads from StartingPosition on, with GetRecords, and drops the records that match none of the
  event's FilterCriteria patterns (key matching, with literal values, `prefix` and `exists`), as Lambda does;
- it gathers up to BatchSize records (at most LOCAL_BATCH_RECORDS: one function runs at a time here,
  and a batch of 500 change events takes moto long enough to keep API requests waiting), waiting up to
  MaximumBatchingWindowInSeconds for more, and cuts a batch whose event would be over the 6 MB
  invocation payload limit into several invocations, in order;
- it invokes the function through the emulator with the event Lambda builds (`eventSourceARN` the
  stream, `ApproximateCreationDateTime` in epoch seconds);
- an exception from the function, or a malformed partial batch response, retries the whole batch; with
  ReportBatchItemFailures, the batch is retried from the lowest `itemIdentifier` (a SequenceNumber);
  after MaximumRetryAttempts retries the batch is discarded, reported on stderr, and reading goes on;
  with an OnFailure queue (DestinationConfig), Lambda's invocation record of the discarded batch is sent
  to it (`failure_record`: the shard and the sequence range, not the records).

One record of moto's is dropped, because DynamoDB writes none like it: an UpdateItem that creates an
item makes moto record an INSERT of the bare key first, then the INSERT of the item (`is_placeholder`).
moto also records a MODIFY for a write that changes nothing, which DynamoDB does not; that one is
delivered, and the function must (and does) tell it from a change.

Not emulated: several shards and their lineage (moto has one shard), ParallelizationFactor,
BisectBatchOnFunctionError, MaximumRecordAgeInSeconds, OnFailure destinations other than a queue of
the template, function timeouts, and backoff after errors (a retry comes after RETRY_SECONDS).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from local.emulator import MAX_REQUEST_PAYLOAD_BYTES, Emulator, Invoker, region, request_payload_bytes
from local.pollers import BackgroundLoop, Pollers
from local.template import StreamEventSource, stream_event_sources

IDLE_SECONDS = 0.25  # Lambda polls each shard about four times a second
SHARDS_SECONDS = 5.0
RETRY_SECONDS = 0.5
_GET_RECORDS_LIMIT = 1000
LOCAL_BATCH_RECORDS = 50


def matches(pattern: dict[str, Any], value: Any) -> bool:
    """Whether a record (or part of one) matches a FilterCriteria pattern."""
    if not isinstance(value, dict):
        return False
    for key, expected in pattern.items():
        if isinstance(expected, dict):
            if not matches(expected, value.get(key)):
                return False
        elif not any(_matches_one(rule, key, value) for rule in expected):
            return False
    return True


def _matches_one(rule: Any, key: str, value: dict[str, Any]) -> bool:
    if not isinstance(rule, dict):
        return key in value and value[key] == rule
    if set(rule) == {"prefix"}:
        return isinstance(value.get(key), str) and value[key].startswith(rule["prefix"])
    if set(rule) == {"exists"}:
        return (key in value) is bool(rule["exists"])
    raise ValueError(f"FilterCriteria rule {rule!r} is not supported locally (literals, prefix and exists are)")


def is_placeholder(record: dict[str, Any]) -> bool:
    """moto's INSERT of an item holding only its key, recorded before an UpdateItem fills the item in."""
    stream = record["dynamodb"]
    return record["eventName"] == "INSERT" and set(stream.get("NewImage") or {}) <= set(stream.get("Keys") or {})


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """One record of Lambda's DynamoDB event, from a GetRecords record (boto3's, whose time is a datetime)."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region(),
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }


_EMPTY_EVENT_BYTES = request_payload_bytes({"Records": []})


def stream_events(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Lambda's events for a batch of (Lambda-shaped) records: in order, none over MAX_REQUEST_PAYLOAD_BYTES."""
    group: list[dict[str, Any]] = []
    size = _EMPTY_EVENT_BYTES
    for record in records:
        record_size = request_payload_bytes(record)
        if group and size + 1 + record_size > MAX_REQUEST_PAYLOAD_BYTES:
            yield {"Records": group}
            group, size = [], _EMPTY_EVENT_BYTES
        size += record_size + (1 if group else 0)
        group.append(record)
    if group:
        yield {"Records": group}


def retry_from(result: Any, sequences: list[str]) -> tuple[str | None, str | None]:
    """Where a partial batch response says to retry from (None: nothing failed), and why the whole batch
    failed, if it did."""
    if result is None:
        return None, None
    failures = result.get("batchItemFailures") if isinstance(result, dict) else "not an object"
    if failures is None:
        return None, None
    if not isinstance(failures, list):
        return sequences[0], f"batchItemFailures is not a list: {failures!r:.200}"
    failed = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in sequences:
            return sequences[0], f"batchItemFailures holds an invalid item: {failure!r:.200}"
        failed.append(identifier)
    return (min(failed, key=int) if failed else None), None


def _arrival(record: dict[str, Any]) -> str:
    return datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_record(
    function_arn: str, shard_id: str, event: dict[str, Any], invoke_count: int, raised: bool
) -> dict[str, Any]:
    """What Lambda sends an OnFailure destination for a discarded stream batch (`event`, as the function
    got it): the batch's shard and sequence range, the records themselves left in the stream."""
    records = event["Records"]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if raised:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": records[0]["eventSourceARN"],
        },
    }


@dataclass(frozen=True)
class FailureDestination:
    """An event source mapping's OnFailure queue, and the ARN its records name the function by."""

    sqs: Any
    queue_url: str
    function_arn: str


class StreamPoller(BackgroundLoop):
    """One event source mapping: a thread reading the stream `stream_arn` and invoking `source.function`."""

    def __init__(
        self,
        source: StreamEventSource,
        stream_arn: str,
        invoker: Invoker,
        streams: Any,
        on_failure: FailureDestination | None = None,
    ) -> None:
        self.source = source
        self.stream_arn = stream_arn
        self.invoker = invoker
        self.streams = streams
        self.on_failure = on_failure
        self._iterators: dict[str, str] = {}
        self._attempts: dict[str, int] = {}
        self._shards: list[str] = []
        self._shards_read_by = 0.0
        super().__init__(name=f"stream-{source.function}")

    def step(self) -> float:
        return 0 if self.poll_once() else IDLE_SECONDS

    def failure(self) -> str:
        return f"stream {self.source.function}: reading {self.source.table} failed"

    def poll_once(self) -> int:
        """Read and deliver one batch from each shard; returns the number of records delivered."""
        if time.monotonic() >= self._shards_read_by:  # the shards change rarely: DescribeStream every few seconds
            description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
            self._shards = [shard["ShardId"] for shard in description["Shards"]]
            self._shards_read_by = time.monotonic() + SHARDS_SECONDS
        return sum(self._poll_shard(shard_id) for shard_id in self._shards)

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        arguments = {"SequenceNumber": sequence} if sequence is not None else {}
        response = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=kind, **arguments
        )
        return str(response["ShardIterator"])

    def _poll_shard(self, shard_id: str) -> int:
        if shard_id not in self._iterators:
            self._iterators[shard_id] = self._iterator(shard_id, self.source.starting_position)
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.source.batching_window_seconds
        batch_size = min(self.source.batch_size, LOCAL_BATCH_RECORDS)
        while len(batch) < batch_size and not self._stop.is_set():
            limit = min(batch_size - len(batch), _GET_RECORDS_LIMIT)
            response = self.streams.get_records(ShardIterator=self._iterators[shard_id], Limit=limit)
            self._iterators[shard_id] = response["NextShardIterator"]
            records = [lambda_record(record, self.stream_arn) for record in response.get("Records", [])]
            records = [record for record in records if not is_placeholder(record)]
            batch += [record for record in records if self._selected(record)]
            if not records and (not batch or time.monotonic() >= deadline):
                break
            if not records:
                self._stop.wait(min(0.05, max(0.0, deadline - time.monotonic())))
        if batch:
            self._deliver(shard_id, batch)
        return len(batch)

    def _selected(self, record: dict[str, Any]) -> bool:
        return not self.source.filters or any(matches(pattern, record) for pattern in self.source.filters)

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        for event in stream_events(batch):
            failed_at, raised = self._invoke(event)
            if failed_at is not None:
                self._retry_or_discard(shard_id, event, failed_at, raised)
                return

    def _invoke(self, event: dict[str, Any]) -> tuple[str | None, bool]:
        """One invocation: the sequence number to retry from (None when every record succeeded), and
        whether the function raised."""
        function = self.source.function
        sequences = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
        started = time.perf_counter()
        raised = False
        try:
            result = self.invoker.invoke(function, event, str(uuid.uuid4()))
        except Exception:
            print(f"stream {function}: the invocation failed, the whole batch will be retried:", file=sys.stderr)
            traceback.print_exc()
            failed_at: str | None = sequences[0]
            raised = True
        else:
            failed_at, malformed = (
                retry_from(result, sequences) if self.source.report_batch_item_failures else (None, None)
            )
            if malformed:
                print(f"stream {function}: whole batch failed, {malformed}", file=sys.stderr)
        elapsed_ms = (time.perf_counter() - started) * 1000
        outcome = "all succeeded" if failed_at is None else f"retry from {failed_at}"
        sys.stderr.write(
            f"stream {self.source.table} -> {function}: {len(sequences)} record{'' if len(sequences) == 1 else 's'}, "
            f"{outcome}, {elapsed_ms:.0f}ms\n"
        )
        return failed_at, raised

    def _retry_or_discard(self, shard_id: str, event: dict[str, Any], failed_at: str, raised: bool) -> None:
        first = event["Records"][0]["dynamodb"]["SequenceNumber"]
        attempts = self._attempts.get(first, 0) + 1
        limit = self.source.maximum_retry_attempts
        if 0 <= limit < attempts:
            last = event["Records"][-1]["dynamodb"]["SequenceNumber"]
            destination = self.on_failure
            sent = f", its record sent to {destination.queue_url}" if destination else ""
            print(
                f"stream {self.source.function}: records {first}..{last} discarded after {limit} retries{sent}",
                file=sys.stderr,
            )
            if destination:
                record = failure_record(destination.function_arn, shard_id, event, attempts, raised)
                destination.sqs.send_message(QueueUrl=destination.queue_url, MessageBody=json.dumps(record))
            self._attempts.pop(first, None)
            self._iterators[shard_id] = self._iterator(shard_id, "AFTER_SEQUENCE_NUMBER", last)
            return
        self._attempts.pop(first, None)
        self._attempts[failed_at] = attempts if failed_at == first else 1
        self._iterators[shard_id] = self._iterator(shard_id, "AT_SEQUENCE_NUMBER", failed_at)
        self._stop.wait(RETRY_SECONDS)


class StreamPollers(Pollers[StreamPoller]):
    """The running stream pollers of a local API."""

    def __init__(self, pollers: list[StreamPoller]) -> None:
        super().__init__(pollers, "stream")


def start_stream_pollers(emulator: Emulator, sources: list[StreamEventSource] | None = None) -> StreamPollers:
    """One started poller per enabled DynamoDB stream event source of the template, invoking through `emulator`."""
    resources = emulator.resources
    dynamodb, streams, sqs = boto3.client("dynamodb"), boto3.client("dynamodbstreams"), boto3.client("sqs")
    pollers = []
    for source in stream_event_sources(resources.template) if sources is None else sources:
        table = dynamodb.describe_table(TableName=resources.physical_name(source.table))["Table"]
        if not source.enabled:
            continue
        if "LatestStreamArn" not in table:
            print(f"stream {source.function}: {source.table} has no stream (made before it had one?)", file=sys.stderr)
            continue
        queue = source.on_failure_queue
        on_failure = (
            FailureDestination(sqs, resources.queue_urls[queue], resources.arn(source.function)) if queue else None
        )
        pollers.append(StreamPoller(source, table["LatestStreamArn"], emulator, streams, on_failure))
    return StreamPollers(pollers).start()
