"""pydantic models of `POST /v1/schedules/bulk/create`: the body, and one entry, checked on its own.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from recipients.identity.models import StringOrObject, Tenant
from recipients.kernel.models import Model
from recipients.kernel.rules import MAX_BULK_ROWS
from recipients.schedules.requests import ScheduleTiming, WorkflowKey


class BulkScheduleEntry(ScheduleTiming):
    """One entry of `POST /v1/schedules/bulk/create`: a schedule for one recipient."""

    workflow: WorkflowKey
    recipient: Any = Field(description="A user id, an inline user or an object")
    actor: StringOrObject = None
    tenant: Tenant = None

    @model_validator(mode="after")
    def _has_recipient(self) -> "BulkScheduleEntry":
        if self.recipient is None:
            raise ValueError("recipient is required")
        return self


class BulkCreateSchedulesRequest(Model):
    """Body of `POST /v1/schedules/bulk/create`. Each entry is checked on its own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "schedules": [{"workflow": "daily-digest", "recipient": "ada", "repeats": [{"frequency": "daily"}]}]
            }
        },
    )

    schedules: list[Any] = Field(
        min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 schedules, one recipient each"
    )
