"""What every recipient's storage shares, users and objects alike: one item per recipient.

- Every property is its own attribute (`prop:<name>`, `chan:<channel>`, `pref:<set>`) holding JSON
  text, so identify SETs only the keys sent and values round-trip exactly at any depth.
- Identify is one UpdateItem with no read and no condition: two identifies of different keys on one
  recipient both survive. A write of more keys than one UpdateItem takes goes in parts.
- Recipients are listed through the sharded `by_list` index (kernel/keys.py), page by page.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.keys import (
    LIST_SHARDS,
    USER_PREFIX,
    ListPosition,
    cursor_of,
    list_pk,
    object_prefix,
    recipient_pk,
)
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import ItemTooLarge, Table, get_table, parts_of


class ItemPage(NamedTuple):
    """Stored recipients in list order, and the cursors around them."""

    items: list[dict[str, Any]]
    after: str | None
    before: str | None


class RecipientStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def upsert(self, ref: RecipientRef, plan: UpdatePlan) -> dict[str, Any]:
        """SET the plan's attributes with the recipient's keys and updated_at; the item as it now is.

        One UpdateItem per MAX_SET_ATTRIBUTES attributes: an identify sends at most that many, so it
        is one request; a bulk row that coalesces several rows of one id may need more.
        """
        what = "user" if ref.collection is None else "object"
        prefix = USER_PREFIX if ref.collection is None else object_prefix(ref.collection)
        keys = {"id": ref.id, "list_pk": list_pk(prefix, ref.id), "list_sk": ref.id}
        if ref.collection is not None:
            keys["collection"] = ref.collection
        item: dict[str, Any] = {}
        for part in parts_of(plan.attributes):
            try:
                item = self._table.set_attributes(
                    recipient_pk(ref.id, ref.collection),
                    {**part, **keys, "updated_at": now_timestamp()},
                    ReturnValues="ALL_NEW",
                )
            except ItemTooLarge:
                raise too_large(f"the {what} would exceed the 400 KB item limit; nothing was written") from None
        return item

    def get(self, ref: RecipientRef, *, consistent: bool = False) -> dict[str, Any] | None:
        return self._table.get(recipient_pk(ref.id, ref.collection), consistent=consistent)

    def delete(self, ref: RecipientRef) -> bool:
        """Hard delete in one DeleteItem; False when there was nothing to delete."""
        return self._table.delete(recipient_pk(ref.id, ref.collection))

    def missing(self, refs: list[RecipientRef]) -> set[RecipientRef]:
        """The users and objects among `refs` that do not exist: BatchGetItem of their keys only."""
        by_pk = {recipient_pk(ref.id, ref.collection): ref for ref in refs}
        found = {item["pk"]["S"] for item in self._table.batch_get(list(by_pk), projection="pk")}
        return {ref for pk, ref in by_pk.items() if pk not in found}

    def page(self, prefix: str, page_size: int, after: str | None, before: str | None) -> ItemPage:
        """A page of the recipients listed under `prefix`, in (shard, id) order. Reads page_size + 1
        items to know whether more follow."""
        if before is not None:
            start = ListPosition.from_cursor(before, "before")
            found = list(self._walk(prefix, start, page_size + 1, forward=False))
            has_more = len(found) > page_size
            items = list(reversed(found[:page_size]))
            return ItemPage(
                items=items,
                after=_cursor(items[-1]) if items else None,
                before=_cursor(items[0]) if has_more and items else None,
            )
        after_position = ListPosition.from_cursor(after, "after") if after is not None else None
        found = list(self._walk(prefix, after_position, page_size + 1, forward=True))
        items = found[:page_size]
        return ItemPage(
            items=items,
            after=_cursor(items[-1]) if len(found) > page_size else None,
            before=_cursor(items[0]) if after is not None and items else None,
        )

    def _walk(self, prefix: str, start: ListPosition | None, limit: int, *, forward: bool) -> Iterator[dict[str, Any]]:
        """Yield up to `limit` items from `start` (exclusive), crossing shards in order."""
        if start is None:
            shards = range(LIST_SHARDS)
        else:
            shards = range(start.shard, LIST_SHARDS) if forward else range(start.shard, -1, -1)
        remaining = limit
        for shard in shards:
            boundary = start.id if start is not None and shard == start.shard else None
            for item in self._table.query_list(f"{prefix}{shard:02d}", boundary, remaining, forward=forward):
                yield item
                remaining -= 1
            if remaining == 0:
                return


def _cursor(item: dict[str, Any]) -> str:
    return cursor_of(item["id"]["S"])


def too_large(message: str, field: str = "properties") -> RecipientsError:
    return RecipientsError.invalid([FieldError(field, message)], code="properties_too_large")


@lru_cache(maxsize=1)
def get_recipient_store() -> RecipientStore:
    return RecipientStore(get_table())
