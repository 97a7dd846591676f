"""A trigger's fan-out to one object's subscribers against raw `Query` + `PutEvents` of the same
recipients, on one moto server (the same one the local API uses, as in bench/bulk.py).

- fan-out: `POST /v1/workflows/{key}/trigger` naming the object; the clock stops when a consumer
  queue on the workflow bus holds every part of the run (the last one says how many there are);
- raw: this process pages the object's subscriptions with `Query` (the same index partitions),
  cuts the same recipients into events of at most 256 KB and puts them with `PutEvents`, and the
  clock stops when the same consumer queue holds them all.

Runs alternate (raw, fan-out, raw, ...) so the machine's noise hits both; the medians are kept.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

import boto3

from bench.bulk import _request, services
from recipients.identity.models import RecipientRef
from recipients.identity.store import RecipientStore
from recipients.kernel.keys import SUBSCRIBER_SHARDS, subscribers_list_pk
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import Table
from recipients.subscriptions.store import SubscriptionStore

TABLE = "recipients-local-RecipientsTable"
BUS = "recipients-local-WorkflowEventBus"  # the local stack names its resources <stack>-<logical id>
MAX_EVENT_BYTES = 256 * 1024
WORKFLOW = "bench-fanout"


def measure_fanout(subscribers: int, repeats: int) -> dict[str, Any]:
    fanout_rates: list[float] = []
    raw_rates: list[float] = []
    with services() as running:
        clients = _clients(running.moto_url)
        consumer = _consumer(clients)
        project = RecipientRef(id=f"bench-{uuid.uuid4().hex[:8]}", collection="projects")
        _seed(clients["dynamodb"], project, subscribers)
        expected = subscribers + 1  # the object itself, then every subscriber
        run_fanout(running.api_url, project, clients["sqs"], consumer, expected)  # warm both paths
        run_raw(clients, project, consumer, expected)
        for repeat in range(repeats):
            raw_rates.append(expected / run_raw(clients, project, consumer, expected))
            fanout_rates.append(expected / run_fanout(running.api_url, project, clients["sqs"], consumer, expected))
            rates = f"raw {raw_rates[-1]:.0f} recipients/s, fan-out {fanout_rates[-1]:.0f} recipients/s"
            print(f"  run {repeat + 1}: {rates}", flush=True)
    raw, fanout = statistics.median(raw_rates), statistics.median(fanout_rates)
    return {
        "subscribers": subscribers,
        "repeats": repeats,
        "raw_recipients_per_s": round(raw, 1),
        "fanout_recipients_per_s": round(fanout, 1),
        "fanout_vs_raw_ratio": round(fanout / raw, 3),
    }


def run_fanout(api_url: str, project: RecipientRef, sqs: Any, consumer: str, expected: int) -> float:
    """Seconds from the trigger call until the consumer holds every part of its run."""
    started = time.perf_counter()
    body = {"recipients": [project.to_wire()], "data": {"comment": "bench"}}
    run_id = _request("POST", f"{api_url}/v1/workflows/{WORKFLOW}/trigger", body)["workflow_run_id"]
    _wait_for_run(sqs, consumer, run_id, expected)
    return time.perf_counter() - started


def run_raw(clients: dict[str, Any], project: RecipientRef, consumer: str, expected: int) -> float:
    """Seconds to Query the subscriptions, put them in events and have the consumer hold them all."""
    run_id = str(uuid.uuid4())
    started = time.perf_counter()
    recipients: list[dict[str, Any]] = [project.to_wire()]
    for shard in SUBSCRIBER_SHARDS:
        request: dict[str, Any] = {
            "TableName": TABLE,
            "IndexName": "by_list",
            "KeyConditionExpression": "list_pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": subscribers_list_pk(project.key(), shard)}},
        }
        while True:
            page = clients["dynamodb"].query(**request)
            for item in page.get("Items", []):
                recipient = RecipientRef.from_key(item["recipient_key"]["S"]).to_wire()
                properties = json.loads(item["properties"]["S"]) if "properties" in item else None
                recipients.append(
                    {**recipient, "subscription": {"object": project.to_wire(), "properties": properties}}
                )
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    base = {"workflow_key": WORKFLOW, "workflow_run_id": run_id, "data": {"comment": "bench"}}
    for detail in _parts(base, recipients):
        entry = {"EventBusName": BUS, "Source": "recipients", "DetailType": "workflow.triggered", "Detail": detail}
        clients["events"].put_events(Entries=[entry])
    _wait_for_run(clients["sqs"], consumer, run_id, expected)
    return time.perf_counter() - started


def _parts(base: dict[str, Any], recipients: list[dict[str, Any]]) -> list[str]:
    room = MAX_EVENT_BYTES - len(json.dumps(base)) - 1024
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for recipient in recipients:
        length = len(json.dumps(recipient)) + 1
        if parts[-1] and size + length > room:
            parts.append([])
            size = 0
        parts[-1].append(recipient)
        size += length
    return [
        json.dumps({**base, "recipients": part, "part": number, "parts": len(parts)})
        for number, part in enumerate(parts, start=1)
    ]


def _wait_for_run(sqs: Any, queue_url: str, run_id: str, expected: int, timeout: float = 600) -> None:
    """Until the consumer queue held every part of the run (read and removed), with `expected` recipients."""
    parts: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            detail = json.loads(message["Body"])["detail"]
            if detail["workflow_run_id"] == run_id:
                parts[detail["part"]] = detail
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        totals = [detail["parts"] for detail in parts.values() if detail["parts"] is not None]
        if totals and len(parts) == totals[0]:
            count = sum(len(detail["recipients"]) for detail in parts.values())
            if count != expected:
                raise RuntimeError(f"run {run_id} reached {count} recipients, not {expected}")
            return
    raise RuntimeError(f"run {run_id} did not put all its parts within {timeout} s")


def _clients(moto_url: str) -> dict[str, Any]:
    return {name: boto3.client(name, endpoint_url=moto_url) for name in ("dynamodb", "sqs", "events")}


def _consumer(clients: dict[str, Any]) -> str:
    """A queue receiving every event of the workflow bus, as a delivery engine's would."""
    url = clients["sqs"].create_queue(QueueName=f"bench-consumer-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = clients["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({"source": ["recipients"], "detail-type": ["workflow.triggered"]})
    clients["events"].put_rule(Name="bench-consumer", EventBusName=BUS, EventPattern=pattern)
    clients["events"].put_targets(Rule="bench-consumer", EventBusName=BUS, Targets=[{"Id": "bench", "Arn": arn}])
    return str(url)


def _seed(dynamodb: Any, project: RecipientRef, count: int) -> None:
    """`count` users subscribed to the object, written straight to the table (not what is timed)."""
    table = Table(dynamodb, TABLE)
    RecipientStore(table).ensure(project)
    store = SubscriptionStore(table)
    run = uuid.uuid4().hex[:6]
    for start in range(0, count, 100):
        entries: list[tuple[RecipientRef, str | None]] = [
            (RecipientRef(id=f"fan-{run}-{index}"), '{"role":"watcher"}')
            for index in range(start, min(count, start + 100))
        ]
        store.put(project, entries, now_timestamp())
