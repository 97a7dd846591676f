"""The schedule use cases: create (identifying inline recipients, actor and tenant first), update and
delete, each checked whole before anything is written; then stored, then armed on EventBridge Scheduler.

A schedule is one recipient's: creating for 100 recipients makes 100 schedules (one per recipient
listed, a recipient listed twice once). Timing comes from schedules/timing.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.inline import Recipient, parse_recipient, reference_only
from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.kernel.parallel import in_parallel
from recipients.kernel.rules import format_timestamp
from recipients.schedules import scheduler
from recipients.schedules.listing import full_schedules
from recipients.schedules.models import Schedule
from recipients.schedules.requests import (
    CreateSchedulesRequest,
    DeleteSchedulesRequest,
    ScheduleTiming,
    UpdateSchedulesRequest,
    check_timing,
    checked_data,
)
from recipients.schedules.store import StoredSchedule, get_schedule_store
from recipients.schedules.timing import next_after, parse_moment, zone_of

ARM_THREADS = 16


def create_schedules(request: CreateSchedulesRequest) -> list[Schedule]:
    """One schedule per recipient, after every check; inline recipients, actor and tenant identified first."""
    check_timing(request)
    entries = [parse_recipient(value, f"recipients.{index}") for index, value in enumerate(request.recipients)]
    for index, entry in enumerate(entries):
        if entry.trigger_data is not None:
            raise RecipientsError.invalid_field(f"recipients.{index}.$trigger_data", "is only taken by a trigger")
    actor = parse_recipient(request.actor, "actor") if request.actor is not None else None
    tenant = _parse_tenant(request.tenant)
    named = [*entries, *([actor] if actor is not None else [])]
    _check_exist(entries, actor)
    items = identify(named, tenant)
    now = datetime.now(UTC)
    refs = list(dict.fromkeys(entry.ref for entry in entries))
    schedules = [
        new_schedule(request, ref, actor.ref if actor else None, tenant.ref.id if tenant else None, now) for ref in refs
    ]
    timed = [_timed(schedule, items.get(schedule.recipient), now, first=True) for schedule in schedules]
    save(timed, now)
    logger.info("schedules created", extra={"workflow_key": request.workflow, "schedules": len(timed)})
    metrics.add_metric(name="SchedulesCreated", unit=MetricUnit.Count, value=len(timed))
    return full_schedules(timed, items)


def update_schedules(request: UpdateSchedulesRequest) -> list[Schedule]:
    """The same values for every schedule named; keys left out are kept; each re-timed from now."""
    store = get_schedule_store()
    found = store.get_many(request.schedule_ids)
    for index, schedule_id in enumerate(request.schedule_ids):
        if schedule_id not in found:
            raise RecipientsError.invalid_field(f"schedule_ids.{index}", "is not a schedule (deleted, or never made)")
    actor = reference_only(request.actor, "actor") if request.actor is not None else None
    if actor is not None and get_recipient_store().missing([actor]):
        raise RecipientsError.invalid([FieldError("actor", "is not an identified user or object")], "actor_missing")
    tenant = _parse_tenant(request.tenant)
    given = request.model_fields_set
    changes: dict[str, Any] = {}
    if "repeats" in given:
        changes["repeats"] = [rule.to_wire() for rule in request.repeats or []]
    for name in ("scheduled_at", "ending_at"):
        if name in given:
            moment = getattr(request, name)
            changes[name] = format_timestamp(moment) if moment is not None else None
    if "data" in given:
        changes["data"] = checked_data(request.data)
    if "actor" in given:
        changes["actor"] = actor
    if "tenant" in given:
        changes["tenant"] = tenant.ref.id if tenant is not None else None
    updated = [found[schedule_id]._replace(**changes) for schedule_id in dict.fromkeys(request.schedule_ids)]
    for schedule in updated:
        if not schedule.repeats and schedule.scheduled_at is None:
            raise RecipientsError.invalid_field("repeats", "or scheduled_at is required: a schedule needs one")
    if tenant is not None:
        identify([], tenant)
    items = get_recipient_store().items([schedule.recipient for schedule in updated])
    now = datetime.now(UTC)
    timed = [_timed(schedule, items.get(schedule.recipient), now, first=True) for schedule in updated]
    save(timed, now, previous=found)
    logger.info("schedules updated", extra={"schedules": len(timed)})
    metrics.add_metric(name="SchedulesUpdated", unit=MetricUnit.Count, value=len(timed))
    return full_schedules(timed)


def delete_schedules(request: DeleteSchedulesRequest) -> list[Schedule]:
    """Delete the schedules named (unknown ids are skipped) and cancel their next occurrences; the deleted."""
    found = list(get_schedule_store().get_many(request.schedule_ids).values())
    answer = full_schedules(found)
    remove(found)
    logger.info("schedules deleted", extra={"schedules": len(found)})
    metrics.add_metric(name="SchedulesDeleted", unit=MetricUnit.Count, value=len(found))
    return answer


def new_schedule(
    request: ScheduleTiming,
    recipient: RecipientRef,
    actor: RecipientRef | None,
    tenant: str | None,
    now: datetime,
    *,
    workflow: str | None = None,
    schedule_id: str | None = None,
) -> StoredSchedule:
    return StoredSchedule(
        id=schedule_id or str(uuid.uuid4()),
        workflow=workflow or getattr(request, "workflow"),  # noqa: B009 - every body with a workflow has it
        recipient=recipient,
        repeats=[rule.to_wire() for rule in request.repeats or []],
        inserted_at=format_timestamp(now),
        updated_at=format_timestamp(now),
        actor=actor,
        tenant=tenant,
        data=request.data,
        scheduled_at=format_timestamp(request.scheduled_at) if request.scheduled_at else None,
        ending_at=format_timestamp(request.ending_at) if request.ending_at else None,
    )


def identify(named: list[Recipient], tenant: Recipient | None) -> dict[RecipientRef, dict[str, Any]]:
    """Identify the inline recipients (and the tenant); the items of every recipient named, by reference."""
    recipients = get_recipient_store()
    items: dict[RecipientRef, dict[str, Any]] = {}
    for entry in named:
        if entry.plan is not None:
            items[entry.ref] = recipients.upsert(entry.ref, entry.plan)
    if tenant is not None:
        recipients.upsert(tenant.ref, tenant.plan) if tenant.plan is not None else recipients.ensure(tenant.ref)
    referenced = [entry.ref for entry in named if entry.ref not in items]
    if referenced:
        items.update(recipients.items(list(dict.fromkeys(referenced))))
    return items


def save(schedules: list[StoredSchedule], now: datetime, previous: dict[str, StoredSchedule] | None = None) -> None:
    """Store the schedules, then arm each next occurrence (and cancel the one it replaces)."""
    get_schedule_store().put(schedules)

    def rearm(schedule: StoredSchedule) -> None:
        before = previous.get(schedule.id) if previous else None
        old = parse_moment(before.next_occurrence_at) if before is not None else None
        new = parse_moment(schedule.next_occurrence_at)
        if old is not None and old != new:
            scheduler.disarm(schedule.id, old)
        if new is not None:
            scheduler.arm(schedule.id, new, now)

    in_parallel(rearm, schedules, ARM_THREADS)


def remove(schedules: list[StoredSchedule]) -> None:
    """Delete the schedules' items, then cancel their armed occurrences."""
    get_schedule_store().remove(schedules)

    def disarm(schedule: StoredSchedule) -> None:
        armed = parse_moment(schedule.next_occurrence_at)
        if armed is not None:
            scheduler.disarm(schedule.id, armed)

    in_parallel(disarm, schedules, ARM_THREADS)


