"""pydantic models of what the users routes answer: the user and its pages.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from recipients.identity.models import (
    RESERVED_PROPERTIES,
    PageInfo,
    page_json,
)
from recipients.kernel import jsontext
from recipients.kernel.models import Model


class User(Model):
    """A user as returned by the API: reserved fields, then custom properties at the top level."""

    model_config = ConfigDict(extra="allow")

    typename: Literal["User"] = Field("User", alias="__typename")
    id: str
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    phone_number: str | None = None
    timezone: str | None = None
    locale: str | None = None
    created_at: str | None = Field(None, description="Caller-supplied ISO-8601 date-time, or null")
    updated_at: str = Field(description="Set by the service on every write")

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"__typename": "User", "id": self.id}
        wire.update({key: getattr(self, key) for key in RESERVED_PROPERTIES})
        wire["updated_at"] = self.updated_at
        wire.update(self.model_extra or {})
        return wire

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


class UserPage(Model):
    entries: list[User]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([user.to_wire() for user in self.entries], self.page_info)
