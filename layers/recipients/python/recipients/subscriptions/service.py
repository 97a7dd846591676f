"""The subscription use cases: add (identifying inline recipients first), delete and list, for
objects and their subscribers both ways (mode=object, mode=recipient) and for users.

Adding subscribes to an object that does not exist yet by creating it empty, as setting its
channel data or preferences does. Listing answers 404 for an object that does not exist (Knock:
"the object must exist"). Subscriptions whose recipient was deleted are left out of every list
until the clean-up removes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.inline import Recipient, parse_recipient, reference_only
from recipients.identity.models import PageInfo, RecipientRef
from recipients.identity.pages import check_one_direction
from recipients.identity.store import get_recipient_store
from recipients.kernel import jsontext, payload
from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import ListPosition
from recipients.kernel.listing import UNBOUNDED, ItemPage, ShardedList
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import now_timestamp
from recipients.objects.models import RecipientObject
from recipients.objects.store import object_from_item
from recipients.preferences.sets import side_loaded
from recipients.subscriptions.models import (
    AddSubscriptionsRequest,
    DeleteSubscriptionsRequest,
    Subscription,
    SubscriptionPage,
)
from recipients.subscriptions.store import StoredSubscription, get_subscription_store, subscription_from_item
from recipients.users.models import User
from recipients.users.store import user_from_item

_PAGE_INFO_BYTES = 8 * 1024
MAX_PROPERTIES_BYTES = 16 * 1024
"""A subscription's properties travel in every run event that lists the subscriber (256 KB an event)."""
_REFILL_SIZE = 50
"""Subscriptions read per further round when deleted recipients left a page short."""


def add_subscriptions(object_ref: RecipientRef, request: AddSubscriptionsRequest) -> list[Subscription]:
    """Identify the inline recipients, check the others exist, then subscribe them all to the object."""
    entries = [parse_recipient(value, f"recipients.{index}") for index, value in enumerate(request.recipients)]
    _check_entries(object_ref, entries)
    properties = jsontext.dumps(request.properties) if request.properties is not None else None
    if properties is not None and len(properties.encode()) > MAX_PROPERTIES_BYTES:
        size = len(properties.encode())
        raise RecipientsError.invalid_field("properties", f"is {size:,} bytes of JSON; the limit is 16 KiB")
    inline = {entry.ref for entry in entries if entry.plan is not None}
    items = _items([entry.ref for entry in entries if entry.ref not in inline])
    for index, entry in enumerate(entries):
        if entry.ref not in inline and entry.ref not in items:  # checked before anything is written
            what = "user" if entry.ref.collection is None else "object"
            message = f"{what} not found: identify it, or send it inline"
            raise RecipientsError.invalid_field(f"recipients.{index}", message)
    recipients = get_recipient_store()
    for entry in entries:
        if entry.plan is not None:
            items[entry.ref] = recipients.upsert(entry.ref, entry.plan)
    object_item = recipients.ensure(object_ref)
    refs = list(dict.fromkeys(entry.ref for entry in entries))
    stored = get_subscription_store().put(object_ref, [(ref, properties) for ref in refs], now_timestamp())
    logger.info("subscriptions added", extra={"object": object_ref.to_wire(), "recipients": len(refs)})
    metrics.add_metric(name="SubscriptionsAdded", unit=MetricUnit.Count, value=len(refs))
    return [_subscription(entry, object_item, items[entry.recipient]) for entry in stored]


def delete_subscriptions(object_ref: RecipientRef, request: DeleteSubscriptionsRequest) -> list[Subscription]:
    """Unsubscribe the recipients given by reference; the subscriptions that were deleted."""
    refs = [reference_only(value, f"recipients.{index}") for index, value in enumerate(request.recipients)]
    object_item = _existing_object(object_ref)
    store = get_subscription_store()
    found = store.find(object_ref, refs)
    store.remove(found)
    logger.info("subscriptions deleted", extra={"object": object_ref.to_wire(), "deleted": len(found)})
    metrics.add_metric(name="SubscriptionsDeleted", unit=MetricUnit.Count, value=len(found))
    return _subscriptions(found, known={object_ref: object_item})


