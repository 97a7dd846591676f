"""Storage of users: items `user#<id>` (kernel/keys.py) written and read as identity/store.py does,
and merged."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from recipients.identity.merge import MERGED_PREFIXES, PROPERTY_PREFIX, UpdatePlan, stored_values
from recipients.identity.models import RecipientRef
from recipients.identity.pages import Page
from recipients.identity.store import RecipientStore, too_large
from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import USER_PREFIX, recipient_pk
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import (
    MAX_ITEM_BYTES,
    ConditionFailed,
    ItemTooLarge,
    Table,
    get_table,
    item_bytes,
    parts_of,
    set_expression,
)
from recipients.preferences.sets import side_loaded
from recipients.users.models import User


class UserStore:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._recipients = RecipientStore(table)

    def identify_user(self, user_id: str, plan: UpdatePlan) -> User:
        """One UpdateItem: SET the planned attributes plus id, list keys and updated_at. No read."""
        return user_from_item(self._recipients.upsert(RecipientRef(id=user_id), plan))

    def get_user(self, user_id: str) -> User | None:
        item = self._recipients.get(RecipientRef(id=user_id))
        return user_from_item(item) if item else None

    def delete_user(self, user_id: str) -> bool:
        """Hard delete in one DeleteItem; False when there was nothing to delete."""
        return self._recipients.delete(RecipientRef(id=user_id))

    def list_users(
        self, page_size: int, after: str | None = None, before: str | None = None, *, preferences: bool = False
    ) -> Page[User]:
        """A page of users; with `preferences`, each with its preference sets (read with it: no extra request)."""
        found = self._recipients.page(USER_PREFIX, page_size, after, before)
        users = [user_from_item(item, side_loaded(item) if preferences else None) for item in found.items]
        return Page(users, after=found.after, before=found.before)

    def merge_users(self, primary_id: str, secondary_id: str) -> User:
        """Copy into the primary every property, channel and preference set it lacks, delete the secondary.

        Shallow: a key the primary has (even as null) is kept whole. Both items are read; then the
        copies are written MAX_SET_ATTRIBUTES at a time, each write conditioned on the primary not
        having changed since the last, and the last one in a transaction with the secondary's delete,
        conditioned on the secondary not having changed either. A concurrent write makes it fail
        with a conflict; a retry then copies only what is still missing, so it completes the merge.
        """
        primary, secondary = self._user_item(primary_id), self._user_item(secondary_id)
        copied = {
            name: value["S"]
            for name, value in secondary.items()
            if name.startswith(MERGED_PREFIXES) and name not in primary
        }
        merged_bytes = item_bytes(primary) + sum(
            len(name.encode()) + len(text.encode()) for name, text in copied.items()
        )
        if merged_bytes > MAX_ITEM_BYTES:  # refused before any write: a partial merge could never complete
            message = f"the merged user would take {merged_bytes:,} bytes; a user holds at most 400 KB"
            raise too_large(message, "from_user_id")
        primary_pk = recipient_pk(primary_id)
        seen = primary["updated_at"]["S"]
        *earlier, last = parts_of(copied)
        try:
            for part in earlier:
                written_at = now_timestamp()
                self._table.set_attributes(
                    primary_pk,
                    {**part, "updated_at": written_at},
                    ConditionExpression="updated_at = :seen",
                    ExpressionAttributeValues={":seen": {"S": seen}},
                )
                seen = written_at
            merged_at = now_timestamp()
            expression, names, values = set_expression({**last, "updated_at": merged_at})
            update = {
                "TableName": self._table.name,
                "Key": {"pk": {"S": primary_pk}},
                "UpdateExpression": expression,
                "ConditionExpression": "updated_at = :seen",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**values, ":seen": {"S": seen}},
            }
            delete = {
                "TableName": self._table.name,
                "Key": {"pk": {"S": recipient_pk(secondary_id)}},
                "ConditionExpression": "updated_at = :seen",
                "ExpressionAttributeValues": {":seen": secondary["updated_at"]},
            }
            self._table.transact([{"Update": update}, {"Delete": delete}])
        except ConditionFailed:
            raise RecipientsError.conflict("a user changed while they were being merged; retry") from None
        except ItemTooLarge:
            raise too_large("the merged user would exceed the 400 KB item limit", "from_user_id") from None
        merged = {**primary, **{name: {"S": text} for name, text in copied.items()}, "updated_at": {"S": merged_at}}
        return user_from_item(merged)

    def _user_item(self, user_id: str) -> dict[str, Any]:
        item = self._recipients.get(RecipientRef(id=user_id), consistent=True)
        if not item:
            raise RecipientsError.not_found("user", user_id)
        return item


def user_from_item(item: dict[str, Any], preferences: dict[str, Any] | None = None) -> User:
    fields: dict[str, Any] = {"id": item["id"]["S"], "updated_at": item["updated_at"]["S"]}
    fields.update(stored_values(item, PROPERTY_PREFIX))
    if preferences is not None:  # never a property: identify takes `preferences` as preference sets
        fields["preferences"] = preferences
    return User.model_validate(fields)


@lru_cache(maxsize=1)
def get_user_store() -> UserStore:
    return UserStore(get_table())
