"""Schedules through their handlers with events/schedules_*.json, against moto (EventBridge Scheduler
included): create with inline identification, list three ways, update, delete; the firing of an
occurrence, delivered twice; a recipient's timezone change and deletion; bulk create through the worker.

Every rejection must be a 4xx Knock-shaped error that names the field, and must write nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions.identify.app import lambda_handler as identify_handler
from functions.schedule_firing.app import lambda_handler as firing_handler
from functions.schedule_recipient_changes.app import lambda_handler as changes_handler
from functions.schedules.app import lambda_handler
from functions.schedules_bulk.app import lambda_handler as bulk_handler
from recipients.schedules.firing import run_id_of
from recipients.schedules.scheduler import occurrence_name
from tests.conftest import EVENTS_DIR, BulkQueues, EventLoader, FakeLambdaContext, WorkflowBus, armed_schedules
from tests.unit.bulk_queue import deliver
from tests.unit.knock import assert_knock_error, error_fields, json_body

pytestmark = pytest.mark.usefixtures("idempotency_table")

DAILY_9 = [{"frequency": "daily", "hours": 9, "minutes": 0}]


class Api:
    def __init__(self, load_event: EventLoader, context: FakeLambdaContext, group: str) -> None:
        self.load_event, self.context, self.group = load_event, context, group

    def call(self, sample: str, **overrides: Any) -> dict[str, Any]:
        return lambda_handler(self.load_event(sample, **overrides), self.context)

    def ok(self, sample: str, **overrides: Any) -> Any:
        response = self.call(sample, **overrides)
        assert response["statusCode"] == 200, response["body"]
        return json_body(response)

    def identify(self, user_id: str, **properties: Any) -> None:
        event = self.load_event("identify", path={"user_id": user_id}, body=properties)
        assert identify_handler(event, self.context)["statusCode"] == 200

    def create(self, recipients: list[Any], **body: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.ok(
            "schedules_create", body={"workflow": "daily-digest", "recipients": recipients, **body}
        )
        return result

    def armed(self) -> dict[str, dict[str, Any]]:
        return armed_schedules(self.group)

    def fire(self, name: str) -> Any:
        """Invoke the firing function with an armed schedule's input, as EventBridge Scheduler would."""
        payload = json.loads(self.armed()[name]["Target"]["Input"])
        return firing_handler(payload, self.context)


@pytest.fixture
def api(load_event: EventLoader, lambda_context: FakeLambdaContext, recipients_table: str, schedule_group: str) -> Api:
    return Api(load_event, lambda_context, schedule_group)


def items_named(prefix: str) -> list[dict[str, Any]]:
    table = boto3.client("dynamodb")
    items = table.scan(TableName="recipients-test")["Items"]
    return [item for item in items if item["pk"]["S"].startswith(prefix)]


def test_create_identifies_inline_recipients_and_arms_each_next_occurrence_in_its_zone(api: Api) -> None:
    # Given a user identified without a timezone, and one sent inline with Europe/London
    api.identify("user_1", name="Una")

    # When a daily 09:00 schedule is made for both
    created = api.create(["user_1", {"id": "ada", "name": "Ada", "timezone": "Europe/London"}], repeats=DAILY_9)

    # Then there is one schedule per recipient, in full, with its next occurrence at 09:00 in its own zone
    assert [entry["recipient"]["id"] for entry in created] == ["user_1", "ada"]
    assert created[1]["recipient"]["name"] == "Ada" and created[1]["__typename"] == "Schedule"
    assert created[0]["repeats"] == [
        {
            "__typename": "ScheduleRepeat",
            "frequency": "daily",
            "interval": 1,
            "days": None,
            "day_of_month": None,
            "hours": 9,
            "minutes": 0,
        }
    ]
    una_next = datetime.fromisoformat(created[0]["next_occurrence_at"])
    ada_next = datetime.fromisoformat(created[1]["next_occurrence_at"])
    assert una_next.astimezone(UTC).hour == 9  # Etc/UTC, the default
    assert ada_next.astimezone(ZoneInfo("Europe/London")).hour == 9
    now = datetime.now(UTC)
    assert now < una_next <= now + timedelta(days=1)
    # ...and each is armed once on EventBridge Scheduler, at that instant, to delete itself after it ran
    armed = api.armed()
    name = occurrence_name(created[1]["id"], ada_next)
    assert set(armed) == {occurrence_name(created[0]["id"], una_next), name}
    assert armed[name]["ScheduleExpression"] == f"at({ada_next.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert armed[name]["ActionAfterCompletion"] == "DELETE"
    assert json.loads(armed[name]["Target"]["Input"]) == {
        "schedule_id": created[1]["id"],
        "occurrence": created[1]["next_occurrence_at"],
    }


