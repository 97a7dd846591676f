"""schedule_firing: runs one occurrence of a schedule, as EventBridge Scheduler invokes it, and arms the next."""

from typing import Any

from recipients.kernel.invocation import event_entrypoint
from recipients.schedules.firing import Firing, fire


def handle(event: dict[str, Any]) -> dict[str, Any]:
    return {"workflow_run_id": fire(Firing.model_validate(event))}


lambda_handler = event_entrypoint(handle)
