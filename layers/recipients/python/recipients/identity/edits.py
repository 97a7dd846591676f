"""Edits of a stored JSON object that a write cannot make blind: deep merges, and replacing one key deep inside.

Preference sets are deep-merged (contract §2): nested objects are merged key by key, anything else
(a leaf, a list, or a value of another type) is replaced by the incoming value. Applying such an
edit needs the stored value, so a plan with edits reads the attributes it edits and writes them
back on the condition that they did not change meanwhile (identity/store.py).

An edit is plain JSON, so that bulk rows carry it through the queue:
`{"at": [key, ...], "merge": {...}}` deep-merges at that path, `{"at": [...], "set": value}` replaces it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from recipients.kernel import jsontext

Edit = dict[str, Any]


def merge_edit(value: dict[str, Any], at: Sequence[str] = ()) -> Edit:
    return {"at": list(at), "merge": value}


def set_edit(value: Any, at: Sequence[str]) -> Edit:
    return {"at": list(at), "set": value}


def deep_merge(stored: Any, incoming: dict[str, Any]) -> dict[str, Any]:
    """`incoming` merged into `stored` (a copy): objects key by key, everything else replaced."""
    merged = dict(stored) if isinstance(stored, dict) else {}
    for key, value in incoming.items():
        current = merged.get(key)
        merged[key] = deep_merge(current, value) if isinstance(value, dict) and isinstance(current, dict) else value
    return merged


def apply_edits(stored: Any, edits: Sequence[Edit]) -> dict[str, Any]:
    """The object `stored` becomes after the edits, in order (a missing or non-object value starts empty)."""
    result: dict[str, Any] = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    for edit in edits:
        *parents, last = edit["at"] or [None]
        if last is None:  # at the top: the whole object
            result = deep_merge(result, edit["merge"]) if "merge" in edit else dict(edit["set"])
            continue
        node = result
        for key in parents:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[last] = deep_merge(node.get(last), edit["merge"]) if "merge" in edit else edit["set"]
    return result


def edited_text(stored_text: str | None, edits: Sequence[Edit]) -> str:
    """The JSON text of a stored attribute after the edits."""
    return jsontext.dumps(apply_edits(jsontext.loads(stored_text) if stored_text is not None else None, edits))
