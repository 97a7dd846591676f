"""Schedules following their recipients: a recipient's change events (put on the bus by the change
stream) re-time its schedules when its `timezone` changed, and delete them when it was deleted.

The event's detail is `{"recipient": <user id, or {"collection", "id"}>, "changed": [<top-level keys>], ...}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel.models import Model
from recipients.kernel.observability import logger, metrics
from recipients.schedules.listing import recipient_schedules
from recipients.schedules.service import remove, retime, save

UPDATED = "recipient.updated"
DELETED = "recipient.deleted"


class RecipientChange(Model):
    """The detail of a `recipient.*` event, as much of it as schedules read."""

    recipient: str | dict[str, str]
    changed: list[str] = Field(default_factory=list)

    def ref(self) -> RecipientRef:
        if isinstance(self.recipient, str):
            return RecipientRef(id=self.recipient)
        return RecipientRef(id=self.recipient["id"], collection=self.recipient.get("collection"))


def apply_change(detail_type: str, detail: dict[str, Any], now: datetime | None = None) -> int:
    """Re-time or delete the recipient's schedules; how many were."""
    change = RecipientChange.model_validate(detail)
    recipient = change.ref()
    schedules = recipient_schedules(recipient)
    if not schedules:
        return 0
    if detail_type == DELETED:
        remove(schedules)
        metrics.add_metric(name="SchedulesDeletedWithRecipient", unit=MetricUnit.Count, value=len(schedules))
    elif detail_type == UPDATED and "timezone" in change.changed:
        moment = now or datetime.now(UTC)
        item = get_recipient_store().get(recipient, consistent=True)
        retimed = [retime(schedule, item, moment) for schedule in schedules]
        save(retimed, moment, previous={schedule.id: schedule for schedule in schedules})
        metrics.add_metric(name="SchedulesRetimed", unit=MetricUnit.Count, value=len(retimed))
    else:
        return 0
    logger.info("schedules followed their recipient", extra={"change": detail_type, "schedules": len(schedules)})
    return len(schedules)