def list_object_subscriptions(
    object_ref: RecipientRef,
    mode: str,
    filters: list[RecipientRef],
    page_size: int,
    after: str | None,
    before: str | None,
    *,
    preferences: bool = False,
) -> SubscriptionPage:
    """mode=object: the object's subscribers (only `filters`, when given); mode=recipient: the
    objects it is subscribed to (only the objects in `filters`)."""
    check_one_direction(after, before)
    store = get_subscription_store()
    listing = store.subscribers(object_ref) if mode == "object" else store.subscribed(object_ref)
    listing.check_cursors(after, before)
    known = {object_ref: _existing_object(object_ref)}
    if mode == "recipient":
        return _subscribed_page(object_ref, filters, page_size, after, before, known, preferences)
    if filters:
        listing = store.subscribers(object_ref, named=filters)
    return _page(listing, page_size, after, before, known, preferences)


def list_user_subscriptions(
    user_id: str,
    objects: list[RecipientRef],
    page_size: int,
    after: str | None,
    before: str | None,
    *,
    preferences: bool = False,
) -> SubscriptionPage:
    """The objects a user is subscribed to, newest first (only `objects`, when given)."""
    return _subscribed_page(RecipientRef(id=user_id), objects, page_size, after, before, {}, preferences)


def subscribers_after(
    object_ref: RecipientRef, after: ListPosition | None
) -> Iterator[tuple[ListPosition, StoredSubscription]]:
    """The object's subscriptions in list order after `after`, each with its place (a run's fan-out)."""
    return get_subscription_store().walk_subscribers(object_ref, after, UNBOUNDED)


def is_subscribed(recipient: RecipientRef, object_ref: RecipientRef, made_by: str) -> bool:
    """Whether the recipient had subscribed to the object by the time `made_by`: one BatchGetItem."""
    return any(entry.inserted_at <= made_by for entry in get_subscription_store().find(object_ref, [recipient]))


def parse_references(values: list[Any], field: str) -> list[RecipientRef]:
    """A list filter's entries: `recipients[]` a user or an object each, `objects[]` objects only."""
    refs = [reference_only(value, f"{field}.{index}") for index, value in enumerate(values)]
    if field == "objects[]":
        for index, ref in enumerate(refs):
            if ref.collection is None:
                raise RecipientsError.invalid_field(f"{field}.{index}", "must be an object reference {id, collection}")
    return refs


def _subscribed_page(
    recipient: RecipientRef,
    objects: list[RecipientRef],
    page_size: int,
    after: str | None,
    before: str | None,
    known: dict[RecipientRef, dict[str, Any]],
    preferences: bool,
) -> SubscriptionPage:
    check_one_direction(after, before)
    listing = get_subscription_store().subscribed(recipient, named=objects)
    # newest first, as Knock lists a user's subscriptions
    return _page(listing, page_size, after, before, known, preferences, list_forward=False)


def _check_entries(object_ref: RecipientRef, entries: list[Recipient]) -> None:
    for index, entry in enumerate(entries):
        if entry.trigger_data is not None:
            raise RecipientsError.invalid_field(f"recipients.{index}.$trigger_data", "is only taken by a trigger")
        if entry.ref == object_ref:
            raise RecipientsError.invalid_field(f"recipients.{index}", "an object cannot subscribe to itself")


def _existing_object(object_ref: RecipientRef) -> dict[str, Any]:
    item = get_recipient_store().get(object_ref)
    if item is None:
        raise RecipientsError.not_found("object", f"{object_ref.collection}/{object_ref.id}")
    return item


def _items(refs: list[RecipientRef]) -> dict[RecipientRef, dict[str, Any]]:
    return get_recipient_store().items(list(dict.fromkeys(refs))) if refs else {}


