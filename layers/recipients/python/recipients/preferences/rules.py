"""Checking preference sets against their grammar (models.py), and the set ids they are stored under."""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import ValidationError

from recipients.kernel.errors import RecipientsError, checked_entries, field_errors
from recipients.kernel.rules import MAX_NESTING_DEPTH, check_id, nesting_depth, shortened
from recipients.preferences.models import PERSISTENCE_KEY, PreferenceSetBody, PreferenceSetRequest


class CheckedSet(NamedTuple):
    """A set as it is stored (the keys sent, nulls kept) and whether it replaces or merges."""

    body: dict[str, Any]
    merge: bool


def check_set_id(value: str, field: str = "id") -> str:
    try:
        return check_id(value)
    except ValueError as exc:
        message = f"{shortened(value)} is not a preference set id ({exc}): use default or a tenant id"
        raise RecipientsError.invalid_field(field, message) from None


def check_preference_set(body: Any, field: str = "", *, merge_by_default: bool = False) -> CheckedSet:
    """`body` checked against the grammar; errors are named from `field` (`preferences.default.channel_types.sms`)."""
    if not isinstance(body, dict):
        raise RecipientsError.invalid_field(field or "body", "must be a preference set object")
    if nesting_depth(body) > MAX_NESTING_DEPTH:
        raise RecipientsError.invalid_field(field or "body", f"is nested more than {MAX_NESTING_DEPTH} levels deep")
    try:
        request = PreferenceSetRequest.model_validate(body)
    except ValidationError as exc:
        raise RecipientsError.invalid(field_errors(exc.errors(), field, whole="body")) from None
    return checked_set(request, merge_by_default=merge_by_default)


def checked_set(request: PreferenceSetBody, *, merge_by_default: bool = False) -> CheckedSet:
    """A validated set as stored: exactly the keys sent (nulls and `__strategy__` kept)."""
    stored = request.model_dump(by_alias=True, exclude_unset=True)
    strategy = stored.pop(PERSISTENCE_KEY, None)
    return CheckedSet(stored, strategy == "merge" or (strategy is None and merge_by_default))


def check_inline_preferences(sets: Any, field: str = "preferences") -> dict[str, CheckedSet]:
    """Inline `{set_id: set}` (identify, bulk, trigger recipients): each set deep-merged unless it says replace."""
    if not isinstance(sets, dict):
        raise RecipientsError.invalid_field(field, "must be an object of preference set id (like default) to set")

    def check(set_id: str, body: Any) -> CheckedSet:
        check_set_id(set_id, field)
        return check_preference_set(body, f"{field}.{set_id}", merge_by_default=True)

    return checked_entries(sets, check)
