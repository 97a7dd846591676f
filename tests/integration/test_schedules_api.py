"""Schedules on the running service: an occurrence armed on (moto's) EventBridge Scheduler fires on the
wall clock, its `workflow.triggered` event read from what `make run` prints, and the schedule advances;
a recipient change event put on the bus reaches ScheduleRecipientChangesFunction through its rule and
re-times that recipient's schedule."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import httpx
import pytest

from tests.integration.support import wait_until
from tests.local_api import ApiTarget, api_of_its_own, secret_key_client

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("schedules-api")]

FIRING_SECONDS = 100  # an hourly rule's minute is at most 70 s away, then the scheduler's one-second tick


def printed_runs(api: ApiTarget, workflow: str, recipient: str) -> list[str]:
    """The run ids of the workflow.triggered events printed for this workflow and recipient."""
    assert api.log is not None
    line = re.compile(
        rf"event workflow\.triggered {re.escape(workflow)} run (\S+): 1 recipient \[{re.escape(recipient)}\]"
    )
    return line.findall(api.log.read_text(errors="replace"))


def user_schedule(http: httpx.Client, user_id: str, workflow: str) -> dict[str, Any]:
    response = http.get(f"/v1/users/{user_id}/schedules", params={"workflow": workflow})
    assert response.status_code == 200, response.text
    [schedule] = response.json()["entries"]
    return dict(schedule)


def moto_url(api: ApiTarget) -> str:
    assert api.log is not None
    found = re.search(r"moto server: (http://\S+)", api.log.read_text(errors="replace"))
    assert found, "the local server did not print its moto server's URL"
    return found.group(1)


@pytest.fixture(scope="module")
def schedules_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    """A local server of these tests' own: the emulator runs one function at a time, and on the shared
    server another suite's bulk work (an import's clean-up deletes thousands of users) can hold a
    firing back for minutes, well past the minute its rule names."""
    return api_of_its_own(request, tmp_path_factory, "schedules-api")


@pytest.fixture(scope="module")
def http(schedules_api: ApiTarget) -> Iterator[httpx.Client]:
    with secret_key_client(schedules_api) as client:
        yield client


@pytest.fixture
def local_api(schedules_api: ApiTarget) -> ApiTarget:
    if not schedules_api.is_local:
        pytest.skip("reads what the local server prints and drives its emulator")
    return schedules_api


def test_a_one_off_due_in_seconds_fires_once_and_is_done(
    local_api: ApiTarget, http: httpx.Client, new_user_id: Callable[[str], str]
) -> None:
    # Given a one-off schedule due three seconds from now
    ada, workflow = new_user_id("sch-int-ada"), f"sch-once-{int(time.time())}"
    due = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    body = {"workflow": workflow, "recipients": [{"id": ada}], "scheduled_at": due.isoformat()}
    response = http.post("/v1/schedules", json=body)
    assert response.status_code == 200, response.text
    [created] = response.json()
    assert datetime.fromisoformat(created["next_occurrence_at"]) == due

    # When the wall clock passes it, the run's event is printed, once
    runs = wait_until(lambda: printed_runs(local_api, workflow, ada), "the one-off's run", 30, every=0.5)

    # Then the schedule records the occurrence and has none left
    schedule = wait_until(
        lambda: (found := user_schedule(http, ada, workflow))["last_occurrence_at"] and found,
        "the advance",
        every=0.5,
    )
    assert datetime.fromisoformat(schedule["last_occurrence_at"]) == due
    assert schedule["next_occurrence_at"] is None
    time.sleep(2)  # two more scheduler ticks: nothing fires again
    assert printed_runs(local_api, workflow, ada) == runs and len(runs) == 1


def test_an_hourly_rule_fires_advances_an_hour_and_is_retimed_by_a_timezone_change_event(
    local_api: ApiTarget, http: httpx.Client, new_user_id: Callable[[str], str]
) -> None:
    # Given an hourly schedule at the minute after the next ten seconds
    bea, workflow = new_user_id("sch-int-bea"), f"sch-hourly-{int(time.time())}"
    minute = (datetime.now(UTC) + timedelta(seconds=70)).replace(second=0, microsecond=0)
    body = {
        "workflow": workflow,
        "recipients": [{"id": bea}],
        "repeats": [{"frequency": "hourly", "minutes": minute.minute}],
    }
    response = http.post("/v1/schedules", json=body)
    assert response.status_code == 200, response.text
    first = datetime.fromisoformat(response.json()[0]["next_occurrence_at"])
    assert first.minute == minute.minute and first - datetime.now(UTC) < timedelta(seconds=71)

    # When that minute comes, the run's event is printed, and the schedule advances by an hour
    wait_until(lambda: printed_runs(local_api, workflow, bea), "the hourly run", FIRING_SECONDS, every=0.5)
    advanced = wait_until(
        lambda: (found := user_schedule(http, bea, workflow))["last_occurrence_at"] and found,
        "the advance",
        every=0.5,
    )
    assert datetime.fromisoformat(advanced["last_occurrence_at"]) == first
    assert datetime.fromisoformat(advanced["next_occurrence_at"]) == first + timedelta(hours=1)

    # When the recipient moves to a zone half an hour off UTC and its change event reaches the bus
    assert http.put(f"/v1/users/{bea}", json={"timezone": "Asia/Kolkata"}).status_code == 200
    events = boto3.client("events", endpoint_url=moto_url(local_api))
    bus = next(bus["Name"] for bus in events.list_event_buses()["EventBuses"] if bus["Name"] != "default")
    detail = {"recipient": bea, "changed": ["timezone", "updated_at"], "order_key": datetime.now(UTC).isoformat()}
    entry = {
        "EventBusName": bus,
        "Source": "recipients",
        "DetailType": "recipient.updated",
        "Detail": json.dumps(detail),
    }
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0

    # Then its rule delivers it and the schedule runs at that minute of Kolkata's hours instead
    def retimed() -> dict[str, Any] | None:
        schedule = user_schedule(http, bea, workflow)
        moved = datetime.fromisoformat(schedule["next_occurrence_at"]) != first + timedelta(hours=1)
        return schedule if moved else None

    schedule = wait_until(retimed, "the re-timing", 20, every=0.5)
    following = datetime.fromisoformat(schedule["next_occurrence_at"])
    assert following.astimezone(ZoneInfo("Asia/Kolkata")).minute == minute.minute
    assert following.minute == (minute.minute + 30) % 60  # +05:30
    assert timedelta(0) < following - datetime.now(UTC) <= timedelta(hours=1)
