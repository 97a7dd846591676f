"""Workflow triggers.

A trigger is checked whole before anything is written; then its inline users and objects are
identified (the seeds promise this happens before any other action), the recipients given by
reference are looked up, the run is recorded and its `workflow.triggered` event(s) go on the bus.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from recipients.identity.inline import TRIGGER_DATA_KEY, Recipient, checked, parse_recipient
from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel import jsontext
from recipients.kernel.errors import FieldError, RecipientsError, field_errors
from recipients.kernel.observability import logger, metrics
from recipients.kernel.parallel import in_parallel
from recipients.kernel.rules import check_id, expires_in, now_timestamp
from recipients.workflows import bus
from recipients.workflows.fanout import FANOUT_ROOM, start_fanout
from recipients.workflows.models import SkippedRecipient, TriggerWorkflowRequest, WorkflowRun
from recipients.workflows.settings import workflow_settings
from recipients.workflows.store import get_run_store

TRIGGERED = "workflow.triggered"
WRITE_THREADS = 16
MAX_DATA_BYTES = 5 * 1024 * 1024
"""A trigger's `data` as JSON. Knock takes 10 MB, but Lambda takes at most 6 MB a request, event and
recipients included, so 5 MiB is what a trigger can always carry. Data too large for an event is
stored in S3 and referenced."""


class Trigger(NamedTuple):
    """A trigger request that passed every check, ready to run."""

    workflow_key: str
    recipients: list[Recipient]
    actor: Recipient | None
    cancellation_key: str | None
    event_base: dict[str, Any]
    """The fields every `workflow.triggered` event of the run carries."""
    stored_data: str | None = None
    """The run's data as JSON text, when it is too large for the events and goes to `data_ref` instead."""
    tenant: Recipient | None = None
    """The run's tenant: an inline one (with its plan) is upserted, one named by id created if missing."""

    @property
    def run_id(self) -> str:
        return str(self.event_base["workflow_run_id"])


def check_trigger(workflow_key: str, request: TriggerWorkflowRequest) -> Trigger:
    """Every rule a trigger must pass before anything is written; errors name the field."""
    recipients = [parse_recipient(value, f"recipients.{index}") for index, value in enumerate(request.recipients)]
    _check_repeats(recipients)
    actor = parse_recipient(request.actor, "actor") if request.actor is not None else None
    run_id = str(uuid.uuid4())
    data = jsontext.dumps(request.data or {})
    data_bytes = len(data.encode())
    if data_bytes > MAX_DATA_BYTES:
        raise RecipientsError.invalid_field(
            "data", f"is {data_bytes:,} bytes of JSON; the limit is 5 MiB (Lambda takes 6 MB a request)"
        )
    event_base: dict[str, Any] = {
        "workflow_key": workflow_key,
        "workflow_run_id": run_id,
        "actor": actor.ref.to_wire() if actor else None,
        "tenant": request.tenant,
        "data": request.data or {},
        "data_ref": None,
        "cancellation_key": request.cancellation_key,
        "settings": request.settings.model_dump() if request.settings else None,
        "triggered_at": now_timestamp(),
    }
    stored_data = None
    # A run with objects fans out to their subscribers, who come with their subscriptions' properties
    room = FANOUT_ROOM if any(entry.ref.collection is not None for entry in recipients) else _MIN_RECIPIENTS_ROOM
    if not _leaves_room_for_recipients(event_base, room):
        event_base["data"], event_base["data_ref"] = None, bus.run_data_reference(run_id, data_bytes)
        stored_data = data
        if not _leaves_room_for_recipients(event_base, room):
            size, limit = _base_size(event_base), (bus.MAX_EVENT_BYTES - room) // 1024
            raise RecipientsError.invalid_field(
                "tenant", f"actor and tenant come to {size:,} bytes; a run event carries at most {limit} KiB of them"
            )
    tenant = parse_tenant(request.tenant)
    return Trigger(workflow_key, recipients, actor, request.cancellation_key, event_base, stored_data, tenant)


def parse_tenant(value: str | dict[str, Any] | None) -> Recipient | None:
    """The trigger's tenant: an id, or an inline tenant checked with the tenant rules; errors name `tenant`."""
    if value is None:
        return None
    # Imported with the first trigger that names a tenant: the others never build the tenant models
    from recipients.tenants.models import TenantRequest
    from recipients.tenants.plans import plan_tenant, tenant_ref

    if isinstance(value, str):
        return Recipient(tenant_ref(checked(check_id, value, "tenant")), None)
    try:
        request = TenantRequest.model_validate(value)
        plan = plan_tenant(request)
    except ValidationError as exc:
        raise RecipientsError.invalid(field_errors(exc.errors(), prefix="tenant")) from exc
    except RecipientsError as exc:
        raise RecipientsError.invalid(
            [FieldError(f"tenant.{error.field}", error.message) for error in exc.errors], code=exc.code
        ) from exc
    return Recipient(tenant_ref(request.id), plan)


def _check_repeats(recipients: list[Recipient]) -> None:
    """A recipient listed again is one recipient of the run, so every listing must carry the same $trigger_data."""
    first_listed: dict[RecipientRef, int] = {}
    for index, entry in enumerate(recipients):
        first = first_listed.setdefault(entry.ref, index)
        if recipients[first].trigger_data != entry.trigger_data:
            raise RecipientsError.invalid_field(
                f"recipients.{index}.{TRIGGER_DATA_KEY}",
                f"differs from recipients.{first}, the same recipient: list it once, or each time with the same data",
            )


