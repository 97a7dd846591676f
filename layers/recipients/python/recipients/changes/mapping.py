"""From a stream record (old and new images) to the change event it makes, if any.

- A user's, object's or tenant's own item (`user#…`, `obj#…`; a tenant is the object `$tenants/<id>`)
  holds its properties, channel data, preference sets and tenant settings. Inserted is
  `recipient.created`, removed `recipient.deleted`, changed `recipient.updated`; `changed` names the
  keys whose stored values differ: `timezone`, `channel_data.<channel>`, `preferences.<set id>`,
  `settings.<setting>`. Bookkeeping (keys, list positions, `updated_at`) is not a change, so a write
  that changes nothing else emits nothing.
- A subscription is two items (kernel/keys.py); only the subscriber's side (`subof#…`) emits, so one
  subscribe or unsubscribe is one event: `recipient.updated` for the subscriber, `changed:
  ["subscriptions"]`, with the `object` subscribed to. Re-subscribing with the same properties is no change.
- Every other item (runs, bulk operations, claims, audiences, checkpoints) makes no event.

The order key is the record's sequence number, zero-padded to a fixed width so that strings compare
as numbers: DynamoDB orders the records of one item, so the events of one recipient's own item (all
but subscriptions) and those of one subscription compare in the order they were committed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from recipients.kernel import jsontext
from recipients.kernel.keys import OBJECT_PREFIX, SUBSCRIBED_PREFIX, USER_PREFIX, split_recipient_pk

CREATED = "recipient.created"
UPDATED = "recipient.updated"
DELETED = "recipient.deleted"
ORDER_KEY_DIGITS = 40
"""DynamoDB's sequence numbers have up to 40 digits."""
BOOKKEEPING = frozenset({"pk", "id", "collection", "list_pk", "list_sk", "updated_at", "expires_at"})
KEY_NAMES = {"prop:": "", "chan:": "channel_data.", "pref:": "preferences.", "tset:": "settings."}
"""Stored attribute prefix -> the prefix of the key name an event carries."""
SUBSCRIPTION_VALUES = ("properties",)
"""What a subscription item holds besides its keys and times: a change of it is a change."""
SUBSCRIPTIONS = "subscriptions"

Reference = str | dict[str, str]


class Change(NamedTuple):
    detail_type: str
    detail: dict[str, Any]


def reference(key: str) -> Reference:
    """How events name a recipient: a user's id, or `{"collection", "id"}` of an object or tenant."""
    recipient_id, collection = split_recipient_pk(key)
    return recipient_id if collection is None else {"collection": collection, "id": recipient_id}


def order_key(sequence_number: str) -> str:
    return sequence_number.zfill(ORDER_KEY_DIGITS)


def change_of(record: dict[str, Any], *, with_values: bool = False) -> Change | None:
    """The change a Lambda DynamoDB stream record makes, or None when it is not one."""
    stream = record["dynamodb"]
    pk = stream["Keys"]["pk"]["S"]
    old, new = stream.get("OldImage") or {}, stream.get("NewImage") or {}
    if pk.startswith((USER_PREFIX, OBJECT_PREFIX)):
        return _recipient_change(pk, record["eventName"], old, new, stream["SequenceNumber"], with_values)
    if pk.startswith(SUBSCRIBED_PREFIX):
        return _subscription_change(old, new, stream["SequenceNumber"], with_values)
    return None


def _recipient_change(
    pk: str, event_name: str, old: dict[str, Any], new: dict[str, Any], sequence: str, with_values: bool
) -> Change | None:
    if event_name == "REMOVE":
        detail_type, changed = DELETED, sorted(_key_name(name) for name in old if name not in BOOKKEEPING)
    else:
        names = (set(old) | set(new)) - BOOKKEEPING
        changed = sorted(_key_name(name) for name in names if old.get(name) != new.get(name))
        detail_type = CREATED if event_name == "INSERT" else UPDATED
        if detail_type == UPDATED and not changed:
            return None
    detail: dict[str, Any] = {"recipient": reference(pk), "changed": changed, "order_key": order_key(sequence)}
    if with_values and detail_type != DELETED:
        attributes = {_key_name(name): name for name in (set(old) | set(new)) - BOOKKEEPING}
        detail["values"] = {key: _value(new.get(attributes[key])) for key in changed}
    return Change(detail_type, detail)


def _subscription_change(old: dict[str, Any], new: dict[str, Any], sequence: str, with_values: bool) -> Change | None:
    image = new or old
    if old and new and all(old.get(name) == new.get(name) for name in SUBSCRIPTION_VALUES):
        return None
    detail: dict[str, Any] = {
        "recipient": reference(image["recipient_key"]["S"]),
        "changed": [SUBSCRIPTIONS],
        "order_key": order_key(sequence),
        "object": reference(image["object_key"]["S"]),
        "subscribed": bool(new),
    }
    if with_values:
        detail["values"] = {SUBSCRIPTIONS: {"properties": _value(new.get("properties"))} if new else None}
    return Change(UPDATED, detail)


def _key_name(attribute: str) -> str:
    for prefix, name_prefix in KEY_NAMES.items():
        if attribute.startswith(prefix):
            return name_prefix + attribute[len(prefix) :]
    return attribute


def _value(attribute: dict[str, Any] | None) -> Any:
    """A stored value as the API answers it: JSON text parsed; None for a key no longer there."""
    if attribute is None:
        return None
    if "S" in attribute:
        return jsontext.loads(attribute["S"])
    return next(iter(attribute.values()))
