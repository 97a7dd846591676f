"""pydantic models of the users routes: identify and merge bodies, the user, its pages.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field

from recipients.identity.models import (
    RESERVED_PROPERTIES,
    PageInfo,
    RecipientId,
    RecipientWrite,
    page_json,
)
from recipients.kernel import jsontext
from recipients.kernel.models import Model
from recipients.kernel.rules import check_avatar, check_email, check_phone_number


class IdentifyUserRequest(RecipientWrite):
    """Body of `PUT /v1/users/{user_id}`: reserved properties, channel data, preferences, custom keys."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"name": "Ada Lovelace", "email": "ada@example.com", "plan": "pro"}},
    )
    reserved: ClassVar[tuple[str, ...]] = RESERVED_PROPERTIES

    id: RecipientId | None = Field(None, description="Optional; must equal the id in the path")
    email: Annotated[str, AfterValidator(check_email)] | None = None
    avatar: Annotated[str, AfterValidator(check_avatar)] | None = None
    phone_number: Annotated[str, AfterValidator(check_phone_number)] | None = None


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


class MergeUserRequest(Model):
    """Body of `POST /v1/users/{user_id}/merge`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    from_user_id: RecipientId = Field(description="The user merged in, then deleted")


class InlineIdentifyUserRequest(IdentifyUserRequest):
    """One user in a bulk identify (or inline in a trigger): like identify, with the id in the body."""

    id: RecipientId = Field(description="The user's id")
