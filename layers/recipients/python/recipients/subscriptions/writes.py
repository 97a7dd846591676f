"""Subscription writes without the answer models: what bulk_worker applies for a subscribe or unsubscribe row."""

from __future__ import annotations

from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel.errors import RecipientsError
from recipients.kernel.rules import now_timestamp
from recipients.subscriptions.store import get_subscription_store


def subscribe(
    object_ref: RecipientRef, recipients: list[tuple[RecipientRef, UpdatePlan | None]], properties: str | None
) -> None:
    """As one add: the recipients given by reference must exist (checked before anything is written), the
    inline ones are identified in order, the object is created empty if missing, then the subscriptions
    are upserted."""
    store = get_recipient_store()
    inline = {ref for ref, plan in recipients if plan is not None}
    referenced = list(dict.fromkeys(ref for ref, plan in recipients if plan is None and ref not in inline))
    missing = store.missing(referenced) if referenced else set()
    for index, (ref, plan) in enumerate(recipients):
        if plan is None and ref in missing:
            what = "user" if ref.collection is None else "object"
            raise RecipientsError.invalid_field(
                f"recipients.{index}", f"{what} not found: identify it, or send it inline"
            )
    for ref, plan in recipients:
        if plan is not None:
            store.upsert(ref, plan)
    store.ensure(object_ref)
    refs = list(dict.fromkeys(ref for ref, _ in recipients))
    get_subscription_store().put(object_ref, [(ref, properties) for ref in refs], now_timestamp())


def unsubscribe(object_ref: RecipientRef, refs: list[RecipientRef]) -> None:
    """Delete the subscriptions of these recipients to the object; the ones that do not exist are skipped."""
    store = get_subscription_store()
    store.remove(store.find(object_ref, list(dict.fromkeys(refs))))
