"""The local EventBridge Scheduler (`make run`): fires what moto stores once it is due on the clock,
with the schedule's Input, to the template function its target ARN names; then deletes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.emulator import LocalResources
from local.scheduler import LocalScheduler, due_at
from local.template import load_template


class RecordingInvoker:
    """Stands in for the emulator's invoke (the functions are not what is tested here)."""

    def __init__(self) -> None:
        self.resources = LocalResources(load_template())
        self.invoked: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        self.invoked.append((function_name, event))
        return {"workflow_run_id": "r"}


@pytest.mark.usefixtures("aws")
def test_fires_due_schedules_once_with_their_input_and_deletes_them() -> None:
    # Given the template's schedule group with one occurrence armed for 09:00
    invoker = RecordingInvoker()
    now = [datetime(2026, 3, 30, 8, 59, 59, tzinfo=UTC)]
    scheduler = LocalScheduler(invoker, clock=lambda: now[0])  # type: ignore[arg-type]
    [group] = scheduler.groups
    target = invoker.resources.resolve(
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-ScheduleFiring"}
    )
    payload = {"schedule_id": "s1", "occurrence": "2026-03-30T09:00:00Z"}
    boto3.client("scheduler").create_schedule(
        Name="s1-1774861200",
        GroupName=group,
        ScheduleExpression="at(2026-03-30T09:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": target, "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": json.dumps(payload)},
    )

    # When the clock is a second early, nothing fires; when it is due, the firing function gets the input
    assert scheduler.fire_due() == []
    now[0] += timedelta(seconds=1)
    assert scheduler.fire_due() == [{"workflow_run_id": "r"}]
    assert invoker.invoked == [("ScheduleFiringFunction", payload)]

    # Then the schedule is gone (ActionAfterCompletion DELETE), and a later tick fires nothing again
    assert boto3.client("scheduler").list_schedules(GroupName=group)["Schedules"] == []
    assert scheduler.fire_due() == []


def test_due_at_reads_at_expressions_only() -> None:
    assert due_at("at(2026-10-25T01:30:00)") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert due_at("rate(5 minutes)") is None
