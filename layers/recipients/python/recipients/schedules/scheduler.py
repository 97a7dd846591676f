"""Arming occurrences on EventBridge Scheduler: one one-time `at()` schedule per Recipients schedule, for
its next occurrence, in the stack's schedule group; Scheduler deletes it once it has run.

Its name is the schedule's id and the occurrence's epoch second, so it can be worked out from the
schedule alone (no attribute to keep in step), arming the next occurrence never collides with the one
that is firing, and arming the same occurrence twice is one schedule (the second create conflicts).
The target gets `{"schedule_id", "occurrence"}` as its input, which is how a firing knows what it fires.
"""

from __future__ import annotations

import json
from datetime import datetime

from recipients.kernel.aws import scheduler
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger
from recipients.kernel.rules import format_timestamp
from recipients.schedules.settings import scheduler_settings

_RETRYABLE = {"ThrottlingException", "ServiceQuotaExceededException", "InternalServerException"}


def occurrence_name(schedule_id: str, occurrence: datetime) -> str:
    """At most 64 characters, as Scheduler takes: a 36-character id, '-', an epoch second."""
    return f"{schedule_id}-{int(occurrence.timestamp())}"


def at_expression(moment: datetime) -> str:
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def arm(schedule_id: str, occurrence: datetime, now: datetime) -> None:
    """Have Scheduler invoke the firing function for this occurrence (at once when it is already due)."""
    settings = scheduler_settings()
    client = scheduler()
    runs_at = max(occurrence, now)
    try:
        client.create_schedule(
            Name=occurrence_name(schedule_id, occurrence),
            GroupName=settings.schedule_group_name,
            ScheduleExpression=at_expression(runs_at),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": settings.schedule_target_arn,
                "RoleArn": settings.schedule_role_arn,
                "Input": json.dumps({"schedule_id": schedule_id, "occurrence": format_timestamp(occurrence)}),
                "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
            },
        )
    except client.exceptions.ClientError as exc:
        if _code(exc) != "ConflictException":  # armed already: the same occurrence, the same schedule
            raise _translated(exc, "CreateSchedule") from exc


def disarm(schedule_id: str, occurrence: datetime) -> None:
    """Cancel an armed occurrence; one that already ran (and was deleted) or never was is no error."""
    client = scheduler()
    try:
        client.delete_schedule(
            Name=occurrence_name(schedule_id, occurrence), GroupName=scheduler_settings().schedule_group_name
        )
    except client.exceptions.ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise _translated(exc, "DeleteSchedule") from exc


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


def _translated(exc: Exception, operation: str) -> Exception:
    logger.warning(f"{operation} failed", extra={"error": _code(exc)})
    if _code(exc) in _RETRYABLE:
        return RecipientsError.unavailable("the scheduler is busy; retry with backoff")
    return exc
