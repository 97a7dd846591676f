"""The shallow-merge rule, as an update plan: which stored attributes one identify sets.

Each key sent replaces that key's whole value; keys not sent are untouched; nested objects are
not deep-merged; null is stored as null. identity/store.py writes the plan as one UpdateItem.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from recipients.identity.models import RecipientWrite
from recipients.kernel import jsontext
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.rules import MAX_NESTING_DEPTH, MAX_PROPERTIES_BYTES, encodes, nesting_depth
from recipients.kernel.table import MAX_ITEM_BYTES, MAX_SET_ATTRIBUTES

PROPERTY_PREFIX = "prop:"
CHANNEL_DATA_PREFIX = "chan:"
PREFERENCES_PREFIX = "pref:"
MERGED_PREFIXES = (PROPERTY_PREFIX, CHANNEL_DATA_PREFIX, PREFERENCES_PREFIX)
MAX_KEYS_PER_WRITE = MAX_SET_ATTRIBUTES
"""Properties, channels and preference sets one identify may set: what one UpdateItem takes."""
MAX_KEY_BYTES = 64 * 1024 - len(PROPERTY_PREFIX)
"""DynamoDB's cap on an attribute name (64 KB), less the prefix a key is stored under."""


class UpdatePlan(NamedTuple):
    """Attribute name -> JSON text to SET. Nothing else on the item is touched."""

    attributes: dict[str, str]


def plan_identify(request: RecipientWrite) -> UpdatePlan:
    custom = _serialize_custom_properties(request.custom_properties())
    attributes = {PROPERTY_PREFIX + key: jsontext.dumps(value) for key, value in request.reserved_sent().items()}
    attributes.update({PROPERTY_PREFIX + key: text for key, text in custom.items()})
    for field_name, prefix, group in (
        ("channel_data", CHANNEL_DATA_PREFIX, request.channel_data),
        ("preferences", PREFERENCES_PREFIX, request.preferences),
    ):
        for key, value in (group or {}).items():
            if not encodes(key):
                raise RecipientsError.invalid_field(field_name, "a key contains an unpaired surrogate")
            if len(key.encode()) > MAX_KEY_BYTES:
                raise RecipientsError.invalid_field(field_name, _KEY_TOO_LONG)
            if nesting_depth(value) > MAX_NESTING_DEPTH:
                raise RecipientsError.invalid_field(field_name, f"is nested more than {MAX_NESTING_DEPTH} levels deep")
            attributes[prefix + key] = jsontext.dumps(value)
    if len(attributes) > MAX_KEYS_PER_WRITE:
        raise RecipientsError.invalid_field(
            "properties",
            f"{len(attributes)} keys in one request; send at most {MAX_KEYS_PER_WRITE} and split larger updates",
        )
    size = sum(len(name.encode()) + len(text.encode()) for name, text in attributes.items())
    if size > MAX_ITEM_BYTES:  # refused here rather than by DynamoDB: bad input sends no request
        raise RecipientsError.invalid(
            [FieldError("properties", f"the keys sent take {size:,} bytes; a recipient holds at most 400 KB")],
            code="properties_too_large",
        )
    return UpdatePlan(attributes)


def _serialize_custom_properties(values: dict[str, Any]) -> dict[str, str]:
    """Check names, depth and total size (256 KiB), then return each property's JSON text."""
    errors = []
    for key, value in values.items():
        if not encodes(key):
            errors.append(FieldError("properties", "a property name contains an unpaired surrogate"))
        elif len(key.encode()) > MAX_KEY_BYTES:
            errors.append(FieldError("properties", _KEY_TOO_LONG))
        elif nesting_depth(value) > MAX_NESTING_DEPTH:
            errors.append(FieldError(key, f"is nested more than {MAX_NESTING_DEPTH} levels deep"))
    if errors:
        raise RecipientsError.invalid(errors)
    texts = {key: jsontext.dumps(value) for key, value in values.items()}
    # The size of the properties as one JSON object: {"key":value,...}
    size = 2 + sum(len(jsontext.dumps(key).encode()) + 1 + len(text.encode()) for key, text in texts.items())
    size += max(len(texts) - 1, 0)
    if size > MAX_PROPERTIES_BYTES:
        raise RecipientsError.invalid(
            [FieldError("properties", f"custom properties are {size:,} bytes of JSON; the limit is 256 KiB")],
            code="properties_too_large",
        )
    return texts


_KEY_TOO_LONG = f"a key is longer than {MAX_KEY_BYTES:,} bytes"