def _page(
    listing: ShardedList,
    page_size: int,
    after: str | None,
    before: str | None,
    known: dict[RecipientRef, dict[str, Any]],
    preferences: bool,
    *,
    list_forward: bool = True,
) -> SubscriptionPage:
    """A page of stored subscriptions in full, or as much of it as one answer carries (6 MB). Those whose
    recipient or object was deleted are read past, so only the last page is short: the SDKs stop at an
    empty page, whatever its cursor says."""
    back = before is not None
    found = listing.page(page_size, after, before, forward=list_forward)
    cursors, entries = _resolved(listing, found, known, preferences)
    after_cursor, before_cursor = found.after, found.before
    while sum(entry is not None for entry in entries) < page_size and (before_cursor if back else after_cursor):
        more = listing.page(
            _REFILL_SIZE, None if back else after_cursor, before_cursor if back else None, forward=list_forward
        )
        more_cursors, more_entries = _resolved(listing, more, known, preferences)
        if back:
            cursors, entries, before_cursor = more_cursors + cursors, more_entries + entries, more.before
        else:
            cursors, entries, after_cursor = cursors + more_cursors, entries + more_entries, more.after
    present = [index for index, entry in enumerate(entries) if entry is not None]
    if len(present) > page_size:  # a refill read more than the page needs
        if back:
            cut = present[-page_size]
            cursors, entries, before_cursor = cursors[cut:], entries[cut:], cursors[cut]
        else:
            cut = present[page_size - 1] + 1
            cursors, entries, after_cursor = cursors[:cut], entries[:cut], cursors[cut - 1]
    texts = [entry.to_json() if entry is not None else "" for entry in entries]
    keep = payload.fitting(reversed(texts) if back else texts, payload.MAX_BODY_BYTES - _PAGE_INFO_BYTES)
    if keep < len(texts):
        if back:
            entries, before_cursor = entries[len(texts) - keep :], cursors[len(texts) - keep]
        else:
            entries, after_cursor = entries[:keep], cursors[keep - 1]
    listed = [entry for entry in entries if entry is not None]
    metrics.add_metric(name="SubscriptionPagesListed", unit=MetricUnit.Count, value=1)
    return SubscriptionPage(
        entries=listed, page_info=PageInfo(after=after_cursor, before=before_cursor, page_size=page_size)
    )


def _resolved(
    listing: ShardedList, found: ItemPage, known: dict[RecipientRef, dict[str, Any]], preferences: bool
) -> tuple[list[str], list[Subscription | None]]:
    """The cursor of each listed item, and its subscription in full (None for a deleted recipient or object)."""
    subscriptions = [subscription_from_item(item) for item in found.items]
    entries = _subscriptions(subscriptions, known, preferences, keep_missing=True)
    return [listing.cursor(item) for item in found.items], entries


def _subscriptions(
    found: list[StoredSubscription],
    known: dict[RecipientRef, dict[str, Any]],
    preferences: bool = False,
    *,
    keep_missing: bool = False,
) -> list[Any]:
    """The subscriptions in full: both recipients' items in one BatchGetItem per 100 (the ones not
    known already). One whose object or recipient no longer exists is left out (None, to keep places)."""
    wanted = [ref for entry in found for ref in (entry.object, entry.recipient) if ref not in known]
    items = {**known, **_items(wanted)}
    result: list[Subscription | None] = []
    for entry in found:
        object_item, recipient_item = items.get(entry.object), items.get(entry.recipient)
        if object_item is None or recipient_item is None:
            if keep_missing:
                result.append(None)
            continue
        result.append(_subscription(entry, object_item, recipient_item, preferences))
    return result


def _subscription(
    entry: StoredSubscription,
    object_item: dict[str, Any],
    recipient_item: dict[str, Any],
    preferences: bool = False,
) -> Subscription:
    sets = side_loaded(recipient_item) if preferences else None
    recipient: User | RecipientObject = (
        user_from_item(recipient_item, sets)
        if entry.recipient.collection is None
        else object_from_item(recipient_item, sets)
    )
    return Subscription(
        object=object_from_item(object_item),
        recipient=recipient,
        properties=entry.properties,
        inserted_at=entry.inserted_at,
        updated_at=entry.updated_at,
    )
