"""EventBridge rules that invoke the template's functions, for `make run`.

For every `Type: EventBridgeRule` event of a function in template.yaml, the rule is created in moto on
its bus with the event's Pattern, targeting a local queue of its own (moto evaluates the pattern, as
EventBridge would), and a thread receives from that queue and invokes the function with each event,
one event per invocation, as EventBridge invokes a Lambda target.

A failed invocation is retried after a couple of seconds, as EventBridge retries its targets, until the
event's RetryPolicy.MaximumRetryAttempts (default 185) is used up; then it is dropped with a line on
stderr. Not emulated: InputPath/InputTransformer, DeadLetterConfig, MaximumEventAgeInSeconds.
"""

from __future__ import annotations

import json
import sys
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from local.emulator import FUNCTION_TYPE, Invoker, LocalResources
from local.pollers import BackgroundLoop

RECEIVE_WAIT_SECONDS = 1
RETRY_SECONDS = 2
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185  # EventBridge's default


@dataclass(frozen=True)
class RuleSource:
    """One `EventBridgeRule` event of a function: its bus (physical name), pattern and retry budget."""

    function: str
    event: str
    bus: str
    pattern: dict[str, Any]
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS

    @property
    def name(self) -> str:
        return f"local-{self.function}-{self.event}"[:64]


def rule_sources(resources: LocalResources) -> list[RuleSource]:
    """Every EventBridgeRule event of the template's functions (the default bus when none is named)."""
    sources = []
    for logical_id, spec in resources.template["Resources"].items():
        if spec["Type"] != FUNCTION_TYPE:
            continue
        for event_name, event in (spec.get("Properties", {}).get("Events") or {}).items():
            if event.get("Type") != "EventBridgeRule":
                continue
            properties = resources.resolve(event.get("Properties", {}))
            retries = (properties.get("RetryPolicy") or {}).get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
            bus = str(properties.get("EventBusName", "default"))
            sources.append(RuleSource(logical_id, event_name, bus, properties["Pattern"], int(retries)))
    return sources


class RuleDelivery(BackgroundLoop):
    """One rule's target: a thread feeding what reaches the rule's queue to `source.function`."""

    def __init__(self, source: RuleSource, invoker: Invoker) -> None:
        self.source = source
        self.invoker = invoker
        self.sqs: Any = boto3.client("sqs")  # AWS_ENDPOINT_URL points at moto (configure_aws_environment)
        self.queue_url = self._subscribe()
        super().__init__(name=f"rule-{source.name}")

    def _subscribe(self) -> str:
        events = boto3.client("events")
        queue_url = str(self.sqs.create_queue(QueueName=self.source.name)["QueueUrl"])
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        events.put_rule(
            Name=self.source.name, EventBusName=self.source.bus, EventPattern=json.dumps(self.source.pattern)
        )
        events.put_targets(
            Rule=self.source.name,
            EventBusName=self.source.bus,
            Targets=[{"Id": "function", "Arn": attributes["Attributes"]["QueueArn"]}],
        )
        return queue_url

    def deliver_pending(self) -> int:
        """Invoke the function once per event waiting in the queue; how many were received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
            AttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            self._deliver(message)
        return len(messages)

    def _deliver(self, message: dict[str, Any]) -> None:
        function, receipt = self.source.function, message["ReceiptHandle"]
        try:
            self.invoker.invoke(function, json.loads(message["Body"]), str(uuid.uuid4()))
        except Exception:
            attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if attempts <= self.source.maximum_retry_attempts:
                print(f"rule {self.source.name}: {function} failed, retried in {RETRY_SECONDS}s:", file=sys.stderr)
                traceback.print_exc()
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=RETRY_SECONDS
                )
                return
            print(f"rule {self.source.name}: {function} failed {attempts} times, event dropped", file=sys.stderr)
        else:
            sys.stderr.write(f"rule {self.source.event} -> {function}: 1 event\n")
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)

    def step(self) -> float:
        self.deliver_pending()  # it rests in the receive's long poll
        return 0

    def failure(self) -> str:
        return f"rule {self.source.name}: receiving failed"


def deliver_rules(resources: LocalResources, invoker: Invoker) -> list[RuleDelivery]:
    """For every EventBridgeRule event of the template: the rule on its bus and a delivery, not started."""
    return [RuleDelivery(source, invoker) for source in rule_sources(resources)]
