"""Preference sets as stored on a recipient's item (`pref:<set id>`, JSON text) and as answered.

No pydantic here: listing users or objects with `include[]=preferences` reads sets this way without
loading the grammar.
"""

from __future__ import annotations

from typing import Any

from recipients.identity.merge import PREFERENCES_PREFIX, stored_values

PREFERENCE_KEYS = ("categories", "channel_types", "channels", "workflows", "commercial_subscribed")
DEFAULT_SET = "default"


def preference_set_wire(set_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The wire form of a stored set: `__typename`, `id` and every key (null where unset)."""
    return {"__typename": "PreferenceSet", "id": set_id, **{key: stored.get(key) for key in PREFERENCE_KEYS}}


def stored_sets(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The preference sets of a recipient's item, by id: `default` first, then by id."""
    found = stored_values(item, PREFERENCES_PREFIX)
    return {set_id: found[set_id] for set_id in sorted(found, key=lambda set_id: (set_id != DEFAULT_SET, set_id))}


def side_loaded(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What `include[]=preferences` adds to a listed recipient: `{set id: PreferenceSet}`."""
    return {set_id: preference_set_wire(set_id, body) for set_id, body in stored_sets(item).items()}
