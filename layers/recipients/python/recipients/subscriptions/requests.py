"""pydantic models of one entry of the bulk subscription bodies, each checked on its own (subscriptions/bulk.py).

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any

from pydantic import ConfigDict, Field

from recipients.identity.models import RecipientId
from recipients.kernel.models import Model
from recipients.kernel.rules import MAX_BULK_ROWS

MAX_RECIPIENTS = 100
"""Recipients one add or delete names, alone or in a bulk entry."""


class BulkAddSubscriptionEntry(Model):
    """An entry of `POST /v1/objects/{collection}/bulk/subscriptions/add`: one object and its new subscribers."""

    model_config = ConfigDict(extra="forbid")

    id: RecipientId
    recipients: list[Any] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    properties: dict[str, Any] | None = None


class BulkDeleteSubscriptionEntry(Model):
    """An entry of `POST /v1/objects/{collection}/bulk/subscriptions/delete`: one object, the subscribers to remove."""

    model_config = ConfigDict(extra="forbid")

    id: RecipientId
    recipients: list[Any] = Field(min_length=1, max_length=MAX_RECIPIENTS)


class BulkAddSubscriptionsRequest(Model):
    """Body of `POST /v1/objects/{collection}/bulk/subscriptions/add`. Each entry is checked on its own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"subscriptions": [{"id": "proj_1", "recipients": ["ada"], "properties": {}}]}},
    )

    subscriptions: list[Any] = Field(
        min_length=1,
        max_length=MAX_BULK_ROWS,
        description="1 to 1,000 entries {id, recipients (1 to 100), properties}: the object and its new subscribers",
    )


class BulkDeleteSubscriptionsRequest(Model):
    """Body of `POST /v1/objects/{collection}/bulk/subscriptions/delete`. Each entry is checked on its own."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"subscriptions": [{"id": "proj_1", "recipients": ["ada"]}]}}
    )

    subscriptions: list[Any] = Field(
        min_length=1,
        max_length=MAX_BULK_ROWS,
        description="1 to 1,000 entries {id, recipients (1 to 100)}: the object and the subscribers to remove",
    )
