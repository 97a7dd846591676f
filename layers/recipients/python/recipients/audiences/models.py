"""pydantic models of audiences: the add and remove bodies, and a member as answered.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from recipients.identity.models import PageInfo, RecipientId, page_json
from recipients.kernel.models import Model
from recipients.kernel.rules import check_id, decode_path_segment
from recipients.users.models import User
from recipients.users.requests import InlineIdentifyUserRequest

AudienceKeyPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_id)]
"""An audience key from a URL path segment: percent-decoded once, then held to the id rules."""

MAX_MEMBERS = 1000


class AudienceMemberRequest(Model):
    """One member to add: a user (inline: properties beyond `id` are upserted) and a tenant or none."""

    model_config = ConfigDict(extra="forbid", strict=True)

    user: InlineIdentifyUserRequest = Field(description="At least the user's id; any other property upserts the user")
    tenant: RecipientId | None = Field(None, description="The tenant the user is a member for; none by default")


class AddAudienceMembersRequest(Model):
    """Body of `POST /v1/audiences/{key}/members`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"members": [{"user": {"id": "dr_sattler", "email": "ellie@ingen.net"}, "tenant": "ingen"}]}
        },
    )

    members: list[AudienceMemberRequest] = Field(min_length=1, max_length=MAX_MEMBERS, description="1 to 1,000")


class MemberUserReference(Model):
    """The user of a member to remove, by id: anything else sent with it is ignored (removal identifies no one)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: RecipientId = Field(description="The user's id")


class AudienceMemberReference(Model):
    model_config = ConfigDict(extra="forbid", strict=True)

    user: MemberUserReference
    tenant: RecipientId | None = Field(None, description="The tenant it was added with: each tenant is a member")


class RemoveAudienceMembersRequest(Model):
    """Body of `DELETE /v1/audiences/{key}/members`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"members": [{"user": {"id": "dr_sattler"}, "tenant": "ingen"}]}}
    )

    members: list[AudienceMemberReference] = Field(min_length=1, max_length=MAX_MEMBERS, description="1 to 1,000")


class AudienceMember(Model):
    """A member as answered: the user (null when no such user exists) and the tenant."""

    typename: Literal["AudienceMember"] = Field("AudienceMember", alias="__typename")
    added_at: str = Field(description="When this user (with this tenant) was last added")
    user_id: str
    user: User | None = Field(description="The user, or null for a user never identified (or deleted)")
    tenant: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "__typename": "AudienceMember",
            "added_at": self.added_at,
            "user_id": self.user_id,
            "user": None if self.user is None else self.user.to_wire(),
            "tenant": self.tenant,
        }


class AudienceMemberPage(Model):
    entries: list[AudienceMember]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([entry.to_wire() for entry in self.entries], self.page_info)
