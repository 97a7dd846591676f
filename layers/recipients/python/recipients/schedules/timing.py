"""A stored schedule's timing: the zone its rules run in, and its next occurrence after an instant.

The zone is the recipient's `timezone`, else the stack's default (template parameter DefaultTimezone),
else Etc/UTC; a one-off runs at its `scheduled_at` whatever the zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from recipients.identity.merge import PROPERTY_PREFIX
from recipients.kernel import jsontext
from recipients.kernel.rules import check_timezone
from recipients.schedules.recurrence import next_occurrence
from recipients.schedules.requests import ScheduleRepeatRule
from recipients.schedules.settings import timezone_settings
from recipients.schedules.store import StoredSchedule

TIMEZONE_ATTRIBUTE = PROPERTY_PREFIX + "timezone"


def zone_of(recipient_item: dict[str, Any] | None) -> ZoneInfo:
    """The recipient's zone: its own when it has a valid one, else the default."""
    stored = (recipient_item or {}).get(TIMEZONE_ATTRIBUTE, {}).get("S")
    name = jsontext.loads(stored) if stored is not None else None
    if isinstance(name, str):
        try:
            return ZoneInfo(check_timezone(name))
        except ValueError:
            pass
    return ZoneInfo(timezone_settings().default_timezone)


def parse_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def next_after(schedule: StoredSchedule, zone: ZoneInfo, after: datetime, *, first: bool = False) -> datetime | None:
    """The schedule's next occurrence after `after`. `first` (a new or changed schedule): a one-off whose
    time has passed runs at once rather than never, as it was asked for."""
    scheduled_at = parse_moment(schedule.scheduled_at)
    rules = [ScheduleRepeatRule.model_validate(rule).rule() for rule in schedule.repeats]
    if first and not rules and scheduled_at is not None and scheduled_at <= after and not _ran(schedule):
        return _one_off_now(schedule, scheduled_at)
    return next_occurrence(
        rules,
        zone,
        after,
        anchor=scheduled_at or datetime.fromisoformat(schedule.inserted_at),
        scheduled_at=scheduled_at,
        ending_at=parse_moment(schedule.ending_at),
    )


def _one_off_now(schedule: StoredSchedule, scheduled_at: datetime) -> datetime | None:
    ending_at = parse_moment(schedule.ending_at)
    return None if ending_at is not None and scheduled_at > ending_at else scheduled_at


def _ran(schedule: StoredSchedule) -> bool:
    return schedule.last_occurrence_at is not None and schedule.last_occurrence_at == schedule.scheduled_at