def trigger_workflow(trigger: Trigger, *, fan_out: bool = True) -> str:
    """Identify the inline recipients, look up the others, record the run, put its events; the run id.
    Without `fan_out` an object recipient is notified itself, not its subscribers (a schedule's run)."""
    workflow_key, run_id, recipients, actor = trigger.workflow_key, trigger.run_id, trigger.recipients, trigger.actor
    event_base = dict(trigger.event_base)
    inline = [entry for entry in [*recipients, *([actor] if actor else [])] if entry.plan is not None]
    inline_refs = {entry.ref for entry in inline}
    referenced_actor = actor.ref if actor is not None and actor.plan is None else None
    if (
        referenced_actor is not None
        and referenced_actor not in inline_refs
        and get_recipient_store().missing([referenced_actor])
    ):
        raise RecipientsError.invalid([FieldError("actor", "is not an identified user or object")], "actor_missing")

    _identify_all(inline)
    if trigger.tenant is not None:
        _identify_tenant(trigger.tenant)

    referenced = [entry.ref for entry in recipients if entry.plan is None and entry.ref not in inline_refs]
    missing = get_recipient_store().missing(referenced) if referenced else set()
    included: list[Recipient] = []
    skipped: list[SkippedRecipient] = []
    seen: set[RecipientRef] = set()
    for index, entry in enumerate(recipients):
        if entry.ref in missing:
            what = "user" if entry.ref.collection is None else "object"
            reason = f"{what} not found: never identified, or deleted"
            skipped.append(
                SkippedRecipient(id=entry.ref.id, collection=entry.ref.collection, index=index, reason=reason)
            )
        elif entry.ref not in seen:
            seen.add(entry.ref)
            included.append(entry)

    run = WorkflowRun(
        id=run_id,
        workflow_key=workflow_key,
        recipient_count=len(included),
        skipped=skipped,
        cancellation_key=trigger.cancellation_key,
        inserted_at=event_base["triggered_at"],
    )
    if trigger.stored_data is not None:
        bus.put_run_data(event_base["data_ref"], trigger.stored_data)
    retention = workflow_settings().workflow_run_retention_days
    get_run_store().record_run(run, skipped_count=len(skipped), expires_at=expires_in(retention))
    event_base["skipped_count"] = len(skipped)
    sources = [entry.ref for entry in included if entry.ref.collection is not None] if fan_out else []
    events = triggered_events(event_base, [entry.to_wire() for entry in included], final=not sources)
    bus.publish(TRIGGERED, events)
    if sources:
        excluded = [entry.ref for entry in included] + ([actor.ref] if actor is not None else [])
        start_fanout(event_base, sources, excluded, first_part=len(events) + 1)
    logger.info(
        "workflow triggered",
        extra={
            "workflow_key": workflow_key,
            "workflow_run_id": run_id,
            "recipients": len(included),
            "identified_inline": len(inline),
            "skipped": len(skipped),
        },
    )
    metrics.add_metric(name="WorkflowsTriggered", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="TriggerRecipientsSkipped", unit=MetricUnit.Count, value=len(skipped))
    return run_id


def triggered_events(base: dict[str, Any], recipients: list[dict[str, Any]], *, final: bool = True) -> list[str]:
    """The run's event details: all recipients in one event, or split into parts that each fit. Parts
    that are not the run's last (a fan-out puts more) say `"parts": null`."""
    room = bus.MAX_EVENT_BYTES - _base_size(base)
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for recipient in recipients:
        length = len(jsontext.dumps(recipient).encode()) + 1
        if parts[-1] and size + length > room:
            parts.append([])
            size = 0
        parts[-1].append(recipient)
        size += length
    return [
        jsontext.dumps({**base, "recipients": part, "part": number, "parts": len(parts) if final else None})
        for number, part in enumerate(parts, start=1)
    ]


_PART_FIELDS_BYTES = 64
"""Room for `"recipients":[]`, `"part"` and `"parts"` around the recipients of one part."""
_MIN_RECIPIENTS_ROOM = 2_000
"""An event must have room for at least a few recipients once data, actor and tenant are in."""


def _base_size(base: dict[str, Any]) -> int:
    return bus.event_size(TRIGGERED, jsontext.dumps({**base, "skipped_count": 0})) + _PART_FIELDS_BYTES


def _leaves_room_for_recipients(base: dict[str, Any], room: int) -> bool:
    return _base_size(base) <= bus.MAX_EVENT_BYTES - room


def _identify_all(inline: list[Recipient]) -> None:
    """Identify inline users and objects, WRITE_THREADS at once; entries for one recipient in order."""
    groups: dict[RecipientRef, list[Recipient]] = {}
    for entry in inline:
        groups.setdefault(entry.ref, []).append(entry)
    if not groups:
        return
    in_parallel(_identify_group, list(groups.values()), WRITE_THREADS)
    metrics.add_metric(name="TriggerRecipientsIdentified", unit=MetricUnit.Count, value=len(inline))


def _identify_tenant(tenant: Recipient) -> None:
    """The run's tenant exists before the run is recorded, as its inline recipients do."""
    if tenant.plan is None:
        get_recipient_store().ensure(tenant.ref)
    else:
        get_recipient_store().upsert(tenant.ref, tenant.plan)


def _identify_group(entries: list[Recipient]) -> None:
    recipients = get_recipient_store()
    for entry in entries:
        assert entry.plan is not None
        recipients.upsert(entry.ref, entry.plan)