def retime(schedule: StoredSchedule, recipient_item: dict[str, Any] | None, now: datetime) -> StoredSchedule:
    return _timed(schedule, recipient_item, now, first=False)


def _timed(
    schedule: StoredSchedule, recipient_item: dict[str, Any] | None, now: datetime, *, first: bool
) -> StoredSchedule:
    following = next_after(schedule, zone_of(recipient_item), now, first=first)
    return schedule._replace(
        next_occurrence_at=format_timestamp(following) if following else None, updated_at=format_timestamp(now)
    )


def _check_exist(entries: list[Recipient], actor: Recipient | None) -> None:
    """Recipients and actor given by reference must exist (unless also given inline): checked before any write."""
    named = [(f"recipients.{index}", entry) for index, entry in enumerate(entries)]
    named += [("actor", actor)] if actor is not None else []
    inline = {entry.ref for _, entry in named if entry.plan is not None}
    referenced = [entry.ref for _, entry in named if entry.plan is None and entry.ref not in inline]
    missing = get_recipient_store().missing(list(dict.fromkeys(referenced))) if referenced else set()
    for field, entry in named:
        if entry.ref in missing:
            what = "user" if entry.ref.collection is None else "object"
            code = "actor_missing" if field == "actor" else "invalid_params"
            message = f"{what} not found: identify it, or send it inline"
            raise RecipientsError.invalid([FieldError(field, message)], code)


def _parse_tenant(value: str | dict[str, Any] | None) -> Recipient | None:
    from recipients.workflows.trigger import parse_tenant  # the trigger's rules: an id or an inline tenant

    return parse_tenant(value)