def test_create_without_repeats_or_scheduled_at_returns_422_and_writes_nothing(api: Api) -> None:
    response = api.call("schedules_create", body={"workflow": "daily-digest", "recipients": [{"id": "new"}]})

    body = assert_knock_error(response, 422, "invalid_params")
    assert error_fields(body) == ["repeats"]
    assert items_named("user#new") == [] and items_named("sched") == [] and api.armed() == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": [f"u{index}" for index in range(101)]}, "recipients"),
        ({"recipients": ["missing-user"]}, "recipients.0"),
        ({"recipients": [{"id": "x", "email": "not-an-email"}]}, "recipients.0.email"),
        ({"recipients": [{"id": "x", "timezone": "Mars/Olympus"}]}, "recipients.0.timezone"),
        ({"actor": "missing-actor"}, "actor"),
        ({"workflow": "Not A Key"}, "workflow"),
        ({"repeats": [{"frequency": "yearly"}]}, "repeats.0.frequency"),
        ({"repeats": [{"frequency": "daily", "hours": 24}]}, "repeats.0.hours"),
        ({"repeats": [{"frequency": "weekly", "days": ["someday"]}]}, "repeats.0.days.0"),
        ({"repeats": [{"frequency": "daily", "interval": 0}]}, "repeats.0.interval"),
        ({"repeats": [{"frequency": "daily", "every": 2}]}, "repeats.0.every"),
        ({"scheduled_at": "tomorrow"}, "scheduled_at"),
        ({"data": {"big": "x" * 70_000}}, "data"),
        ({"tenant": {"name": "no id"}}, "tenant"),
    ],
)
def test_create_rejects_bad_input_naming_the_field_and_writes_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    request = {"workflow": "daily-digest", "recipients": [{"id": "fresh"}], "repeats": DAILY_9, **body}

    response = api.call("schedules_create", body=request)

    assert response["statusCode"] == 422, response["body"]
    assert field in error_fields(json_body(response)), response["body"]
    assert items_named("user#fresh") == [] and items_named("sched") == [] and api.armed() == {}


def test_lists_by_workflow_recipient_and_object(api: Api) -> None:
    api.identify("user_1")
    apollo = {"id": "apollo", "collection": "projects", "name": "Apollo"}
    created = api.create(["user_1", apollo], repeats=DAILY_9, tenant="acme")
    api.ok("schedules_create", body={"workflow": "other-flow", "recipients": ["user_1"], "repeats": DAILY_9})

    by_workflow = api.ok("schedules_list", query={"workflow": "daily-digest"})
    assert sorted(entry["id"] for entry in by_workflow["entries"]) == sorted(entry["id"] for entry in created)
    assert by_workflow["page_info"]["after"] is None
    only_user = api.ok("schedules_list", query={"workflow": "daily-digest", "recipients[]": ["user_1"]})
    assert [entry["recipient"]["id"] for entry in only_user["entries"]] == ["user_1"]
    other_tenant = api.ok("schedules_list", query={"workflow": "daily-digest", "tenant": "other"})
    assert other_tenant["entries"] == []
    users = api.ok("schedules_list_user", path={"user_id": "user_1"}, query={})
    assert sorted(entry["workflow"] for entry in users["entries"]) == ["daily-digest", "other-flow"]
    objects = api.ok("schedules_list_object", path={"collection": "projects", "object_id": "apollo"})
    assert [entry["recipient"]["collection"] for entry in objects["entries"]] == ["projects"]


def test_list_without_workflow_returns_422(api: Api) -> None:
    body = assert_knock_error(api.call("schedules_list", query={}), 422, "invalid_params")
    assert "workflow" in error_fields(body)


