"""pydantic models of the schedules' bodies: create, update and delete, and the rules they share with bulk.

The bulk body is in schedules/bulk_requests.py, built only by the function that takes it.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from recipients.identity.models import StringOrObject, Tenant
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.kernel.models import Model
from recipients.kernel.rules import check_workflow_key
from recipients.schedules.recurrence import WEEKDAYS, Rule

MAX_SCHEDULE_RECIPIENTS = 100
MAX_SCHEDULE_IDS = 100
MAX_REPEAT_RULES = 10
_SHORTHANDS = {"weekdays": list(WEEKDAYS[:5]), "weekends": list(WEEKDAYS[5:])}


def _days(value: Any) -> Any:
    """`weekdays` and `weekends` as the days they stand for (Knock's docs allow both on input)."""
    if isinstance(value, str) and value in _SHORTHANDS:
        return _SHORTHANDS[value]
    return value


def _utc(value: datetime) -> datetime:
    """A time without an offset is taken as UTC, as the SDKs send datetimes the caller made naive."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ScheduleRepeatRule(Model):
    """One repeat rule: hours and minutes are the recipient's local time."""

    model_config = ConfigDict(extra="forbid", strict=True)

    typename: str | None = Field(None, alias="__typename", description="Sent back by clients; ignored")
    frequency: Literal["daily", "weekly", "monthly", "hourly"]
    interval: int = Field(1, ge=1, le=1000, description="Every `interval` hours, days, weeks or months")
    days: Annotated[list[Weekday] | None, BeforeValidator(_days)] = Field(
        None, min_length=1, description="Days of the week, or the shorthand `weekdays` or `weekends`"
    )
    day_of_month: int | None = Field(None, ge=1, le=31, description="Monthly: the day (a shorter month's last day)")
    hours: int | None = Field(None, ge=0, le=23, description="Local hour, 0 by default")
    minutes: int | None = Field(None, ge=0, le=59, description="Local minute, 0 by default")

    def rule(self) -> Rule:
        days = tuple(sorted({WEEKDAYS.index(day) for day in self.days})) if self.days is not None else None
        return Rule(self.frequency, self.interval, days, self.day_of_month, self.hours, self.minutes)

    def to_wire(self) -> dict[str, Any]:
        return {
            "__typename": "ScheduleRepeat",
            "frequency": self.frequency,
            "interval": self.interval,
            "days": self.days,
            "day_of_month": self.day_of_month,
            "hours": self.hours,
            "minutes": self.minutes,
        }


WorkflowKey = Annotated[str, AfterValidator(check_workflow_key)]
Repeats = Annotated[list[ScheduleRepeatRule] | None, Field(max_length=MAX_REPEAT_RULES)]


class ScheduleTiming(Model):
    """What every schedule body shares: when it runs, and what each run carries."""

    model_config = ConfigDict(extra="forbid")

    repeats: Repeats = Field(None, description="Repeat rules; none (or []) for a one-off at `scheduled_at`")
    scheduled_at: Moment | None = Field(None, description="The first moment, or the only one without repeats")
    ending_at: Moment | None = Field(None, description="No occurrence after this moment")
    data: dict[str, Any] | None = Field(None, description="Passed to every run")


MAX_DATA_BYTES = 64 * 1024
"""A schedule's `data` as JSON: it is kept on the schedule's item and travels in every run's event."""


def check_timing(request: ScheduleTiming) -> None:
    """The rules a body's timing is held to beyond its fields' own (errors name the body's field)."""
    if not request.repeats and request.scheduled_at is None:
        raise RecipientsError.invalid_field("repeats", "or scheduled_at is required: a schedule needs one")
    checked_data(request.data)


def checked_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is not None:
        size = len(jsontext.dumps(data).encode())
        if size > MAX_DATA_BYTES:
            raise RecipientsError.invalid_field("data", f"is {size:,} bytes of JSON; a schedule takes at most 64 KiB")
    return data


class CreateSchedulesRequest(ScheduleTiming):
    """Body of `POST /v1/schedules`: one schedule per recipient, inline recipients identified first."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "workflow": "daily-digest",
                "recipients": ["ada", {"id": "bob", "timezone": "Europe/London"}],
                "repeats": [{"frequency": "daily", "hours": 9}],
            }
        },
    )

    workflow: WorkflowKey
    recipients: list[Any] = Field(min_length=1, max_length=MAX_SCHEDULE_RECIPIENTS, description="1 to 100")
    actor: StringOrObject = Field(None, description="A user id, an inline user or an object")
    tenant: Tenant = Field(None, description="A tenant id, or an inline tenant with an id")


ScheduleId = Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]


class UpdateSchedulesRequest(ScheduleTiming):
    """Body of `PUT /v1/schedules`: the same values for every schedule named; keys left out are kept."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"schedule_ids": ["123e4567-e89b-12d3-a456-426614174000"], "repeats": [{"frequency": "weekly"}]}
        },
    )

    schedule_ids: list[ScheduleId] = Field(min_length=1, max_length=MAX_SCHEDULE_IDS, description="1 to 100 ids")
    actor: StringOrObject = Field(None, description="A user id or an object reference (not identified)")
    tenant: Tenant = Field(None, description="A tenant id, or an inline tenant with an id")


class DeleteSchedulesRequest(Model):
    """Body of `DELETE /v1/schedules`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"schedule_ids": ["123e4567-e89b-12d3-a456-426614174000"]}}
    )

    schedule_ids: list[ScheduleId] = Field(min_length=1, max_length=MAX_SCHEDULE_IDS, description="1 to 100 ids")
