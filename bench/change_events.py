"""The change-event stream consumer against raw `PutEvents` of the same events, on one moto server.

- consumer: N identifies are written (UpdateItem, as identify writes them) and their records read
  from the table's stream, outside the clock, in the shape Lambda delivers them (the event's
  FilterCriteria applied: the checkpoints' own records never reach the function); the clock runs while
  ChangeEventsFunction's handler takes them in batches of the template's BatchSize (checkpoint read,
  mapping, PutEvents of 10, checkpoint write) and until a consumer queue on the bus holds every event;
- raw: this process puts the same events' entries with `PutEvents` of 10, and the clock stops when
  the same consumer queue holds them all.

Each consumer run gets fresh records (a batch seen before would be skipped by its checkpoint). Runs
alternate (raw, consumer, raw, ...) so the machine's noise hits both; the medians are kept.
Run alone with `python -m bench.change_events`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import boto3

from bench import quiet
from bench.bulk import free_port, wait_until
from local.template import create_table_arguments, resources_of_type, stream_event_sources

TABLE = "bench-RecipientsTable"
BUS = "bench-WorkflowEventBus"
MAX_BATCH_ENTRIES = 10


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    devnull = subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=devnull, stderr=devnull
    )
    try:
        wait_until(lambda: urllib.request.urlopen(f"{url}/moto-api/", timeout=1).status == 200, "moto server")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_change_events(events: int, repeats: int) -> dict[str, Any]:
    consumer_rates: list[float] = []
    raw_rates: list[float] = []
    with moto_server() as url:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": url,
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "RECIPIENTS_TABLE_NAME": TABLE,
                "WORKFLOW_EVENT_BUS_NAME": BUS,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "POWERTOOLS_METRICS_NAMESPACE": "Recipients",
                "POWERTOOLS_SERVICE_NAME": "recipients",
            }
        )
        _fresh_clients()
        bench = _Bench(events)
        bench.run_raw(bench.seed())  # warm both paths
        bench.run_consumer(bench.seed())
        for repeat in range(repeats):
            raw_rates.append(events / bench.run_raw(bench.seed()))
            consumer_rates.append(events / bench.run_consumer(bench.seed()))
            print(f"  run {repeat + 1}: raw {raw_rates[-1]:.0f} events/s, consumer {consumer_rates[-1]:.0f} events/s")
    raw, consumer = statistics.median(raw_rates), statistics.median(consumer_rates)
    return {
        "events": events,
        "repeats": repeats,
        "batch_size": bench.batch_size,
        "raw_events_per_s": round(raw, 1),
        "consumer_events_per_s": round(consumer, 1),
        "change_events_vs_raw_ratio": round(consumer / raw, 3),
    }


def _fresh_clients() -> None:
    """Clients and settings made from now on see moto server: this process may have made some for in-process moto."""
    from recipients.changes.checkpoint import get_checkpoint_store
    from recipients.changes.settings import change_event_settings
    from recipients.kernel.aws import dynamodb, events
    from recipients.kernel.settings import table_settings
    from recipients.kernel.table import get_table

    for cached in (dynamodb, events, table_settings, get_table, get_checkpoint_store, change_event_settings):
        cached.cache_clear()


class _Context:
    function_name = "ChangeEventsFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ChangeEventsFunction"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class _Bench:
    def __init__(self, events: int) -> None:
        self.events = events
        self.dynamodb, self.streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
        self.sqs: Any = boto3.client("sqs")
        self.bus: Any = boto3.client("events")
        properties = resources_of_type("AWS::DynamoDB::Table")["RecipientsTable"]["Properties"]
        self.dynamodb.create_table(TableName=TABLE, **create_table_arguments(properties))
        self.stream_arn = self.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self.source = next(s for s in stream_event_sources() if s.function == "ChangeEventsFunction")
        self.batch_size = self.source.batch_size
        self.bus.create_event_bus(Name=BUS)
        self.queue = self.sqs.create_queue(QueueName="bench-change-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.bus.put_rule(Name="bench", EventBusName=BUS, EventPattern=json.dumps({"source": ["recipients"]}))
        self.bus.put_targets(Rule="bench", EventBusName=BUS, Targets=[{"Id": "bench", "Arn": arn}])

    def seed(self) -> list[dict[str, Any]]:
        """N new users written as identify writes them; their stream records as Lambda delivers them."""
        from local.streams import is_placeholder, lambda_record, matches

        run = uuid.uuid4().hex[:8]
        for index in range(self.events):
            user_id = f"bench-{run}-{index}"
            self.dynamodb.update_item(
                TableName=TABLE,
                Key={"pk": {"S": f"user#{user_id}"}},
                UpdateExpression="SET #id = :id, #n = :n, #e = :e, updated_at = :t",
                ExpressionAttributeNames={"#id": "id", "#n": "prop:name", "#e": "prop:email"},
                ExpressionAttributeValues={
                    ":id": {"S": user_id},
                    ":n": {"S": '"Bench"'},
                    ":e": {"S": '"bench@example.com"'},
                    ":t": {"S": "2025-01-01T00:00:00Z"},
                },
            )
        records: list[dict[str, Any]] = []
        while len(records) < self.events:
            response = self.streams.get_records(ShardIterator=self.iterator, Limit=1000)
            self.iterator = response["NextShardIterator"]
            converted = (lambda_record(record, self.stream_arn) for record in response["Records"])
            selected = (r for r in converted if any(matches(pattern, r) for pattern in self.source.filters))
            records += [record for record in selected if not is_placeholder(record)]
        return records

    def run_consumer(self, records: list[dict[str, Any]]) -> float:
        """Seconds for ChangeEventsFunction to take the records and the consumer queue to hold every event."""
        from functions.change_events.app import lambda_handler

        started = time.perf_counter()
        with quiet():
            for start in range(0, len(records), self.batch_size):
                response = lambda_handler({"Records": records[start : start + self.batch_size]}, cast(Any, _Context()))
                assert response == {"batchItemFailures": []}, response
        self._wait_for(self.events)
        return time.perf_counter() - started

    def run_raw(self, records: list[dict[str, Any]]) -> float:
        """Seconds to PutEvents the same events (made beforehand) and have the consumer queue hold them all."""
        from recipients.changes.mapping import change_of

        entries = []
        for record in records:
            change = change_of(record)
            assert change is not None
            detail = json.dumps(change.detail)
            entries.append(
                {"EventBusName": BUS, "Source": "recipients", "DetailType": change.detail_type, "Detail": detail}
            )
        started = time.perf_counter()
        for start in range(0, len(entries), MAX_BATCH_ENTRIES):
            response = self.bus.put_events(Entries=entries[start : start + MAX_BATCH_ENTRIES])
            assert response["FailedEntryCount"] == 0, response
        self._wait_for(self.events)
        return time.perf_counter() - started

    def _wait_for(self, count: int) -> None:
        received = 0
        while received < count:
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if messages:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                self.sqs.delete_message_batch(QueueUrl=self.queue, Entries=entries)
            received += len(messages)


if __name__ == "__main__":
    events_count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(measure_change_events(events_count, repeats=int(sys.argv[2]) if len(sys.argv) > 2 else 3))