def test_list_pages_follow_after_to_the_end(api: Api) -> None:
    api.create([{"id": f"p{index}"} for index in range(7)], repeats=DAILY_9)

    seen, after = [], None
    while True:
        query = {"workflow": "daily-digest", "page_size": "3", **({"after": after} if after else {})}
        page = api.ok("schedules_list", query=query)
        seen += [entry["id"] for entry in page["entries"]]
        after = page["page_info"]["after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_a_recipients_filter_pages_in_the_workflows_order_with_cursors_both_ways(api: Api) -> None:
    api.create([{"id": f"p{index}"} for index in range(7)], repeats=DAILY_9)
    api.create([{"id": "p0"}, {"id": "p1"}], repeats=DAILY_9)  # two schedules each for p0 and p1
    named = ["p0", "p1", "p2", "p5", "nobody"]

    def page(**cursor: str) -> dict[str, Any]:
        query = {"workflow": "daily-digest", "recipients[]": named, "page_size": "2", **cursor}
        result: dict[str, Any] = api.ok("schedules_list", query=query)
        return result

    pages = [page()]
    while pages[-1]["page_info"]["after"] is not None:
        pages.append(page(after=pages[-1]["page_info"]["after"]))
    listed = [entry["id"] for each in pages for entry in each["entries"]]
    whole = api.ok("schedules_list", query={"workflow": "daily-digest", "page_size": "50"})["entries"]
    assert listed == [entry["id"] for entry in whole if entry["recipient"]["id"] in named]
    assert [len(each["entries"]) for each in pages] == [2, 2, 2]
    assert [entry["id"] for entry in page(before=pages[2]["page_info"]["before"])["entries"]] == listed[2:4]


def test_update_replaces_given_keys_and_rearms(api: Api) -> None:
    [schedule] = api.create([{"id": "ada", "timezone": "America/New_York"}], repeats=DAILY_9, data={"a": 1})
    old_name = occurrence_name(schedule["id"], datetime.fromisoformat(schedule["next_occurrence_at"]))

    [updated] = api.ok(
        "schedules_update",
        body={"schedule_ids": [schedule["id"]], "repeats": [{"frequency": "weekly", "days": "weekends", "hours": 7}]},
    )

    assert updated["data"] == {"a": 1}  # left out: kept
    assert updated["repeats"][0]["days"] == ["sat", "sun"]
    following = datetime.fromisoformat(updated["next_occurrence_at"]).astimezone(ZoneInfo("America/New_York"))
    assert following.weekday() in (5, 6) and following.hour == 7
    assert set(api.armed()) == {occurrence_name(schedule["id"], following)} and old_name not in api.armed()


def test_update_of_an_unknown_id_returns_422_and_changes_nothing(api: Api) -> None:
    [schedule] = api.create([{"id": "ada"}], repeats=DAILY_9)
    unknown = "00000000-0000-4000-8000-000000000000"

    response = api.call("schedules_update", body={"schedule_ids": [schedule["id"], unknown], "data": {"b": 2}})

    assert error_fields(assert_knock_error(response, 422, "invalid_params")) == ["schedule_ids.1"]
    listed = api.ok("schedules_list", query={"workflow": "daily-digest"})
    assert listed["entries"][0]["data"] is None


def test_delete_answers_the_deleted_and_disarms_them(api: Api) -> None:
    [schedule] = api.create([{"id": "ada"}], repeats=DAILY_9)

    deleted = api.ok(
        "schedules_delete", body={"schedule_ids": [schedule["id"], "00000000-0000-4000-8000-000000000000"]}
    )

    assert [entry["id"] for entry in deleted] == [schedule["id"]]
    assert api.armed() == {} and items_named("sched") == []


def test_firing_delivered_twice_makes_one_run_and_arms_the_next(api: Api, workflow_bus: WorkflowBus) -> None:
    # Given a daily schedule armed for its next occurrence
    [schedule] = api.create([{"id": "ada", "timezone": "Europe/London"}], repeats=DAILY_9, data={"k": "v"})
    [name] = api.armed()
    payload = json.loads(api.armed()[name]["Target"]["Input"])

    # When EventBridge Scheduler delivers the firing twice
    first = firing_handler(payload, api.context)
    second = firing_handler(payload, api.context)

    # Then one run was made, with the id derived from the schedule and occurrence, and one event put
    assert first == {"workflow_run_id": run_id_of(schedule["id"], schedule["next_occurrence_at"])}
    assert second == {"workflow_run_id": None}
    events = workflow_bus.received()
    assert [event["detail-type"] for event in events] == ["workflow.triggered"]
    detail = events[0]["detail"]
    assert detail["workflow_run_id"] == first["workflow_run_id"]
    assert detail["workflow_key"] == "daily-digest" and detail["recipients"] == [{"id": "ada"}]
    assert detail["data"] == {"k": "v"}
    # ...and the schedule moved on a day, still 09:00 London, armed under a new name
    [after] = api.ok("schedules_list", query={"workflow": "daily-digest"})["entries"]
    assert after["last_occurrence_at"] == schedule["next_occurrence_at"]
    following = datetime.fromisoformat(after["next_occurrence_at"])
    assert following.astimezone(ZoneInfo("Europe/London")).hour == 9
    assert following - datetime.fromisoformat(schedule["next_occurrence_at"]) in (
        timedelta(hours=23),
        timedelta(hours=24),
        timedelta(hours=25),
    )
    assert occurrence_name(schedule["id"], following) in api.armed()


def test_firing_of_a_deleted_schedule_does_nothing(api: Api, workflow_bus: WorkflowBus) -> None:
    [schedule] = api.create([{"id": "ada"}], repeats=DAILY_9)
    payload = {"schedule_id": schedule["id"], "occurrence": schedule["next_occurrence_at"]}
    api.ok("schedules_delete", body={"schedule_ids": [schedule["id"]]})

    assert firing_handler(payload, api.context) == {"workflow_run_id": None}
    assert workflow_bus.received() == []


def test_one_off_runs_once_and_is_not_rearmed(api: Api, workflow_bus: WorkflowBus) -> None:
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    [schedule] = api.create([{"id": "ada"}], scheduled_at=at.isoformat())
    assert datetime.fromisoformat(schedule["next_occurrence_at"]) == at
    assert schedule["repeats"] == []

    [name] = api.armed()
    api.fire(name)

    [after] = api.ok("schedules_list", query={"workflow": "daily-digest"})["entries"]
    assert after["next_occurrence_at"] is None and after["last_occurrence_at"] == schedule["next_occurrence_at"]
    assert len(workflow_bus.received()) == 1


def test_timezone_change_retimes_and_deletion_deletes(api: Api, load_event: EventLoader) -> None:
    # Given a daily 09:00 schedule for a user in UTC
    [schedule] = api.create([{"id": "ada"}], repeats=DAILY_9)

    # When the user moves to New York and its change event arrives
    api.identify("ada", timezone="America/New_York")
    event = json.loads((EVENTS_DIR / "schedule_recipient_changes.json").read_text())
    assert changes_handler(event, api.context) == {"schedules": 1}

    # Then its schedule runs at 09:00 New York time, armed under that occurrence only
    [retimed] = api.ok("schedules_list_user", path={"user_id": "ada"}, query={})["entries"]
    following = datetime.fromisoformat(retimed["next_occurrence_at"])
    assert following.astimezone(ZoneInfo("America/New_York")).hour == 9
    assert set(api.armed()) == {occurrence_name(schedule["id"], following)}

    # ...and when the user is deleted, its schedules go with it
    deleted = {**event, "detail-type": "recipient.deleted", "detail": {"recipient": "ada", "changed": []}}
    assert changes_handler(deleted, api.context) == {"schedules": 1}
    assert items_named("sched") == [] and api.armed() == {}


def test_other_changes_leave_schedules_as_they_are(api: Api) -> None:
    [schedule] = api.create([{"id": "ada"}], repeats=DAILY_9)
    event = json.loads((EVENTS_DIR / "schedule_recipient_changes.json").read_text())
    event["detail"]["changed"] = ["name"]

    assert changes_handler(event, api.context) == {"schedules": 0}
    assert set(api.armed()) == {occurrence_name(schedule["id"], datetime.fromisoformat(schedule["next_occurrence_at"]))}


def test_bulk_create_queues_rows_and_the_worker_creates_and_arms_them(
    api: Api, bulk_queues: BulkQueues, load_event: EventLoader
) -> None:
    from functions.bulk_worker.app import lambda_handler as worker

    api.identify("user_1")
    entries = [
        {"workflow": "daily-digest", "recipient": "user_1", "repeats": DAILY_9},
        {"workflow": "daily-digest", "recipient": {"id": "bea", "timezone": "Europe/London"}, "repeats": DAILY_9},
        {"workflow": "daily-digest", "recipient": "nobody", "repeats": DAILY_9},  # never identified
        {"workflow": "daily-digest", "recipient": "user_1"},  # neither repeats nor scheduled_at
    ]
    operation = json_body(bulk_handler(load_event("schedules_bulk_create", body={"schedules": entries}), api.context))
    assert operation["status"] == "queued" and operation["error_count"] == 1
    assert operation["error_items"][0]["index"] == 3

    while deliver(bulk_queues.url, worker, api.context):
        pass

    listed = api.ok("schedules_list", query={"workflow": "daily-digest"})["entries"]
    assert sorted(entry["recipient"]["id"] for entry in listed) == ["bea", "user_1"]
    assert len(api.armed()) == 2
