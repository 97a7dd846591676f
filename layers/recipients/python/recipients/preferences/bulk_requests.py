"""pydantic models of `POST /v1/users/bulk/preferences`: one preference set for many users.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any

from pydantic import ConfigDict, Field

from recipients.identity.models import RecipientId
from recipients.kernel.rules import MAX_BULK_ROWS
from recipients.preferences.models import Grammar, PreferenceSetBody


class BulkPreferenceSetRequest(PreferenceSetBody):
    id: RecipientId = Field("default", description="`default` or a tenant id")


class BulkSetPreferencesRequest(Grammar):
    """Body of `POST /v1/users/bulk/preferences`: one set for 1 to 1,000 users, always replaced."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"user_ids": ["user_1"], "preferences": {"channel_types": {"sms": False}}}}
    )

    user_ids: list[Any] = Field(min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 user ids")
    preferences: BulkPreferenceSetRequest
