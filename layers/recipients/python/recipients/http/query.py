"""Lists of references in a query string, in the three forms clients send them (recipients-surface §0):

- `objects[]=a&objects[]=b` (scalars, as the SDKs send id lists);
- `objects[][collection]=c&objects[][id]=i&...`, mixed with scalars (`recipients[]=u1&recipients[][id]=...`):
  Stainless and the JS client send one element's keys, then the next's, but the Python SDK's httpx
  groups repeated keys (every element's `collection`, then every `id`). Either way the n-th value of a
  key belongs to the n-th element;
- `objects[0][collection]=c&objects[0][id]=i` (indexed, as the Elixir and old Node SDKs send them).

API Gateway joins repeated parameters with commas, which ids may hold, so the raw query string is read.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from recipients.kernel.errors import RecipientsError

MAX_ENTRIES = 100
_KEY = re.compile(r"(?P<name>[^\[\]]+)\[(?P<index>\d*)\](?:\[(?P<field>[^\[\]]+)\])?")


def reference_list(raw_query: str, name: str) -> list[Any]:
    """The entries of the list `name`: strings, or `{field: value}` objects; errors name `name`."""
    unindexed: list[Any] = []
    elements: list[dict[str, str]] = []
    taken: dict[str, int] = {}
    indexed: dict[int, Any] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        match = _KEY.fullmatch(key)
        if match is None or match["name"] != name:
            continue
        field, index = match["field"], match["index"]
        if index:
            _place(indexed, int(index), field, value, name)
        elif field is None:
            unindexed.append(value)
        else:
            position = taken.get(field, 0)
            taken[field] = position + 1
            if position == len(elements):
                elements.append({})
                unindexed.append(elements[-1])
            elements[position][field] = value
    entries = unindexed + [indexed[position] for position in sorted(indexed)]
    if len(entries) > MAX_ENTRIES:
        raise RecipientsError.invalid_field(name, f"takes at most {MAX_ENTRIES} entries")
    return entries


def _place(indexed: dict[int, Any], index: int, field: str | None, value: str, name: str) -> None:
    if index >= MAX_ENTRIES:
        raise RecipientsError.invalid_field(f"{name}.{index}", f"takes at most {MAX_ENTRIES} entries")
    if field is None:
        indexed[index] = value
        return
    entry = indexed.setdefault(index, {})
    if not isinstance(entry, dict):
        raise RecipientsError.invalid_field(f"{name}.{index}", "is given both as an id and as an object")
    entry[field] = value
