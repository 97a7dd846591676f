"""pydantic models of subscriptions: the add and delete bodies, and the subscription as answered.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from recipients.identity.models import PageInfo, page_json
from recipients.kernel import jsontext
from recipients.kernel.models import Model
from recipients.objects.models import RecipientObject
from recipients.subscriptions.requests import MAX_RECIPIENTS
from recipients.users.models import User


class AddSubscriptionsRequest(Model):
    """Body of `POST /v1/objects/{collection}/{object_id}/subscriptions`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"recipients": ["ada", {"id": "bob"}], "properties": {}}}
    )

    recipients: list[Any] = Field(
        min_length=1,
        max_length=MAX_RECIPIENTS,
        description="1 to 100 user ids, inline users, object references or inline objects (identified first)",
    )
    properties: dict[str, Any] | None = Field(None, description="Kept with each subscription, replaced on update")


class DeleteSubscriptionsRequest(Model):
    """Body of `DELETE /v1/objects/{collection}/{object_id}/subscriptions`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"recipients": ["ada"]}})

    recipients: list[Any] = Field(
        min_length=1, max_length=MAX_RECIPIENTS, description="1 to 100 user ids or object references"
    )


class Subscription(Model):
    """A recipient's subscription to an object, with both in full."""

    typename: Literal["Subscription"] = Field("Subscription", alias="__typename")
    object: RecipientObject
    recipient: User | RecipientObject
    properties: dict[str, Any] | None = None
    inserted_at: str
    updated_at: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "__typename": "Subscription",
            "object": self.object.to_wire(),
            "recipient": self.recipient.to_wire(),
            "properties": self.properties,
            "inserted_at": self.inserted_at,
            "updated_at": self.updated_at,
        }

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


class SubscriptionPage(Model):
    entries: list[Subscription]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([entry.to_wire() for entry in self.entries], self.page_info)


def subscriptions_json(subscriptions: list[Subscription]) -> str:
    return jsontext.dumps([subscription.to_wire() for subscription in subscriptions])
