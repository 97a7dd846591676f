"""What an identify body (of a user or an object, alone, in bulk or inline) writes: its update plan.

Reserved and custom properties are set; each channel named in `channel_data` is replaced whole,
after the checks of its kind (channels/rules.py); each inline preference set is checked against
the grammar (preferences/rules.py) and deep-merged, unless it says replace.
"""

from __future__ import annotations

from typing import Any

from recipients.identity.edits import Edit, merge_edit
from recipients.identity.merge import (
    CHANNEL_DATA_PREFIX,
    MAX_KEY_BYTES,
    MAX_KEYS_PER_WRITE,
    PREFERENCES_PREFIX,
    PROPERTY_PREFIX,
    UpdatePlan,
)
from recipients.identity.models import RecipientWrite
from recipients.kernel import jsontext
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.rules import MAX_NESTING_DEPTH, MAX_PROPERTIES_BYTES, encodes, nesting_depth
from recipients.kernel.table import MAX_ITEM_BYTES


def plan_identify(request: RecipientWrite) -> UpdatePlan:
    custom = _serialize_custom_properties(request.custom_properties())
    attributes = {PROPERTY_PREFIX + key: jsontext.dumps(value) for key, value in request.reserved_sent().items()}
    attributes.update({PROPERTY_PREFIX + key: text for key, text in custom.items()})
    edits: dict[str, list[Edit]] = {}
    # The rules of channel data and preferences are imported by the first body that holds them: a
    # function's cold start then builds none of their models when its bodies hold none.
    if request.channel_data is not None:
        from recipients.channels.rules import check_inline_channel_data

        for channel_id, data in check_inline_channel_data(request.channel_data).items():
            attributes[CHANNEL_DATA_PREFIX + channel_id] = jsontext.dumps(data)
    if request.preferences is not None:
        from recipients.preferences.rules import check_inline_preferences

        for set_id, checked in check_inline_preferences(request.preferences).items():
            if checked.merge:
                edits[PREFERENCES_PREFIX + set_id] = [merge_edit(checked.body)]
            else:
                attributes[PREFERENCES_PREFIX + set_id] = jsontext.dumps(checked.body)
    if len(attributes) + len(edits) > MAX_KEYS_PER_WRITE:
        raise RecipientsError.invalid_field(
            "properties",
            f"{len(attributes) + len(edits)} keys in one request; send at most {MAX_KEYS_PER_WRITE} "
            "and split larger updates",
        )
    size = sum(len(name.encode()) + len(text.encode()) for name, text in attributes.items())
    size += sum(len(name.encode()) + len(jsontext.dumps(more).encode()) for name, more in edits.items())
    if size > MAX_ITEM_BYTES:  # refused here rather than by DynamoDB: bad input sends no request
        raise RecipientsError.invalid(
            [FieldError("properties", f"the keys sent take {size:,} bytes; a recipient holds at most 400 KB")],
            code="properties_too_large",
        )
    return UpdatePlan(attributes, edits)


def _serialize_custom_properties(values: dict[str, Any]) -> dict[str, str]:
    """Check names, depth and total size (256 KiB), then return each property's JSON text."""
    errors = []
    for key, value in values.items():
        if not encodes(key):
            errors.append(FieldError("properties", "a property name contains an unpaired surrogate"))
        elif len(key.encode()) > MAX_KEY_BYTES:
            errors.append(FieldError("properties", KEY_TOO_LONG))
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


KEY_TOO_LONG = f"a key is longer than {MAX_KEY_BYTES:,} bytes"
