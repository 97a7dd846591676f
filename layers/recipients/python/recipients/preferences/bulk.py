"""POST /v1/users/bulk/preferences: one preference set, replacing that set of every user listed, through
the bulk pipeline (one row per user, counted exactly as bulk identify counts)."""

from __future__ import annotations

from typing import Any

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkOperation
from recipients.bulk.validation import validate_ids
from recipients.identity.merge import PREFERENCES_PREFIX
from recipients.kernel import jsontext
from recipients.preferences.bulk_requests import BulkPreferenceSetRequest
from recipients.preferences.rules import checked_set
from recipients.preferences.sets import DEFAULT_SET


def bulk_set_preferences(user_ids: list[Any], preferences: BulkPreferenceSetRequest, base_url: str) -> BulkOperation:
    stored = checked_set(preferences).body
    set_id = stored.pop("id", DEFAULT_SET)
    valid, rejected = validate_ids(user_ids)
    attributes = {PREFERENCES_PREFIX + set_id: jsontext.dumps(stored)}
    rows = [row.model_copy(update={"attributes": attributes}) for row in valid]
    return start_bulk_operation("users.bulk_set_preferences", "identify", len(user_ids), rows, rejected, base_url)
