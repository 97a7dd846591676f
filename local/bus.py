"""Shows the workflow events `make run` puts on the template's event buses.

On AWS a delivery engine subscribes to the bus. Locally each bus gets a rule sending every event
to a queue of its own, and a thread prints one line per event, so a developer sees runs happen; with
`show_json` (`make run EVENTS=json`) each line is followed by the event's JSON, as a consumer's rule
target gets it.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import boto3

from local.emulator import Emulator, LocalResources
from local.pollers import BackgroundLoop
from local.template import resources_of_type

RECEIVE_WAIT_SECONDS = 1


def summarize(event: dict[str, Any]) -> str:
    """One line for an EventBridge event of this service."""
    detail = event.get("detail") or {}
    kind = event.get("detail-type", "?")
    if kind == "workflow.triggered":
        recipients = ", ".join(_reference(r) for r in detail.get("recipients", [])[:5])
        more = len(detail.get("recipients", [])) - 5
        parts = detail.get("parts", 1)  # null on a fan-out's parts before its last
        part = f" part {detail['part']}/{'?' if parts is None else parts}" if parts != 1 else ""
        data_ref = detail.get("data_ref")
        stored = f", data in s3://{data_ref['bucket']}/{data_ref['key']}" if data_ref else ""
        return (
            f"event {kind} {detail.get('workflow_key')} run {detail.get('workflow_run_id')}{part}: "
            f"{_count(len(detail.get('recipients', [])), 'recipient')} "
            f"[{recipients}{f', +{more}' if more > 0 else ''}], "
            f"{detail.get('skipped_count', 0)} skipped{stored}"
        )
    if kind == "workflow.cancelled":
        return (
            f"event {kind} {detail.get('workflow_key')} key {detail.get('cancellation_key')}: "
            f"{_count(len(detail.get('workflow_run_ids', [])), 'run')}"
        )
    if kind.startswith("recipient."):
        recipient = detail.get("recipient")
        name = _reference(recipient) if isinstance(recipient, dict) else str(recipient)
        subscribed = f" to {_reference(detail['object'])}" if isinstance(detail.get("object"), dict) else ""
        return f"event {kind} {name}{subscribed}: {', '.join(detail.get('changed', [])) or '-'}"
    return f"event {kind}: {json.dumps(detail)[:200]}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _reference(recipient: dict[str, Any]) -> str:
    return f"{recipient['collection']}/{recipient['id']}" if "collection" in recipient else str(recipient.get("id"))


class EventPrinter(BackgroundLoop):
    """A thread printing the events that reach `queue_url` (one queue per bus, fed by a rule)."""

    def __init__(self, queue_url: str, sqs: Any, out: TextIO | None = None, show_json: bool = False) -> None:
        self.queue_url = queue_url
        self.sqs = sqs
        self.out = out
        self.show_json = show_json
        super().__init__(name="bus-events")

    def step(self) -> float:
        self.print_pending()  # it rests in the receive's long poll
        return 0

    def failure(self) -> str:
        return "bus events: receiving failed"

    def print_pending(self) -> int:
        """Print the events waiting in the queue once; returns how many."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=RECEIVE_WAIT_SECONDS
        )
        messages = response.get("Messages", [])
        out = self.out or sys.stdout  # sys.stdout when printing, which `make run` replaces after import
        for message in messages:
            event = json.loads(message["Body"])
            text = f"{summarize(event)}\n{json.dumps(event, indent=2)}" if self.show_json else summarize(event)
            out.write(text + "\n")  # one write: a request line printed meanwhile cannot split it
            out.flush()
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def watch_event_buses(emulator: Emulator, show_json: bool = False) -> list[EventPrinter]:
    """For every event bus of the template: a rule to a local queue, and a started printer."""
    printers = []
    for logical_id in resources_of_type("AWS::Events::EventBus", emulator.resources.template):
        queue_url = _subscribe_queue(emulator.resources, logical_id)
        printers.append(EventPrinter(queue_url, boto3.client("sqs"), show_json=show_json).start())
    return printers


def _subscribe_queue(resources: LocalResources, bus_logical_id: str) -> str:
    sqs, events = boto3.client("sqs"), boto3.client("events")
    bus = resources.physical_name(bus_logical_id)
    queue_url = sqs.create_queue(QueueName=f"{bus}-printer")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="local-printer", EventBusName=bus, EventPattern=json.dumps({"source": ["recipients"]}))
    events.put_targets(Rule="local-printer", EventBusName=bus, Targets=[{"Id": "printer", "Arn": queue_arn}])
    return str(queue_url)
