"""EventBridge Scheduler, locally: fires the one-time `at()` schedules the emulator stores once they are due.

It does what Scheduler does for the template's schedule groups: it lists their schedules in moto, and
when an `at()` time has come on the clock (the wall clock in `make run`, a fake one in tests) it invokes
the target function with the schedule's Input, then applies `ActionAfterCompletion` (DELETE removes it).
A failed invocation is logged and the schedule kept, so the next tick tries again, as Scheduler retries.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import boto3

from local.emulator import FUNCTION_TYPE, Emulator, LocalResources
from local.pollers import BackgroundLoop
from local.template import resources_of_type

GROUP_TYPE = "AWS::Scheduler::ScheduleGroup"
TICK_SECONDS = 1.0

Clock = Callable[[], datetime]


def create_schedule_groups(resources: LocalResources) -> list[str]:
    """Every schedule group of the template, created in the emulator (kept when it exists); their names."""
    client = boto3.client("scheduler")
    names = [resources.physical_name(logical_id) for logical_id in resources_of_type(GROUP_TYPE, resources.template)]
    for name in names:
        with suppress(client.exceptions.ConflictException):
            client.create_schedule_group(Name=name)
    return names


def due_at(expression: str) -> datetime | None:
    """The moment of an `at(yyyy-mm-ddThh:mm:ss)` expression (UTC); None for rate() and cron()."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)


class LocalScheduler(BackgroundLoop):
    def __init__(self, emulator: Emulator, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.emulator = emulator
        self.clock = clock
        self.groups = create_schedule_groups(emulator.resources)
        self._targets = self._function_arns()
        self._client = boto3.client("scheduler")
        self._read: dict[tuple[str, str, Any], Any] = {}
        """Each schedule as GetSchedule gave it, by group, name and LastModificationDate: read once, not
        every tick (ListSchedules does not give the expression)."""
        super().__init__(name="local-scheduler")

    def fire_due(self) -> list[Any]:
        """Invoke every schedule due by the clock, once each; what the targets answered."""
        client = self._client
        now, answers = self.clock(), []
        listed: set[tuple[str, str, Any]] = set()
        for group in self.groups:
            for entry in client.list_schedules(GroupName=group).get("Schedules", []):
                key = (group, entry["Name"], entry.get("LastModificationDate"))
                listed.add(key)
                if key not in self._read:
                    self._read[key] = client.get_schedule(Name=entry["Name"], GroupName=group)
                schedule = self._read[key]
                moment = due_at(schedule["ScheduleExpression"])
                if moment is None or moment > now:
                    continue
                target = schedule["Target"]
                function = self._targets.get(target["Arn"].rsplit(":", 1)[-1]) or target["Arn"]
                try:
                    answers.append(self.emulator.invoke(function, json.loads(target.get("Input") or "{}")))
                except Exception as exc:  # noqa: BLE001 - a target's failure is retried on the next tick
                    print(f"local scheduler: {entry['Name']} failed: {exc}", file=sys.stderr)
                    continue
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    with suppress(client.exceptions.ResourceNotFoundException):
                        client.delete_schedule(Name=entry["Name"], GroupName=group)
        self._read = {key: schedule for key, schedule in self._read.items() if key in listed}
        return answers

    def step(self) -> float:
        self.fire_due()
        return TICK_SECONDS

    def failure(self) -> str:
        return "local scheduler: a tick failed"

    def _function_arns(self) -> dict[str, str]:
        """A function's name as its ARN ends (its FunctionName when it has one) -> its logical id."""
        names = {}
        for logical_id, spec in self.emulator.resources.template["Resources"].items():
            if spec["Type"] == FUNCTION_TYPE:
                named = spec.get("Properties", {}).get("FunctionName")
                names[str(self.emulator.resources.resolve(named)) if named else logical_id] = logical_id
        return names
