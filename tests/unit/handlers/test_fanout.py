"""Trigger fan-out: a run whose recipients include objects reaches their subscribers (depth 2),
deduplicated, without the actor, each with its subscription; the expander (FanoutFunction) is fed
from FanoutQueue the way the event source mapping does, and made to fail, repeat and resume.

What a consumer sees is judged as a consumer would: events keyed by (run, part), a part seen twice
must be the same part, and the run is whole once the part carrying `parts` and all before it are in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from functions.cancel.app import lambda_handler as cancel_handler
from functions.fanout.app import lambda_handler as fanout_handler
from functions.trigger.app import lambda_handler as trigger_handler
from recipients.identity.models import RecipientRef
from recipients.kernel.aws import events
from recipients.subscriptions import service as subscriptions
from recipients.subscriptions.models import AddSubscriptionsRequest
from recipients.workflows import bus
from recipients.workflows.store import get_run_store
from tests.conftest import EventLoader, FakeLambdaContext, WorkflowBus
from tests.unit.bulk_queue import deliver
from tests.unit.knock import json_body

pytestmark = pytest.mark.usefixtures("idempotency_table", "recipients_table")


class Run:
    """Events of one run, as a consumer keeps them: by part number."""

    def __init__(self, received: list[dict[str, Any]]) -> None:
        self.parts: dict[int, dict[str, Any]] = {}
        for event in received:
            detail = event["detail"]
            seen = self.parts.setdefault(detail["part"], detail)
            assert seen == detail, f"part {detail['part']} arrived twice with different contents"

    @property
    def complete(self) -> bool:
        last = [detail["parts"] for detail in self.parts.values() if detail["parts"] is not None]
        return len(last) == 1 and sorted(self.parts) == list(range(1, last[0] + 1))

    def recipients(self) -> list[dict[str, Any]]:
        return [recipient for number in sorted(self.parts) for recipient in self.parts[number]["recipients"]]

    def ids(self) -> list[str]:
        return [recipient["id"] for recipient in self.recipients()]


@pytest.fixture
def subscribe() -> Callable[..., None]:
    def add(collection: str, object_id: str, recipients: list[Any], properties: Any = None) -> None:
        request = AddSubscriptionsRequest(recipients=recipients, properties=properties)
        subscriptions.add_subscriptions(RecipientRef(id=object_id, collection=collection), request)

    return add


@pytest.fixture
def trigger(
    workflow_bus: WorkflowBus, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> Callable[..., str]:
    def call(body: dict[str, Any]) -> str:
        response = trigger_handler(
            load_event("trigger", path={"workflow_key": "new-comment"}, body=body), lambda_context
        )
        assert response["statusCode"] == 200, response["body"]
        return str(json_body(response)["workflow_run_id"])

    return call


@pytest.fixture
def expand(workflow_bus: WorkflowBus, lambda_context: FakeLambdaContext) -> Callable[[], int]:
    """Feed FanoutQueue to the expander until it is empty; the number of deliveries."""

    def drain() -> int:
        deliveries = 0
        while (received := deliver(workflow_bus.fanout_url, fanout_handler, lambda_context)) and deliveries < 500:
            deliveries += received
        return deliveries

    return drain


def users(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{index:03d}"} for index in range(count)]


def test_an_object_reaches_its_subscribers_with_their_subscription_and_the_actor_is_left_out(
    subscribe: Callable[..., None], trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    subscribe("projects", "apollo", [{"id": "ada"}, {"id": "bob"}, {"id": "cat"}], properties={"role": "owner"})

    run_id = trigger({"recipients": [{"id": "apollo", "collection": "projects"}], "actor": "bob"})
    received = workflow_bus.received()
    direct = Run(received)
    assert not direct.complete and direct.ids() == ["apollo"] and direct.parts[1]["parts"] is None
    expand()

    run = Run(received + workflow_bus.received())
    assert run.complete
    assert sorted(run.ids()) == ["ada", "apollo", "cat"]
    ada = next(recipient for recipient in run.recipients() if recipient["id"] == "ada")
    assert ada["subscription"] == {
        "object": {"id": "apollo", "collection": "projects"},
        "properties": {"role": "owner"},
    }
    assert all(detail["workflow_run_id"] == run_id for detail in run.parts.values())
    recorded = get_run_store().get_run(run_id)
    assert recorded is not None and recorded.recipient_count == 3


def test_depth_two_deduplicated_against_the_trigger_the_object_and_the_actor(
    subscribe: Callable[..., None], trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    subscribe("teams", "eng", [{"id": "bob"}, {"id": "cat"}, {"id": "dan"}, {"id": "eve"}], properties={"via": "team"})
    subscribe("projects", "apollo", [{"id": "eng", "collection": "teams"}, {"id": "ada"}, {"id": "bob"}])
    subscribe("teams", "ops", [{"id": "fay"}])
    subscribe("teams", "eng", [{"id": "ops", "collection": "teams"}])  # depth 3 from apollo: not reached

    trigger({"recipients": [{"id": "apollo", "collection": "projects"}, "eve"], "actor": "dan"})
    expand()

    run = Run(workflow_bus.received())
    assert run.complete
    ids = run.ids()
    assert sorted(ids) == ["ada", "apollo", "bob", "cat", "eng", "eve", "ops"]
    assert len(ids) == len(set(ids))
    by_id = {recipient["id"]: recipient for recipient in run.recipients()}
    assert by_id["bob"]["subscription"]["object"] == {"id": "apollo", "collection": "projects"}
    assert by_id["cat"]["subscription"] == {
        "object": {"id": "eng", "collection": "teams"},
        "properties": {"via": "team"},
    }
    assert by_id["eng"]["collection"] == "teams"
    assert "subscription" not in by_id["eve"]


def test_several_objects_share_subscribers_and_each_is_notified_once(
    subscribe: Callable[..., None], trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    subscribe("projects", "p1", [{"id": "ada"}, {"id": "bob"}])
    subscribe("projects", "p2", [{"id": "bob"}, {"id": "cat"}, {"id": "p1", "collection": "projects"}])

    trigger({"recipients": [{"id": "p1", "collection": "projects"}, {"id": "p2", "collection": "projects"}]})
    expand()

    run = Run(workflow_bus.received())
    assert run.complete
    assert sorted(run.ids()) == ["ada", "bob", "cat", "p1", "p2"]


def test_an_object_without_subscribers_still_closes_the_run(
    trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    trigger({"recipients": [{"id": "lonely", "collection": "projects", "name": "Lonely"}]})
    expand()
    run = Run(workflow_bus.received())
    assert run.complete and run.ids() == ["lonely"]
    assert run.parts[2]["recipients"] == [] and run.parts[2]["parts"] == 2


def test_a_large_fan_out_is_split_into_numbered_parts_that_each_fit(
    subscribe: Callable[..., None], trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    for batch in range(3):
        subscribe("projects", "big", users(f"u{batch}", 100), properties={"note": "x" * 2_000})

    run_id = trigger({"recipients": [{"id": "big", "collection": "projects"}], "data": {"comment": "y" * 20_000}})
    expand()

    run = Run(workflow_bus.received())
    assert run.complete and len(run.parts) >= 4
    assert sorted(run.ids()) == sorted(
        ["big"] + [f"u{batch}-{index:03d}" for batch in range(3) for index in range(100)]
    )
    assert all(detail["data"] == {"comment": "y" * 20_000} for detail in run.parts.values())
    recorded = get_run_store().get_run(run_id)
    assert recorded is not None and recorded.recipient_count == 301


def test_subscriptions_made_after_the_trigger_are_not_in_its_run(
    subscribe: Callable[..., None], trigger: Callable[..., str], expand: Callable[[], int], workflow_bus: WorkflowBus
) -> None:
    subscribe("projects", "apollo", [{"id": "ada"}])
    trigger({"recipients": [{"id": "apollo", "collection": "projects"}]})
    subscribe("projects", "apollo", [{"id": "late"}])
    expand()
    run = Run(workflow_bus.received())
    assert run.complete and sorted(run.ids()) == ["ada", "apollo"]


@contextmanager
def put_events_failing(when: Callable[[int], bool]) -> Iterator[list[int]]:
    """PutEvents fails (as a throttled bus would, every retry) on the calls `when` picks; the call numbers."""
    calls: list[int] = []

    def hook(**_: Any) -> None:
        calls.append(len(calls) + 1)
        if when(len(calls)):
            raise events().exceptions.InternalException({"Error": {"Code": "InternalException"}}, "PutEvents")

    events().meta.events.register("before-call.events.PutEvents", hook)
    try:
        yield calls
    finally:
        events().meta.events.unregister("before-call.events.PutEvents", hook)


def two_shared_objects(subscribe: Callable[..., None]) -> list[str]:
    """Two objects whose subscribers overlap, over about ten parts; everyone the run should reach."""
    for batch in range(4):
        subscribe("projects", "big", users(f"u{batch}", 100), properties={"note": "x" * 5_000})
        subscribe("projects", "other", users(f"u{batch}", 50) + users(f"o{batch}", 20))
    return ["big", "other"] + [
        f"{prefix}{batch}-{index:03d}"
        for batch in range(4)
        for prefix, count in (("u", 100), ("o", 20))
        for index in range(count)
    ]


BOTH = {"recipients": [{"id": "big", "collection": "projects"}, {"id": "other", "collection": "projects"}]}


def test_expander_crash_after_half_the_parts_then_redelivery_puts_everyone_once(
    subscribe: Callable[..., None],
    trigger: Callable[..., str],
    expand: Callable[[], int],
    workflow_bus: WorkflowBus,
    lambda_context: FakeLambdaContext,
) -> None:
    expected = two_shared_objects(subscribe)
    run_id = trigger(BOTH)
    received = workflow_bus.received()

    # When the bus refuses every put from the expander's 3rd part (the run's 4th) on; each is recorded first
    with put_events_failing(lambda call: call >= 3) as calls:
        for _ in range(8):
            deliver(workflow_bus.fanout_url, fanout_handler, lambda_context)
    half = Run(received + workflow_bus.received())
    state = get_run_store().fanout_state(run_id)
    assert len(calls) >= 2 + bus.PUT_ATTEMPTS and not half.complete and max(half.parts) == 3
    assert state is not None and state.part == max(half.parts) + 1  # recorded, never put

    # Then redeliveries put the recorded part and the rest: every part once, everyone once
    expand()
    run = Run(received + half_events(half) + workflow_bus.received())
    assert run.complete and len(run.parts) > 6
    assert sorted(run.ids()) == sorted(expected)


def half_events(run: Run) -> list[dict[str, Any]]:
    return [{"detail": detail} for detail in run.parts.values()]


def test_expander_message_delivered_twice_puts_each_part_the_same(
    subscribe: Callable[..., None],
    trigger: Callable[..., str],
    workflow_bus: WorkflowBus,
    lambda_context: FakeLambdaContext,
) -> None:
    expected = two_shared_objects(subscribe)
    trigger(BOTH)
    received = workflow_bus.received()

    # When every fan-out message (the first and each continuation) is delivered twice, as SQS may
    sqs = boto3.client("sqs")
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=workflow_bus.fanout_url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            break
        sqs.send_message(QueueUrl=workflow_bus.fanout_url, MessageBody=messages[0]["Body"])
        sqs.change_message_visibility(
            QueueUrl=workflow_bus.fanout_url, ReceiptHandle=messages[0]["ReceiptHandle"], VisibilityTimeout=0
        )
        deliver(workflow_bus.fanout_url, fanout_handler, lambda_context)
        deliver(workflow_bus.fanout_url, fanout_handler, lambda_context)

    # Then some parts arrived twice, each time the same (Run checks it), and everyone is in the run once
    events = received + workflow_bus.received()
    run = Run(events)
    assert len(events) > len(run.parts) and run.complete
    assert sorted(run.ids()) == sorted(expected)


def test_cancel_reaches_a_fanned_out_recipient(
    subscribe: Callable[..., None],
    trigger: Callable[..., str],
    expand: Callable[[], int],
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
) -> None:
    subscribe("projects", "apollo", [{"id": "ada"}, {"id": "bob"}])
    run_id = trigger({"recipients": [{"id": "apollo", "collection": "projects"}], "cancellation_key": "c-1"})
    expand()
    body = {"cancellation_key": "c-1", "recipients": ["bob"]}
    response = cancel_handler(load_event("cancel", path={"workflow_key": "new-comment"}, body=body), lambda_context)
    assert response["statusCode"] == 204
    recorded = get_run_store().get_run(run_id)
    assert recorded is not None and recorded.cancelled_recipients == [RecipientRef(id="bob")]
