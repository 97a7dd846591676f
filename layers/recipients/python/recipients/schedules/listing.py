"""Listing schedules: a workflow's (over its shards, or only some recipients'), and a recipient's,
newest first; each answered in full, with its recipient and actor read in one BatchGetItem per 100.

A schedule whose recipient no longer exists is left out (deleting a recipient deletes its schedules,
shortly after, from its change event).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from recipients.identity.models import PageInfo, RecipientRef
from recipients.identity.pages import check_one_direction
from recipients.identity.store import get_recipient_store
from recipients.kernel.listing import UNBOUNDED
from recipients.objects.models import RecipientObject
from recipients.objects.store import object_from_item
from recipients.schedules.models import Schedule, SchedulePage
from recipients.schedules.requests import ScheduleRepeatRule
from recipients.schedules.store import StoredSchedule, get_schedule_store, schedule_from_item, schedule_item
from recipients.users.models import User
from recipients.users.store import user_from_item


def list_schedules(
    workflow: str,
    recipients: list[RecipientRef],
    tenant: str | None,
    page_size: int,
    after: str | None,
    before: str | None,
) -> SchedulePage:
    """A workflow's schedules in a stable order; with `recipients`, theirs only (read from their own
    lists), paged in the same order with the same cursors."""
    check_one_direction(after, before)
    store = get_schedule_store()
    listing = store.by_workflow(workflow)
    listing.check_cursors(after, before)
    if recipients:
        found = [
            schedule_item(schedule)
            for ref in dict.fromkeys(recipients)
            for schedule in recipient_schedules(ref, workflow=workflow, tenant=tenant)
        ]
        listing = listing.among(found)
    keep = None if tenant is None else (lambda item: item.get("tenant", {}).get("S") == tenant)
    page = listing.page(page_size, after, before, keep=keep)
    entries = full_schedules([schedule_from_item(item) for item in page.items])
    return SchedulePage(entries=entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size))


def list_recipient_schedules(
    recipient: RecipientRef,
    workflow: str | None,
    tenant: str | None,
    page_size: int,
    after: str | None,
    before: str | None,
) -> SchedulePage:
    """A user's or object's schedules, newest first (only a workflow's, or a tenant's, when given)."""
    check_one_direction(after, before)
    listing = get_schedule_store().by_recipient(recipient)
    page = listing.page(page_size, after, before, forward=False, keep=_filter(workflow, tenant))
    found = get_schedule_store().get_many([item["schedule_id"]["S"] for item in page.items])
    ordered = [found[item["schedule_id"]["S"]] for item in page.items if item["schedule_id"]["S"] in found]
    return SchedulePage(
        entries=full_schedules(ordered), page_info=PageInfo(after=page.after, before=page.before, page_size=page_size)
    )


def recipient_schedules(
    recipient: RecipientRef, *, workflow: str | None = None, tenant: str | None = None
) -> list[StoredSchedule]:
    """Every schedule of the recipient (of a workflow, a tenant), newest first."""
    ids = [item["schedule_id"]["S"] for item in _walk(recipient, workflow, tenant)]
    found = get_schedule_store().get_many(ids) if ids else {}
    return [found[schedule_id] for schedule_id in ids if schedule_id in found]


def _walk(recipient: RecipientRef, workflow: str | None, tenant: str | None) -> Iterator[dict[str, Any]]:
    listing = get_schedule_store().by_recipient(recipient)
    return listing.walk(None, UNBOUNDED, forward=False, keep=_filter(workflow, tenant))


def _filter(workflow: str | None, tenant: str | None) -> Any:
    if workflow is None and tenant is None:
        return None

    def keep(item: dict[str, Any]) -> bool:
        return (workflow is None or item["workflow"]["S"] == workflow) and (
            tenant is None or item.get("tenant", {}).get("S") == tenant
        )

    return keep


def full_schedules(
    schedules: list[StoredSchedule], known: dict[RecipientRef, dict[str, Any]] | None = None
) -> list[Schedule]:
    """The schedules in full, leaving out those whose recipient no longer exists."""
    known = dict(known or {})
    wanted = [ref for entry in schedules for ref in (entry.recipient, entry.actor) if ref and ref not in known]
    if wanted:
        known.update(get_recipient_store().items(list(dict.fromkeys(wanted))))
    answered = []
    for entry in schedules:
        recipient_item = known.get(entry.recipient)
        if recipient_item is None:
            continue
        actor_item = known.get(entry.actor) if entry.actor is not None else None
        answered.append(
            Schedule(
                id=entry.id,
                workflow=entry.workflow,
                recipient=_recipient(entry.recipient, recipient_item),
                actor=_recipient(entry.actor, actor_item) if entry.actor and actor_item else None,
                tenant=entry.tenant,
                data=entry.data,
                repeats=[ScheduleRepeatRule.model_validate(rule) for rule in entry.repeats],
                scheduled_at=entry.scheduled_at,
                ending_at=entry.ending_at,
                last_occurrence_at=entry.last_occurrence_at,
                next_occurrence_at=entry.next_occurrence_at,
                inserted_at=entry.inserted_at,
                updated_at=entry.updated_at,
            )
        )
    return answered


def _recipient(ref: RecipientRef, item: dict[str, Any]) -> User | RecipientObject:
    return user_from_item(item) if ref.collection is None else object_from_item(item)
