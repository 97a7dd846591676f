"""schedule_recipient_changes: re-times a recipient's schedules when its timezone changes, and deletes
them when it is deleted, from the recipient change events on the bus (an EventBridge rule)."""

from typing import Any

from recipients.kernel.invocation import event_entrypoint
from recipients.schedules.changes import apply_change


def handle(event: dict[str, Any]) -> dict[str, int]:
    return {"schedules": apply_change(event["detail-type"], event["detail"])}


lambda_handler = event_entrypoint(handle)
