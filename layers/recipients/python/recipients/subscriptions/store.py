"""Storage of subscriptions: two items per subscription, one listed under the object and one under
the recipient (kernel/keys.py), so that both lists are pages of `Query` and neither is a hot partition.

- Adding is one consistent `BatchGetItem` per 100 (an update keeps when it was first made) and one
  `BatchWriteItem` per 25 items, two per subscription; removing the same, with deletes. Both items carry every value,
  so neither list reads the other.
- A subscription is a snapshot of when it was made: `inserted_at` stays, `updated_at` moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.keys import (
    SUBSCRIBER_SHARDS,
    ListPosition,
    split_recipient_pk,
    subscribed_list_pk,
    subscribed_pk,
    subscriber_shard,
    subscribers_list_pk,
    subscription_pk,
)
from recipients.kernel.listing import ShardedList
from recipients.kernel.table import Table, get_table


class StoredSubscription(NamedTuple):
    object: RecipientRef
    recipient: RecipientRef
    properties: dict[str, Any] | None
    inserted_at: str
    updated_at: str


def subscription_from_item(item: dict[str, Any]) -> StoredSubscription:
    properties = item.get("properties", {}).get("S")
    return StoredSubscription(
        object=RecipientRef.from_key(item["object_key"]["S"]),
        recipient=RecipientRef.from_key(item["recipient_key"]["S"]),
        properties=jsontext.loads(properties) if properties is not None else None,
        inserted_at=item["inserted_at"]["S"],
        updated_at=item["updated_at"]["S"],
    )


def _check_recipient_key(key: str) -> str:
    split_recipient_pk(key)
    return key


def _check_subscribed_key(key: str) -> str:
    inserted_at, _, object_key = key.partition("/")
    if not inserted_at:
        raise ValueError("is not a subscription's place")
    split_recipient_pk(object_key)
    return key


class SubscriptionStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(
        self, object_ref: RecipientRef, entries: list[tuple[RecipientRef, str | None]], now: str
    ) -> list[StoredSubscription]:
        """Subscribe each recipient with its properties (JSON text, or None), keeping `inserted_at` of
        the subscriptions that exist; the subscriptions as they now are, in the order given."""
        object_key = object_ref.key()
        pks = [subscription_pk(object_key, ref.key()) for ref, _ in entries]
        existing = {
            item["pk"]["S"]: item["inserted_at"]["S"]
            for item in self._table.batch_get(pks, projection="pk, inserted_at", consistent=True)
        }
        items, stored = [], []
        for (ref, properties), pk in zip(entries, pks, strict=True):
            inserted_at = existing.get(pk, now)
            values: dict[str, Any] = {
                "object_key": {"S": object_key},
                "recipient_key": {"S": ref.key()},
                "inserted_at": {"S": inserted_at},
                "updated_at": {"S": now},
            }
            if properties is not None:
                values["properties"] = {"S": properties}
            items.extend(_both_items(object_key, ref.key(), values))
            stored.append(subscription_from_item(values))
        self._table.batch_write(items)
        return stored

    def find(self, object_ref: RecipientRef, refs: list[RecipientRef]) -> list[StoredSubscription]:
        """The subscriptions of these recipients to the object that exist, in the order given."""
        object_key = object_ref.key()
        return self._found([subscription_pk(object_key, ref.key()) for ref in refs])

    def _found(self, pks: list[str]) -> list[StoredSubscription]:
        return [subscription_from_item(item) for item in self._items(pks)]

    def _items(self, pks: list[str]) -> list[dict[str, Any]]:
        unique = list(dict.fromkeys(pks))  # BatchGetItem refuses a key named twice
        found = {item["pk"]["S"]: item for item in self._table.batch_get(unique, consistent=True)}
        return [found[pk] for pk in unique if pk in found]

    def remove(self, subscriptions: list[StoredSubscription]) -> None:
        """Delete both items of each subscription."""
        pks = []
        for subscription in subscriptions:
            object_key, recipient_key = subscription.object.key(), subscription.recipient.key()
            pks += [subscription_pk(object_key, recipient_key), subscribed_pk(recipient_key, object_key)]
        self._table.batch_delete(pks)

    def subscribers(self, object_ref: RecipientRef, named: list[RecipientRef] | None = None) -> ShardedList:
        """The object's subscribers: its object subscribers, then its users over their shards. Only
        those `named`, when given: their subscriptions are read by key, one BatchGetItem per 100."""
        object_key = object_ref.key()
        partitions = [subscribers_list_pk(object_key, shard) for shard in SUBSCRIBER_SHARDS]
        listing = ShardedList(self._table, partitions, check=_check_recipient_key)
        if not named:
            return listing
        return listing.among(self._items([subscription_pk(object_key, ref.key()) for ref in named]))

    def subscribed(self, recipient_ref: RecipientRef, named: list[RecipientRef] | None = None) -> ShardedList:
        """The objects the recipient is subscribed to, by when it subscribed (one partition). Only the
        objects `named`, when given, read by key."""
        recipient_key = recipient_ref.key()
        listing = ShardedList(self._table, [subscribed_list_pk(recipient_key)], check=_check_subscribed_key)
        if not named:
            return listing
        return listing.among(self._items([subscribed_pk(recipient_key, obj.key()) for obj in named]))

    def walk_subscribers(
        self, object_ref: RecipientRef, start: ListPosition | None, limit: int
    ) -> Iterator[tuple[ListPosition, StoredSubscription]]:
        """The object's subscriptions in list order after `start`, each with its position."""
        listing = self.subscribers(object_ref)
        for item in listing.walk(start, limit):
            yield listing.position(item), subscription_from_item(item)


def _both_items(object_key: str, recipient_key: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    forward = {
        "pk": {"S": subscription_pk(object_key, recipient_key)},
        "list_pk": {"S": subscribers_list_pk(object_key, subscriber_shard(recipient_key))},
        "list_sk": {"S": recipient_key},
        **values,
    }
    backward = {
        "pk": {"S": subscribed_pk(recipient_key, object_key)},
        "list_pk": {"S": subscribed_list_pk(recipient_key)},
        "list_sk": {"S": f"{values['inserted_at']['S']}/{object_key}"},
        **values,
    }
    return [forward, backward]


@lru_cache(maxsize=1)
def get_subscription_store() -> SubscriptionStore:
    return SubscriptionStore(get_table())
