"""POST /v1/schedules/bulk/create: each entry checked with the rules of one create, then the bulk
pipeline. A row is one schedule (its id chosen here, so a chunk delivered twice writes it once); the
worker (bulk/apply.py) hands the entry back to `create_bulk_row`, which identifies and arms it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkOperation
from recipients.bulk.validation import validate_rows
from recipients.identity.inline import Recipient, parse_recipient
from recipients.identity.merge import UpdatePlan
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.kernel.rules import format_timestamp
from recipients.schedules.bulk_requests import BulkScheduleEntry
from recipients.schedules.requests import check_timing

ENTRY_ATTRIBUTE = "schedule"
"""Where a row carries its entry (JSON text) through the queue."""


class CheckedEntry(NamedTuple):
    entry: BulkScheduleEntry
    recipient: Recipient
    actor: Recipient | None
    tenant: Recipient | None


def bulk_create_schedules(entries: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_rows(entries, _parse, "schedule")
    return start_bulk_operation("schedules.bulk_create", "schedule", len(entries), valid, rejected, base_url)


def check_entry(row: dict[str, Any]) -> CheckedEntry:
    """An entry with the rules of one create: errors name the entry's field."""
    from recipients.workflows.trigger import parse_tenant

    entry = BulkScheduleEntry.model_validate(row)
    check_timing(entry)
    recipient = parse_recipient(entry.recipient, "recipient")
    if recipient.trigger_data is not None:
        raise RecipientsError.invalid_field("recipient.$trigger_data", "is only taken by a trigger")
    actor = parse_recipient(entry.actor, "actor") if entry.actor is not None else None
    return CheckedEntry(entry, recipient, actor, parse_tenant(entry.tenant))


def create_bulk_row(schedule_id: str, text: str) -> None:
    """Write one queued schedule: a recipient or actor given by reference that does not exist is the
    row's error (raised, as every row's error is)."""
    # Imported here: the API function checks entries; only the worker identifies, arms and saves them.
    from recipients.schedules.service import identify, new_schedule, save
    from recipients.schedules.timing import next_after, zone_of

    checked = check_entry(jsontext.loads(text))
    named = [checked.recipient, *([checked.actor] if checked.actor is not None else [])]
    items = identify(named, checked.tenant)
    for field, entry in (("recipient", checked.recipient), ("actor", checked.actor)):
        if entry is not None and entry.ref not in items:
            what = "user" if entry.ref.collection is None else "object"
            raise RecipientsError.invalid_field(field, f"{what} not found: identify it, or send it inline")
    now = datetime.now(UTC)
    schedule = new_schedule(
        checked.entry,
        checked.recipient.ref,
        checked.actor.ref if checked.actor is not None else None,
        checked.tenant.ref.id if checked.tenant is not None else None,
        now,
        workflow=checked.entry.workflow,
        schedule_id=schedule_id,
    )
    following = next_after(schedule, zone_of(items.get(schedule.recipient)), now, first=True)
    save([schedule._replace(next_occurrence_at=format_timestamp(following) if following else None)], now)


def _parse(row: dict[str, Any]) -> tuple[str, UpdatePlan]:
    check_entry(row)
    return str(uuid.uuid4()), UpdatePlan({ENTRY_ATTRIBUTE: jsontext.dumps(row)}, {})
