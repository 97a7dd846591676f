"""Firing an occurrence, as EventBridge Scheduler invokes the target with `{"schedule_id", "occurrence"}`.

The run's id derives from the schedule's id and the occurrence, so a firing delivered twice (or run
again after it failed part-way) is the same run: the run item is the same, and the schedule advances
once, by a conditional write that only the firing of the occurrence it is armed for can make. Only the
advancing firing arms the next occurrence. A firing for a schedule since deleted or changed does nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.store import get_recipient_store
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.models import Model
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import format_timestamp
from recipients.schedules import scheduler
from recipients.schedules.store import StoredSchedule, get_schedule_store
from recipients.schedules.timing import TIMEZONE_ATTRIBUTE, next_after, zone_of
from recipients.workflows.models import TriggerWorkflowRequest
from recipients.workflows.trigger import check_trigger, trigger_workflow

RUN_NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4e21-9c3f-1a2b3c4d5e6f")
"""Names a run after its schedule and occurrence (uuid5)."""


class Firing(Model):
    """What an armed occurrence's target receives (schedules/scheduler.py)."""

    schedule_id: str
    occurrence: str


def run_id_of(schedule_id: str, occurrence: str) -> str:
    return str(uuid.uuid5(RUN_NAMESPACE, f"{schedule_id}/{occurrence}"))


def fire(firing: Firing, now: datetime | None = None) -> str | None:
    """Run the occurrence, advance the schedule and arm its next occurrence; the run id, or None when
    there was nothing to run (the schedule is gone, or no longer armed for this occurrence)."""
    store = get_schedule_store()
    schedule = store.get(firing.schedule_id)
    if schedule is None or schedule.next_occurrence_at != firing.occurrence:
        logger.info("firing skipped: not armed for it", extra={"schedule_id": firing.schedule_id})
        metrics.add_metric(name="ScheduleFiringsSkipped", unit=MetricUnit.Count, value=1)
        return None
    run_id = run_id_of(schedule.id, firing.occurrence)
    _run(schedule, run_id)
    occurrence = datetime.fromisoformat(firing.occurrence)
    recipient_item = get_recipient_store().get(schedule.recipient, names=[TIMEZONE_ATTRIBUTE])
    following = next_after(schedule, zone_of(recipient_item), occurrence)
    moment = now or datetime.now(UTC)
    following_text = format_timestamp(following) if following is not None else None
    if not store.advance(schedule.id, firing.occurrence, following_text, format_timestamp(moment)):
        metrics.add_metric(name="ScheduleFiringsRepeated", unit=MetricUnit.Count, value=1)
        return run_id
    if following is not None:
        scheduler.arm(schedule.id, following, moment)
    logger.info("schedule fired", extra={"schedule_id": schedule.id, "workflow_run_id": run_id})
    metrics.add_metric(name="ScheduleOccurrencesRun", unit=MetricUnit.Count, value=1)
    return run_id


def _run(schedule: StoredSchedule, run_id: str) -> None:
    """The run for the schedule's recipient, with the trigger's checks, run record and event."""
    request = TriggerWorkflowRequest(
        recipients=[_wire(schedule.recipient.to_wire())],
        actor=_wire(schedule.actor.to_wire()) if schedule.actor is not None else None,
        data=schedule.data or {},
        tenant=schedule.tenant,
    )
    trigger = check_trigger(schedule.workflow, request)
    trigger = trigger._replace(event_base={**trigger.event_base, "workflow_run_id": run_id})
    try:
        trigger_workflow(trigger, fan_out=False)
    except RecipientsError as exc:
        if exc.kind is not ErrorKind.INVALID:  # retryable: Scheduler delivers the firing again
            raise
        logger.warning("scheduled run refused", extra={"schedule_id": schedule.id, "code": exc.code})


def _wire(reference: dict[str, str]) -> Any:
    """A user as its id, an object as its reference: how a trigger names recipients it does not identify."""
    return reference["id"] if set(reference) == {"id"} else reference
