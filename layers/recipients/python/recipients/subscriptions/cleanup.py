"""Asking for the clean-up of deleted recipients' subscriptions: one SQS message per recipient.

A delete first deletes the recipient, then calls `request_cleanup` with the time after the delete:
the clean-up (subscriptions/sweep.py) removes the subscriptions both ways that were last written no
later than that, so the ones made after a re-identify survive. A delete asks even when there was
nothing to delete, so that repeating a delete whose request failed here (a 503) still asks.
"""

from __future__ import annotations

from typing import Any

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger
from recipients.kernel.rules import now_timestamp
from recipients.kernel.sending import MAX_BATCH_ENTRIES, send_batch
from recipients.subscriptions.settings import cleanup_settings

SUBSCRIBED = "subscribed"
SUBSCRIBERS = "subscribers"


def request_cleanup(refs: list[RecipientRef], deleted_at: str | None = None) -> None:
    """Queue the clean-up of each recipient (SendMessageBatch of 10); a 503 when SQS would not take them."""
    deleted_at = deleted_at or now_timestamp()
    messages = [cleanup_message(ref, deleted_at) for ref in dict.fromkeys(refs)]
    for start in range(0, len(messages), MAX_BATCH_ENTRIES):
        send(messages[start : start + MAX_BATCH_ENTRIES])


def cleanup_message(
    ref: RecipientRef, deleted_at: str, phase: str = SUBSCRIBED, after: tuple[int, str] | None = None
) -> dict[str, Any]:
    """What one message asks: clean `phase` of the recipient's lists from `after` (a list position), and
    the lists after it."""
    return {"recipient": ref.to_wire(), "deleted_at": deleted_at, "list": phase, "after": after}


def send(messages: list[dict[str, Any]], delay_seconds: int | None = None) -> None:
    """Send up to 10 messages, retrying the entries SQS refused; raises a 503 when some never go."""
    bodies = {str(index): jsontext.dumps(message) for index, message in enumerate(messages)}
    unsent = send_batch(cleanup_settings().subscription_cleanup_queue_url, bodies, delay_seconds=delay_seconds)
    if not unsent:
        return
    logger.error("subscription clean-up could not be queued", extra={"messages": len(unsent)})
    raise RecipientsError.unavailable(
        "the recipient was deleted, but the clean-up of its subscriptions was not queued: retry"
    )
