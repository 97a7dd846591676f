"""The local EventBridge rules (`make run`): each EventBridgeRule event of a template function becomes a
rule in moto with its pattern, and what the pattern matches on the bus reaches that function, once."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.emulator import LocalResources
from local.rules import RuleDelivery, deliver_rules, rule_sources
from local.template import load_template


class RecordingInvoker:
    """Stands in for the emulator's invoke (the functions are not what is tested here)."""

    def __init__(self, failures: int = 0) -> None:
        self.invoked: list[tuple[str, dict[str, Any]]] = []
        self.failures = failures

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        self.invoked.append((function_name, event))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the function failed")
        return None


def put(bus: str, detail_type: str, detail: dict[str, Any], source: str = "recipients") -> None:
    entry = {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    assert boto3.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def deliver_all(deliveries: list[RuleDelivery]) -> None:
    while sum(delivery.deliver_pending() for delivery in deliveries):
        pass


@pytest.fixture
def resources(aws: None) -> LocalResources:
    resources = LocalResources(load_template())
    boto3.client("events").create_event_bus(Name=resources.physical_name("WorkflowEventBus"))
    return resources


def test_the_templates_rules_are_read_with_their_bus_pattern_and_retries(resources: LocalResources) -> None:
    sources = {(source.function, source.event): source for source in rule_sources(resources)}

    timezone = sources[("ScheduleRecipientChangesFunction", "TimezoneChanged")]
    assert timezone.bus == resources.physical_name("WorkflowEventBus")
    assert timezone.pattern == {
        "source": ["recipients"],
        "detail-type": ["recipient.updated"],
        "detail": {"changed": ["timezone"]},
    }
    assert timezone.maximum_retry_attempts == 8
    assert sources[("ScheduleRecipientChangesFunction", "RecipientDeleted")].pattern["detail-type"] == [
        "recipient.deleted"
    ]


def test_events_the_patterns_match_reach_the_function_once_and_the_others_do_not(resources: LocalResources) -> None:
    # Given the template's rules delivered locally
    invoker = RecordingInvoker()
    deliveries = deliver_rules(resources, invoker)  # type: ignore[arg-type]
    bus = resources.physical_name("WorkflowEventBus")

    # When change events are put on the bus, as the change stream puts them, with some no rule wants
    put(bus, "recipient.updated", {"recipient": "ada", "changed": ["timezone", "updated_at"], "order_key": "1"})
    put(bus, "recipient.updated", {"recipient": "bob", "changed": ["name"], "order_key": "2"})
    project = {"collection": "projects", "id": "p1"}
    put(bus, "recipient.deleted", {"recipient": project, "changed": [], "order_key": "3"})
    put(bus, "recipient.deleted", {"recipient": "eve", "changed": []}, source="someone-else")
    put(bus, "workflow.triggered", {"workflow_key": "k", "recipients": [{"id": "ada"}]})
    deliver_all(deliveries)

    # Then the function got the timezone change and the deletion, each once, as EventBridge events
    assert [name for name, _ in invoker.invoked] == ["ScheduleRecipientChangesFunction"] * 2
    events = sorted((event for _, event in invoker.invoked), key=lambda event: event["detail"]["order_key"])
    assert [(event["detail-type"], event["source"]) for event in events] == [
        ("recipient.updated", "recipients"),
        ("recipient.deleted", "recipients"),
    ]
    assert events[0]["detail"] == {"recipient": "ada", "changed": ["timezone", "updated_at"], "order_key": "1"}
    assert events[1]["detail"]["recipient"] == {"collection": "projects", "id": "p1"}


def test_a_failed_invocation_is_delivered_again(resources: LocalResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("local.rules.RETRY_SECONDS", 0)
    invoker = RecordingInvoker(failures=1)
    deliveries = deliver_rules(resources, invoker)  # type: ignore[arg-type]

    put(resources.physical_name("WorkflowEventBus"), "recipient.deleted", {"recipient": "ada", "changed": []})
    deliver_all(deliveries)

    assert [event["detail"]["recipient"] for _, event in invoker.invoked] == ["ada", "ada"]
