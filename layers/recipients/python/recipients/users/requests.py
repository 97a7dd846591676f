"""pydantic models of the bodies the users routes take: identify (alone, in bulk or inline) and merge.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field

from recipients.identity.models import RESERVED_PROPERTIES, RecipientId, RecipientWrite
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


class MergeUserRequest(Model):
    """Body of `POST /v1/users/{user_id}/merge`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    from_user_id: RecipientId = Field(description="The user merged in, then deleted")


class InlineIdentifyUserRequest(IdentifyUserRequest):
    """One user in a bulk identify (or inline in a trigger): like identify, with the id in the body."""

    id: RecipientId = Field(description="The user's id")
