"""The clean-up itself (subscription_cleanup): a deleted recipient's subscriptions, page by page.

One message covers at most PAGES_PER_MESSAGE pages of PAGE_SIZE listed subscriptions, whatever the
lists hold, so it ends well within the function's timeout; what is left goes back on the queue as a
message that starts where this one stopped. A recipient's own list (`subof#`, the objects it is
subscribed to) comes first, then for an object its subscribers over every shard. Each page is one
`Query` and one `BatchWriteItem` per 12 subscriptions, deleting both items of those last written no
later than the deletion. Running a message twice deletes nothing more: a redelivery is harmless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.models import RecipientRef, log_keys
from recipients.kernel.keys import ListPosition
from recipients.kernel.listing import ShardedList
from recipients.kernel.observability import logger, metrics
from recipients.subscriptions.cleanup import SUBSCRIBED, SUBSCRIBERS, cleanup_message, send
from recipients.subscriptions.store import get_subscription_store, subscription_from_item

PAGE_SIZE = 100
PAGES_PER_MESSAGE = 20


def clean(message: dict[str, Any]) -> None:
    """Remove what the message asks for, then queue the rest (if any) as a continuation."""
    ref = RecipientRef.model_validate(message["recipient"])
    deleted_at, phase = str(message["deleted_at"]), str(message["list"])
    after = ListPosition(*message["after"]) if message.get("after") else None
    removed = 0
    for _ in range(PAGES_PER_MESSAGE):
        listing = _listing(ref, phase)
        items = list(listing.walk(after, PAGE_SIZE))
        stale = [subscription_from_item(item) for item in items if item["updated_at"]["S"] <= deleted_at]
        get_subscription_store().remove(stale)
        removed += len(stale)
        if len(items) == PAGE_SIZE:
            after = listing.position(items[-1])
        elif phase == SUBSCRIBED and ref.collection is not None:
            phase, after = SUBSCRIBERS, None
        else:
            _done(ref, removed)
            return
    send([cleanup_message(ref, deleted_at, phase, (after.shard, after.id) if after else None)], delay_seconds=0)
    metrics.add_metric(name="SubscriptionCleanupsContinued", unit=MetricUnit.Count, value=1)
    _done(ref, removed, finished=False)


def _listing(ref: RecipientRef, phase: str) -> ShardedList:
    store = get_subscription_store()
    return store.subscribers(ref) if phase == SUBSCRIBERS else store.subscribed(ref)


def _done(ref: RecipientRef, removed: int, *, finished: bool = True) -> None:
    logger.info("subscriptions cleaned up", extra={"removed": removed, "finished": finished, **log_keys(ref)})
    metrics.add_metric(name="SubscriptionsCleanedUp", unit=MetricUnit.Count, value=removed)
