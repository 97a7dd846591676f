"""Storage of audiences: an item `aud#<key>` per audience and one per member (kernel/keys.py).

- Members are written and removed with BatchWriteItem, 25 a request, with no read first: adding a
  member again writes its item again (with a new added_at), removing a non-member deletes nothing.
- Members are listed through the `by_list` index under `audmem#<key>#<shard>`, the shard a hash of
  the user id, in (shard, user id, tenant) order: pages are Queries, one per shard crossed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from recipients.kernel.keys import (
    LIST_SHARDS,
    MemberPosition,
    audience_pk,
    list_shard,
    member_list_pk,
    member_pk,
    member_sk,
    recipient_pk,
)
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import Table, get_table


class Member(NamedTuple):
    """A member's identity: the same user with another tenant is another member."""

    user_id: str
    tenant: str | None


class StoredMember(NamedTuple):
    user_id: str
    tenant: str | None
    added_at: str

    @property
    def cursor(self) -> str:
        return MemberPosition.of(self.user_id, self.tenant).to_cursor()


class MemberPage(NamedTuple):
    members: list[StoredMember]
    after: str | None
    before: str | None


class AudienceStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, key: str) -> None:
        """The audience, made if it does not exist (left as it is if it does): one UpdateItem."""
        self._table.update(
            audience_pk(key),
            UpdateExpression="SET #key = :key, created_at = if_not_exists(created_at, :now)",
            ExpressionAttributeNames={"#key": "key"},
            ExpressionAttributeValues={":key": {"S": key}, ":now": {"S": now_timestamp()}},
        )

    def exists(self, key: str) -> bool:
        """One GetItem of the audience's key only."""
        return self._table.get(audience_pk(key), names=[]) is not None

    def add(self, key: str, members: list[Member]) -> None:
        """Write each member's item (members distinct): one BatchWriteItem per 25."""
        added_at = now_timestamp()
        self._table.batch_write([_member_item(key, member, added_at) for member in members])

    def remove(self, key: str, members: list[Member]) -> None:
        """Delete each member's item (members distinct), there or not: one BatchWriteItem per 25."""
        self._table.batch_delete([member_pk(key, member.user_id, member.tenant) for member in members])

    def user_items(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The items of the users that exist among `user_ids` (distinct, at most 100): one BatchGetItem."""
        found = self._table.batch_get([recipient_pk(user_id) for user_id in user_ids])
        return {item["id"]["S"]: item for item in found}

    def page(self, key: str, page_size: int, after: str | None, before: str | None) -> MemberPage:
        """A page of the audience's members, in list order. Reads page_size + 1 to know whether more follow."""
        if before is not None:
            start = MemberPosition.from_cursor(before, "before")
            found = list(self._walk(key, start, page_size + 1, forward=False))
            members = list(reversed(found[:page_size]))
            return MemberPage(
                members,
                after=members[-1].cursor if members else None,
                before=members[0].cursor if len(found) > page_size and members else None,
            )
        position = MemberPosition.from_cursor(after, "after") if after is not None else None
        found = list(self._walk(key, position, page_size + 1, forward=True))
        members = found[:page_size]
        return MemberPage(
            members,
            after=members[-1].cursor if len(found) > page_size else None,
            before=members[0].cursor if after is not None and members else None,
        )

    def _walk(self, key: str, start: MemberPosition | None, limit: int, *, forward: bool) -> Iterator[StoredMember]:
        """Up to `limit` members from `start` (exclusive), crossing shards in order."""
        if start is None:
            shards = range(LIST_SHARDS)
        else:
            shards = range(start.shard, LIST_SHARDS) if forward else range(start.shard, -1, -1)
        remaining = limit
        for shard in shards:
            boundary = start.sort_key if start is not None and shard == start.shard else None
            for item in self._table.query_list(member_list_pk(key, shard), boundary, remaining, forward=forward):
                yield _stored_member(item)
                remaining -= 1
                if remaining == 0:
                    return


def _member_item(key: str, member: Member, added_at: str) -> dict[str, Any]:
    item = {
        "pk": {"S": member_pk(key, member.user_id, member.tenant)},
        "list_pk": {"S": member_list_pk(key, list_shard(member.user_id))},
        "list_sk": {"S": member_sk(member.user_id, member.tenant)},
        "audience": {"S": key},
        "user_id": {"S": member.user_id},
        "added_at": {"S": added_at},
    }
    if member.tenant is not None:
        item["tenant"] = {"S": member.tenant}
    return item


def _stored_member(item: dict[str, Any]) -> StoredMember:
    tenant = item.get("tenant")
    return StoredMember(item["user_id"]["S"], None if tenant is None else tenant["S"], item["added_at"]["S"])


@lru_cache(maxsize=1)
def get_audience_store() -> AudienceStore:
    return AudienceStore(get_table())
