"""pydantic models of what the objects routes answer: the object (properties nested) and its pages.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any, Literal

from pydantic import Field

from recipients.identity.models import PageInfo, page_json
from recipients.kernel import jsontext
from recipients.kernel.models import Model


class RecipientObject(Model):
    """An object as returned by the API: name and custom properties nested under `properties`."""

    typename: Literal["Object"] = Field("Object", alias="__typename")
    id: str
    collection: str
    created_at: str | None = Field(None, description="Caller-supplied ISO-8601 date-time, or null")
    updated_at: str = Field(description="Set by the service on every write")
    properties: dict[str, Any] = Field(default_factory=dict, description="name, locale, timezone and custom keys")
    preferences: dict[str, Any] | None = Field(None, description="Preference sets by id, with include[]=preferences")

    def to_wire(self) -> dict[str, Any]:
        wire = {
            "__typename": "Object",
            "id": self.id,
            "collection": self.collection,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "properties": self.properties,
        }
        if self.preferences is not None:
            wire["preferences"] = self.preferences
        return wire

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


class ObjectPage(Model):
    entries: list[RecipientObject]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([entry.to_wire() for entry in self.entries], self.page_info)
