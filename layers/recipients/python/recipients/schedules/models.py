"""pydantic models of schedules as answered: with the recipient (and actor) in full.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any, Literal

from pydantic import Field

from recipients.identity.models import PageInfo, page_json
from recipients.kernel import jsontext
from recipients.kernel.models import Model
from recipients.objects.models import RecipientObject
from recipients.schedules.requests import ScheduleRepeatRule
from recipients.users.models import User


class Schedule(Model):
    """A schedule of a workflow for one recipient, with the recipient (and actor) in full."""

    typename: Literal["Schedule"] = Field("Schedule", alias="__typename")
    id: str
    workflow: str
    recipient: User | RecipientObject
    actor: User | RecipientObject | None = None
    tenant: str | None = None
    data: dict[str, Any] | None = None
    repeats: list[ScheduleRepeatRule]
    scheduled_at: str | None = None
    ending_at: str | None = None
    last_occurrence_at: str | None = None
    next_occurrence_at: str | None = None
    inserted_at: str
    updated_at: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "__typename": "Schedule",
            "id": self.id,
            "workflow": self.workflow,
            "recipient": self.recipient.to_wire(),
            "actor": self.actor.to_wire() if self.actor is not None else None,
            "tenant": self.tenant,
            "data": self.data,
            "repeats": [rule.to_wire() for rule in self.repeats],
            "scheduled_at": self.scheduled_at,
            "ending_at": self.ending_at,
            "last_occurrence_at": self.last_occurrence_at,
            "next_occurrence_at": self.next_occurrence_at,
            "inserted_at": self.inserted_at,
            "updated_at": self.updated_at,
        }


class SchedulePage(Model):
    entries: list[Schedule]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([entry.to_wire() for entry in self.entries], self.page_info)


def schedules_json(schedules: list[Schedule]) -> str:
    return jsontext.dumps([schedule.to_wire() for schedule in schedules])
