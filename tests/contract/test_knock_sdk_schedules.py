"""The official knockapi SDK's schedule calls, pointed at the API: create (with an inline recipient, actor
and tenant), list by workflow with the recipient and tenant filters, update, delete, bulk create polled to
completion, a user's and an object's schedules, and the 422 for neither `repeats` nor `scheduled_at`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import knockapi
import pytest
from knockapi import Knock
from knockapi.types import Object, User

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]
DAILY_9 = [{"frequency": "daily", "hours": 9, "minutes": 0}]


def new_workflow() -> str:
    """A workflow key of the test's own, so listing by workflow sees only its schedules."""
    return f"sdk-digest-{uuid.uuid4().hex[:10]}"


def test_create_identifies_an_inline_recipient_and_times_each_in_its_zone(knock: Knock, new_user_id: NewId) -> None:
    # Given an identified user without a timezone, and one sent inline with America/New_York
    workflow, una, ada, actor = (
        new_workflow(),
        new_user_id("sdk-sch-una"),
        new_user_id("sdk-sch-ada"),
        new_user_id("sdk-sch-actor"),
    )
    knock.users.update(una, name="Una")
    knock.users.update(actor, name="Actor")

    # When a daily 09:00 schedule is made for both through the SDK
    created = knock.schedules.create(
        workflow=workflow,
        recipients=[una, {"id": ada, "name": "Ada", "timezone": "America/New_York"}],
        repeats=DAILY_9,
        data={"digest": "daily"},
        actor=actor,
        tenant={"id": "sdk-sch-acme", "name": "Acme"},
    )

    # Then the SDK parses one Schedule per recipient, the recipient in full, next at 09:00 in its own zone
    assert [schedule.recipient.id for schedule in created] == [una, ada]
    assert all(isinstance(schedule.recipient, User) for schedule in created)
    assert isinstance(created[1].recipient, User) and created[1].recipient.name == "Ada"
    assert {schedule.workflow for schedule in created} == {workflow}
    assert {schedule.tenant for schedule in created} == {"sdk-sch-acme"}
    assert created[0].actor is not None and created[0].actor.id == actor
    assert created[0].data == {"digest": "daily"}
    assert created[0].repeats[0].frequency == "daily" and created[0].repeats[0].hours == 9
    una_next, ada_next = created[0].next_occurrence_at, created[1].next_occurrence_at
    assert una_next is not None and ada_next is not None
    assert (una_next.astimezone(UTC).hour, una_next.minute) == (9, 0)
    assert ada_next.astimezone(ZoneInfo("America/New_York")).hour == 9
    now = datetime.now(UTC)
    assert now < una_next <= now + timedelta(days=1) and now < ada_next <= now + timedelta(days=1)
    assert created[0].last_occurrence_at is None
    # and the inline recipient was identified
    assert knock.users.get(ada).timezone == "America/New_York"


def test_list_by_workflow_filters_by_recipients_and_tenant_and_pages(knock: Knock, new_user_id: NewId) -> None:
    # Given five schedules of one workflow, two of them for a tenant
    workflow = new_workflow()
    users = [new_user_id("sdk-sch-list") for _ in range(5)]
    knock.schedules.create(workflow=workflow, recipients=[{"id": user} for user in users[:3]], repeats=DAILY_9)
    knock.schedules.create(
        workflow=workflow, recipients=[{"id": user} for user in users[3:]], repeats=DAILY_9, tenant="sdk-sch-t1"
    )

    # When they are listed by workflow in pages of two, by recipients and by tenant
    pages = knock.schedules.list(workflow=workflow, page_size=2)
    every = list(pages)
    named = [users[0], users[4]]
    by_recipients = knock.schedules.list(workflow=workflow, recipients=named)
    by_recipients_one_a_page = list(knock.schedules.list(workflow=workflow, recipients=named, page_size=1))
    by_tenant = knock.schedules.list(workflow=workflow, tenant="sdk-sch-t1")

    # Then the SDK follows the cursor to all five, and the filters keep only those named, in the
    # workflow's order, the recipients' filter too over pages of one
    assert len(pages.entries) == 2 and pages.page_info.after is not None
    assert sorted(schedule.recipient.id for schedule in every) == sorted(users)
    assert sorted(schedule.recipient.id for schedule in by_recipients.entries) == sorted(named)
    in_order = [schedule.id for schedule in every if schedule.recipient.id in named]
    assert [schedule.id for schedule in by_recipients_one_a_page] == in_order
    assert sorted(schedule.recipient.id for schedule in by_tenant.entries) == sorted(users[3:])


