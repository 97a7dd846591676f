"""What every recipient, user or object, shares on the wire: ids, the write body, pages, references.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator

from recipients.kernel import jsontext
from recipients.kernel.keys import recipient_pk, split_recipient_pk
from recipients.kernel.models import Model
from recipients.kernel.rules import (
    check_collection,
    check_id,
    check_locale,
    check_timezone,
    decode_path_segment,
    normalize_created_at,
)

RecipientId = Annotated[str, AfterValidator(check_id)]
"""An id from a JSON body: validated as sent."""


RecipientIdPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_id)]
"""An id from a URL path segment: percent-decoded once, then validated."""

ObjectCollectionPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_collection)]
"""An object collection from a URL path segment: decoded once, then the id rules, and not one the system reserves."""


def _string_or_object(value: Any) -> Any:
    """One error naming the field when a value is neither form (pydantic would report one per form)."""
    if value is not None and not isinstance(value, str | dict):
        raise ValueError("must be a string (an id) or an object")
    return value


StringOrObject = Annotated[str | dict[str, Any] | None, BeforeValidator(_string_or_object)]
"""A recipient by id, or inline (a user, or an object with its collection)."""


def _tenant_has_id(value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    if isinstance(value, dict) and not (isinstance(value.get("id"), str) and value["id"].strip()):
        raise ValueError("an inline tenant needs an id (a non-blank string)")
    return value


Tenant = Annotated[StringOrObject, AfterValidator(_tenant_has_id)]
"""A tenant as a trigger or a schedule takes it: its id, or an inline tenant with an id."""


RESERVED_PROPERTIES = ("name", "email", "avatar", "phone_number", "timezone", "locale", "created_at")


READ_ONLY_FIELDS = ("__typename", "updated_at")
"""Sent back by clients that PUT what they GET; ignored rather than stored as custom properties."""


class RecipientWrite(Model):
    """What every identify body shares, for users and objects alike: reserved properties, channel
    data, preferences and custom keys, merged shallowly (see merge.py)."""

    model_config = ConfigDict(extra="allow", strict=True)
    reserved: ClassVar[tuple[str, ...]] = ("name", "timezone", "locale", "created_at")

    name: str | None = None
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = None
    locale: Annotated[str, AfterValidator(check_locale)] | None = None
    created_at: Annotated[str, AfterValidator(normalize_created_at)] | None = Field(
        None, description="ISO-8601 date-time, stored in UTC"
    )
    channel_data: dict[str, Any] | None = Field(
        None, description="Channel id (a UUID) -> that channel's data, replaced per channel; never echoed"
    )
    preferences: dict[str, Any] | None = Field(
        None, description="Preference set id (`default` or a tenant id) -> set, deep-merged; never echoed"
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(key in data for key in READ_ONLY_FIELDS):
            return {key: value for key, value in data.items() if key not in READ_ONLY_FIELDS}
        return data

    def reserved_sent(self) -> dict[str, str | None]:
        """The reserved properties present in the body (an explicit null included)."""
        return {key: getattr(self, key) for key in self.reserved if key in self.model_fields_set}

    def custom_properties(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class PageInfo(Model):
    typename: Literal["PageInfo"] = Field("PageInfo", alias="__typename")
    after: str | None = None
    before: str | None = None
    page_size: int


def page_json(entries: list[dict[str, Any]], info: PageInfo) -> str:
    page_info = {"__typename": "PageInfo", "after": info.after, "before": info.before, "page_size": info.page_size}
    return jsontext.dumps({"entries": entries, "page_info": page_info})


class RecipientRef(Model):
    """A user (no collection) or an object, by key."""

    model_config = ConfigDict(frozen=True)

    id: str
    collection: str | None = None

    def to_wire(self) -> dict[str, str]:
        return {"id": self.id} if self.collection is None else {"id": self.id, "collection": self.collection}

    def key(self) -> str:
        """The recipient's item key (kernel/keys.py), which also names it in other items' keys."""
        return recipient_pk(self.id, self.collection)

    @classmethod
    def from_key(cls, key: str) -> "RecipientRef":
        recipient_id, collection = split_recipient_pk(key)
        return cls(id=recipient_id, collection=collection)


def log_keys(recipient: RecipientRef) -> dict[str, str]:
    """How logs name a recipient: `user_id`, or `collection` and `object_id`."""
    if recipient.collection is None:
        return {"user_id": recipient.id}
    return {"collection": recipient.collection, "object_id": recipient.id}
