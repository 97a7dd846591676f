"""POST /v1/objects/{collection}/bulk/subscriptions/add and /delete: each entry checked with the rules of
one add or delete, then the bulk pipeline (bulk_worker writes them with subscriptions/writes.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkOperation, BulkRecipient
from recipients.bulk.validation import validate_groups
from recipients.identity.inline import Recipient, parse_recipient, reference_only
from recipients.identity.models import RecipientRef
from recipients.identity.store import check_fits
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.subscriptions.requests import BulkAddSubscriptionEntry, BulkDeleteSubscriptionEntry

Entry = tuple[str, list[BulkRecipient], str | None]


def bulk_add_subscriptions(collection: str, entries: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_groups(entries, _add_parser(collection), collection)
    return start_bulk_operation(
        "objects.bulk_add_subscriptions", "subscribe", len(entries), valid, rejected, base_url, collection=collection
    )


def bulk_delete_subscriptions(collection: str, entries: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_groups(entries, _delete_parser(collection), collection)
    return start_bulk_operation(
        "objects.bulk_delete_subscriptions",
        "unsubscribe",
        len(entries),
        valid,
        rejected,
        base_url,
        collection=collection,
    )


def _add_parser(collection: str) -> Callable[[dict[str, Any]], Entry]:
    def parse(row: dict[str, Any]) -> Entry:
        entry = BulkAddSubscriptionEntry.model_validate(row)
        object_ref = RecipientRef(id=entry.id, collection=collection)
        recipients = [
            _checked(object_ref, parse_recipient(value, f"recipients.{index}"), index)
            for index, value in enumerate(entry.recipients)
        ]
        properties = jsontext.dumps(entry.properties) if entry.properties is not None else None
        if properties is not None:
            check_fits(properties, "properties")
        return entry.id, recipients, properties

    return parse


def _delete_parser(collection: str) -> Callable[[dict[str, Any]], Entry]:
    def parse(row: dict[str, Any]) -> Entry:
        entry = BulkDeleteSubscriptionEntry.model_validate(row)
        recipients = []
        for index, value in enumerate(entry.recipients):
            ref = reference_only(value, f"recipients.{index}")
            recipients.append(BulkRecipient(id=ref.id, collection=ref.collection))
        return entry.id, recipients, None

    return parse


def _checked(object_ref: RecipientRef, entry: Recipient, index: int) -> BulkRecipient:
    """A recipient of an add entry as the worker takes it: inline ones with what identifying them writes."""
    if entry.trigger_data is not None:
        raise RecipientsError.invalid_field(f"recipients.{index}.$trigger_data", "is only taken by a trigger")
    if entry.ref == object_ref:
        raise RecipientsError.invalid_field(f"recipients.{index}", "an object cannot subscribe to itself")
    plan = entry.plan
    return BulkRecipient(
        id=entry.ref.id,
        collection=entry.ref.collection,
        attributes=plan.attributes if plan is not None else None,
        edits=(plan.edits or None) if plan is not None else None,
    )
