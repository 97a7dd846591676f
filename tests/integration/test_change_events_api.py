"""Change events on the running service: every write path of a user, object or tenant through the
API, the table's stream read by the local event source mapping (local/streams.py) into
ChangeEventsFunction, and the events read from a queue that a rule on the bus feeds, in moto server.

Exactly one event per committed write, with its type, reference and changed keys; none for a write
that changes nothing.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.local_api import ApiTarget

pytestmark = pytest.mark.integration

Event = tuple[str, Any, list[str]]


class ChangeEvents:
    """A queue receiving the bus's recipient.* events, through a rule of its own."""

    def __init__(self, endpoint_url: str) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=endpoint_url)
        events = boto3.client("events", endpoint_url=endpoint_url)
        bus = next(b["Name"] for b in events.list_event_buses()["EventBuses"] if "WorkflowEventBus" in b["Name"])
        name = f"change-events-{uuid.uuid4().hex[:8]}"
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["recipients"], "detail-type": [{"prefix": "recipient."}]}
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "tests", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def _receive(self) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            self.seen.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def of(self, mine: Callable[[Any], bool], count: int, timeout: float = 60) -> list[Event]:
        """The events of the recipients `mine` accepts, once there are `count`, and a few seconds more
        in which no other may come."""
        deadline = time.monotonic() + timeout
        while len(self._mine(mine)) < count and time.monotonic() < deadline:
            self._receive()
        settle = time.monotonic() + 3
        while time.monotonic() < settle:
            self._receive()
        return self._mine(mine)

    def _mine(self, mine: Callable[[Any], bool]) -> list[Event]:
        return [
            (event["detail-type"], event["detail"]["recipient"], event["detail"]["changed"])
            for event in sorted(self.seen, key=lambda e: e["detail"]["order_key"])
            if mine(event["detail"]["recipient"])
        ]


@pytest.fixture(scope="module")
def change_events(api: ApiTarget) -> Iterator[ChangeEvents]:
    if not api.is_local or api.log is None:
        pytest.skip("reads the bus of the local server's moto; a deployed stage's bus has its own consumers")
    match = re.search(r"moto server: (http://\S+)", api.log.read_text(errors="replace"))
    assert match, "the local server printed no moto server URL"
    yield ChangeEvents(match[1])


def ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code < 300, response.text
    return response


def test_every_write_of_a_user_is_one_event_and_a_no_op_none(http: httpx.Client, change_events: ChangeEvents) -> None:
    run = uuid.uuid4().hex[:8]
    ada, guest, bulk, inline = (f"ce-{name}-{run}" for name in ("ada", "guest", "bulk", "inline"))
    channel = str(uuid.uuid4())

    ok(http.put(f"/v1/users/{ada}", json={"name": "Ada", "email": "ada@example.com"}))
    ok(http.put(f"/v1/users/{ada}", json={"name": "Ada"}))  # changes nothing
    ok(http.put(f"/v1/users/{ada}", json={"timezone": "Europe/Paris"}))
    ok(http.put(f"/v1/users/{ada}/channel_data/{channel}", json={"data": {"tokens": ["t1"]}}))
    ok(http.put(f"/v1/users/{ada}/preferences/default", json={"channel_types": {"email": False}}))
    ok(http.put(f"/v1/users/{guest}", json={"locale": "fr"}))
    ok(http.post(f"/v1/users/{ada}/merge", json={"from_user_id": guest}))
    ok(http.post("/v1/workflows/welcome/trigger", json={"recipients": [{"id": inline, "name": "In Line"}]}))
    operation = ok(http.post("/v1/users/bulk/identify", json={"users": [{"id": bulk, "name": "Bulk"}]})).json()
    deadline = time.monotonic() + 60
    while ok(http.get(f"/v1/bulk_operations/{operation['id']}")).json()["status"] != "completed":
        assert time.monotonic() < deadline, "the bulk operation did not complete"
        time.sleep(0.2)
    ok(http.post("/v1/users/bulk/delete", json={"user_ids": [bulk]}))
    ok(http.delete(f"/v1/users/{inline}"))

    events = change_events.of(lambda ref: isinstance(ref, str) and ref.endswith(run), count=11)

    by_user = {user: [(kind, changed) for kind, ref, changed in events if ref == user] for user in (ada, guest)}
    assert by_user[ada] == [
        ("recipient.created", ["email", "name"]),
        ("recipient.updated", ["timezone"]),
        ("recipient.updated", [f"channel_data.{channel}"]),
        ("recipient.updated", ["preferences.default"]),
        ("recipient.updated", ["locale"]),  # the guest's properties merged in
    ]
    assert by_user[guest] == [("recipient.created", ["locale"]), ("recipient.deleted", ["locale"])]
    assert [(kind, changed) for kind, ref, changed in events if ref == inline] == [
        ("recipient.created", ["name"]),
        ("recipient.deleted", ["name"]),
    ]
    assert [(kind, changed) for kind, ref, changed in events if ref == bulk] == [
        ("recipient.created", ["name"]),
        ("recipient.deleted", ["name"]),
    ]
    assert len(events) == 11


def test_every_write_of_objects_tenants_and_subscriptions_is_one_event(
    http: httpx.Client, change_events: ChangeEvents
) -> None:
    run = uuid.uuid4().hex[:8]
    user, project, tenant = f"ce-sub-{run}", f"ce-project-{run}", f"ce-tenant-{run}"
    ok(http.put(f"/v1/users/{user}", json={"name": "Sub"}))
    ok(http.post(f"/v1/objects/projects/{project}/subscriptions", json={"recipients": [user]}))
    ok(http.post(f"/v1/objects/projects/{project}/subscriptions", json={"recipients": [user]}))  # no change
    ok(http.put(f"/v1/objects/projects/{project}", json={"name": "Apollo"}))
    ok(http.request("DELETE", f"/v1/objects/projects/{project}/subscriptions", json={"recipients": [user]}))
    ok(http.put(f"/v1/tenants/{tenant}", json={"name": "Acme"}))
    ok(http.put(f"/v1/tenants/{tenant}", json={"name": "Acme"}))  # no change
    ok(http.put(f"/v1/tenants/{tenant}", json={"settings": {"branding": {"primary_color": "#000000"}}}))
    ok(http.delete(f"/v1/tenants/{tenant}"))

    def mine(ref: Any) -> bool:
        return (ref == user) or (isinstance(ref, dict) and ref["id"] in (project, tenant))

    events = change_events.of(mine, count=8)

    assert [(kind, changed) for kind, ref, changed in events if ref == user] == [
        ("recipient.created", ["name"]),
        ("recipient.updated", ["subscriptions"]),
        ("recipient.updated", ["subscriptions"]),
    ]
    assert [(kind, changed) for kind, ref, changed in events if ref == {"collection": "projects", "id": project}] == [
        ("recipient.created", []),  # made, empty, by the first subscription to it
        ("recipient.updated", ["name"]),
    ]
    assert [(kind, changed) for kind, ref, changed in events if ref == {"collection": "$tenants", "id": tenant}] == [
        ("recipient.created", ["name"]),
        ("recipient.updated", ["settings.branding"]),
        ("recipient.deleted", ["name", "settings.branding"]),
    ]
    assert len(events) == 8
