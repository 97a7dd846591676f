"""Pages of what the `by_list` index lists over several partitions, walked in order with `Query`.

A list is a sequence of partition keys (the shards of one listing); its order is (partition, sort
key), and a cursor holds the partition's place in the sequence and the last sort key read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from recipients.kernel.keys import ListPosition
from recipients.kernel.rules import check_id
from recipients.kernel.table import Table

UNBOUNDED = 2**31 - 1

Keep = Callable[[dict[str, Any]], bool]


class ItemPage(NamedTuple):
    """Listed items in list order, and the cursors around them."""

    items: list[dict[str, Any]]
    after: str | None
    before: str | None


class ShardedList:
    def __init__(self, table: Table, partitions: Sequence[str], check: Callable[[str], str] = check_id) -> None:
        self._table = table
        self._partitions = partitions
        self._check = check
        """What a cursor's sort key must pass: a client can send any text as a cursor."""

    def page(
        self, page_size: int, after: str | None, before: str | None, *, forward: bool = True, keep: Keep | None = None
    ) -> ItemPage:
        """A page (only items `keep` keeps, reading past the others), in list order or, with `forward`
        False, in reverse. Reads page_size + 1 items to know whether more follow."""
        if before is not None:
            found = list(self.walk(self._position(before, "before"), page_size + 1, forward=not forward, keep=keep))
            has_more = len(found) > page_size
            items = list(reversed(found[:page_size]))
            return ItemPage(
                items=items,
                after=self.cursor(items[-1]) if items else None,
                before=self.cursor(items[0]) if has_more and items else None,
            )
        start = self._position(after, "after") if after is not None else None
        found = list(self.walk(start, page_size + 1, forward=forward, keep=keep))
        items = found[:page_size]
        return ItemPage(
            items=items,
            after=self.cursor(items[-1]) if len(found) > page_size else None,
            before=self.cursor(items[0]) if after is not None and items else None,
        )

    def check_cursors(self, after: str | None, before: str | None) -> None:
        """Refuse a cursor this list never gave, before anything is read."""
        for cursor, parameter in ((after, "after"), (before, "before")):
            if cursor is not None:
                self._position(cursor, parameter)

    def walk(
        self, start: ListPosition | None, limit: int, *, forward: bool = True, keep: Keep | None = None
    ) -> Iterator[dict[str, Any]]:
        """Up to `limit` items (that `keep` keeps) from `start` (exclusive), crossing partitions in order."""
        last = len(self._partitions) - 1
        if start is None:
            indices = range(last + 1) if forward else range(last, -1, -1)
        else:
            indices = range(start.shard, last + 1) if forward else range(start.shard, -1, -1)
        remaining = limit
        for index in indices:
            boundary = start.id if start is not None and index == start.shard else None
            batch = remaining if keep is None else UNBOUNDED  # a filter reads the whole partition past what it skips
            for item in self._table.query_list(self._partitions[index], boundary, batch, forward=forward):
                if keep is not None and not keep(item):
                    continue
                yield item
                remaining -= 1
                if remaining == 0:
                    return

    def among(self, items: list[dict[str, Any]]) -> ShardedList:
        """This list cut to `items`, its own items found by key (a filter names at most 100): paged,
        and cursors given and checked, as the whole list is."""
        return _FoundItems(self, items)

    def position(self, item: dict[str, Any]) -> ListPosition:
        return ListPosition(self._partitions.index(item["list_pk"]["S"]), item["list_sk"]["S"])

    def cursor(self, item: dict[str, Any]) -> str:
        return self.position(item).to_cursor()

    def _position(self, cursor: str, parameter: str) -> ListPosition:
        return ListPosition.from_cursor(cursor, parameter, shards=len(self._partitions), check=self._check)


class _FoundItems(ShardedList):
    """Items of a list held in memory in list order, walked without reading the table."""

    def __init__(self, listing: ShardedList, items: list[dict[str, Any]]) -> None:
        super().__init__(listing._table, listing._partitions, listing._check)
        self._items = sorted(items, key=self.position)

    def walk(
        self, start: ListPosition | None, limit: int, *, forward: bool = True, keep: Keep | None = None
    ) -> Iterator[dict[str, Any]]:
        def beyond_start(item: dict[str, Any]) -> bool:
            if start is None:
                return True
            return self.position(item) > start if forward else self.position(item) < start

        ordered = self._items if forward else reversed(self._items)
        return islice((item for item in ordered if beyond_start(item) and (keep is None or keep(item))), limit)