def test_update_replaces_the_repeats_and_delete_removes_them(knock: Knock, new_user_id: NewId) -> None:
    # Given two daily schedules
    workflow = new_workflow()
    users = [new_user_id("sdk-sch-upd"), new_user_id("sdk-sch-upd")]
    created = knock.schedules.create(workflow=workflow, recipients=[{"id": user} for user in users], repeats=DAILY_9)
    ids = [schedule.id for schedule in created]

    # When both are made weekly at 07:30 on weekends, with new data
    updated = knock.schedules.update(
        schedule_ids=ids,
        repeats=[{"frequency": "weekly", "days": ["sat", "sun"], "hours": 7, "minutes": 30}],
        data={"v": 2},
    )

    # Then each keeps its id and recipient, with the new rule, data and a next occurrence on a weekend
    assert [schedule.id for schedule in updated] == ids
    assert [schedule.recipient.id for schedule in updated] == users
    for schedule in updated:
        assert schedule.data == {"v": 2}
        assert schedule.repeats[0].days == ["sat", "sun"]
        assert schedule.next_occurrence_at is not None
        assert schedule.next_occurrence_at.astimezone(UTC).weekday() in (5, 6)
        assert (schedule.next_occurrence_at.hour, schedule.next_occurrence_at.minute) == (7, 30)

    # When one is deleted
    deleted = knock.schedules.delete(schedule_ids=ids[:1])

    # Then it is answered and gone from the list, the other left
    assert [schedule.id for schedule in deleted] == ids[:1]
    assert [schedule.id for schedule in knock.schedules.list(workflow=workflow)] == ids[1:]


def test_a_users_and_an_objects_schedules(knock: Knock, new_user_id: NewId, new_collection: NewId) -> None:
    # Given a user scheduled in two workflows and an object scheduled once
    first, second = new_workflow(), new_workflow()
    ada, projects = new_user_id("sdk-sch-own"), new_collection("sdk-sch-projects")
    knock.schedules.create(workflow=first, recipients=[{"id": ada}], repeats=DAILY_9)
    knock.schedules.create(workflow=second, recipients=[ada], scheduled_at="2031-01-01T09:00:00Z")
    made = knock.schedules.create(
        workflow=first, recipients=[{"id": "apollo", "collection": projects, "name": "Apollo"}], repeats=DAILY_9
    )

    # When the user's schedules are listed, then only one workflow's, and the object's
    mine = list(knock.users.list_schedules(ada))
    mine_first = list(knock.users.list_schedules(ada, workflow=first))
    theirs = list(knock.objects.list_schedules(projects, "apollo"))

    # Then each list holds that recipient's schedules; a one-off without repeats runs at scheduled_at
    assert sorted(schedule.workflow for schedule in mine) == sorted([first, second])
    one_off = next(schedule for schedule in mine if schedule.workflow == second)
    assert one_off.repeats == [] and one_off.next_occurrence_at == datetime(2031, 1, 1, 9, tzinfo=UTC)
    assert [schedule.workflow for schedule in mine_first] == [first]
    assert [schedule.id for schedule in theirs] == [made[0].id]
    assert isinstance(theirs[0].recipient, Object) and theirs[0].recipient.collection == projects


def test_bulk_create_polled_until_completed_makes_each_schedule(knock: Knock, new_user_id: NewId) -> None:
    # Given an inline user and a user id (identified first)
    workflow, bea, cy = new_workflow(), new_user_id("sdk-sch-bulk"), new_user_id("sdk-sch-bulk")
    knock.users.update(cy, name="Cy")

    # When schedules are bulk created, one entry without any timing among them
    operation = knock.schedules.bulk.create(
        schedules=[
            {"workflow": workflow, "recipient": {"id": bea, "timezone": "Europe/London"}, "repeats": DAILY_9},
            {"workflow": workflow, "recipient": cy, "scheduled_at": "2031-06-01T08:00:00Z"},
            {"workflow": workflow, "recipient": cy},
        ]
    )
    finished = wait_for_operation(knock, operation.id)

    # Then the operation completes with the two valid entries written and the third an error
    assert (operation.api_typename, operation.name) == ("BulkOperation", "schedules.bulk_create")
    assert finished.status == "completed", finished
    assert (finished.estimated_total_rows, finished.success_count, finished.error_count) == (3, 2, 1)
    listed = {schedule.recipient.id: schedule for schedule in knock.schedules.list(workflow=workflow)}
    assert set(listed) == {bea, cy}
    bea_next = listed[bea].next_occurrence_at
    assert bea_next is not None and bea_next.astimezone(ZoneInfo("Europe/London")).hour == 9
    assert knock.users.get(bea).timezone == "Europe/London"


def test_create_without_repeats_or_scheduled_at_is_a_422_naming_the_field(knock: Knock, new_user_id: NewId) -> None:
    user = new_user_id("sdk-sch-bad")

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.schedules.create(workflow=new_workflow(), recipients=[{"id": user, "name": "Never"}])

    assert isinstance(raised.value.body, dict)
    assert [error["field"] for error in raised.value.body["errors"]] == ["repeats"]
    assert "repeats" in raised.value.body["message"]
    # and the inline recipient was not identified
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user)
