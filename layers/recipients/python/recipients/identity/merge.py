"""The shallow-merge rule, as an update plan: which stored attributes a write sets, and which it edits.

Each key sent replaces that key's whole value; keys not sent are untouched; nested objects are
not deep-merged; null is stored as null. Preference sets are the exception: they are deep-merged
into the stored set (identity/edits.py). identity/store.py writes a plan without edits as one
UpdateItem. What an identify body plans is identity/identify.py's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from recipients.identity.edits import Edit, apply_edits
from recipients.kernel import jsontext
from recipients.kernel.table import MAX_SET_ATTRIBUTES

PROPERTY_PREFIX = "prop:"
CHANNEL_DATA_PREFIX = "chan:"
PREFERENCES_PREFIX = "pref:"
MERGED_PREFIXES = (PROPERTY_PREFIX, CHANNEL_DATA_PREFIX, PREFERENCES_PREFIX)
TENANT_SETTINGS_PREFIX = "tset:"
TENANT_PREFERENCE_SET = TENANT_SETTINGS_PREFIX + "preference_set"
"""A tenant's default preference set (`settings.preference_set`), on the item of the object `$tenants/<id>`:
the tenants feature writes it, the preferences feature resolves a recipient's sets over it."""
MAX_KEYS_PER_WRITE = MAX_SET_ATTRIBUTES
"""Properties, channels and preference sets one identify may set: what one UpdateItem takes."""
MAX_KEY_BYTES = 64 * 1024 - len(PROPERTY_PREFIX)
"""DynamoDB's cap on an attribute name (64 KB), less the prefix a key is stored under."""


class UpdatePlan(NamedTuple):
    """Attribute name -> JSON text to SET, and attribute name -> edits of its stored JSON object.
    Nothing else on the item is touched."""

    attributes: dict[str, str]
    edits: dict[str, list[Edit]]

    def then(self, later: UpdatePlan) -> UpdatePlan:
        """One plan that writes what this plan and then `later` would (bulk rows of one id, coalesced)."""
        attributes, edits = dict(self.attributes), {name: list(more) for name, more in self.edits.items()}
        for name, text in later.attributes.items():
            attributes[name] = text
            edits.pop(name, None)
        for name, more in later.edits.items():
            if name in attributes:  # edits of a value this plan sets: the result is known, set it
                attributes[name] = jsontext.dumps(apply_edits(jsontext.loads(attributes[name]), more))
            else:
                edits.setdefault(name, []).extend(more)
        return UpdatePlan(attributes, edits)


def sets(attributes: dict[str, str]) -> UpdatePlan:
    return UpdatePlan(attributes, {})


def stored_values(item: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The values an item holds under `prefix` (PROPERTY_PREFIX, ...), by their names without it."""
    return {name[len(prefix) :]: jsontext.loads(value["S"]) for name, value in item.items() if name.startswith(prefix)}
