"""What every recipient's storage shares, users and objects alike: one item per recipient.

- Every property is its own attribute (`prop:<name>`, `chan:<channel>`, `pref:<set>`) holding JSON
  text, so identify SETs only the keys sent and values round-trip exactly at any depth.
- Identify is one UpdateItem with no read and no condition: two identifies of different keys on one
  recipient both survive. A write of more keys than one UpdateItem takes goes in parts.
- A plan's edits (deep merges of preference sets) read the attributes they edit, then write them on
  the condition that they are unchanged, and start again when another write got there first.
- Recipients are listed through the sharded `by_list` index (kernel/keys.py), page by page.
"""

from __future__ import annotations

import random
import time
from functools import lru_cache
from typing import Any

from recipients.identity.edits import Edit, edited_text
from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.kernel.errors import FieldError, RecipientsError
from recipients.kernel.keys import LIST_SHARDS, USER_PREFIX, list_pk, object_prefix, recipient_pk
from recipients.kernel.listing import ItemPage, Keep, ShardedList
from recipients.kernel.rules import now_timestamp
from recipients.kernel.table import (
    MAX_ITEM_BYTES,
    ConditionFailed,
    ItemTooLarge,
    Table,
    get_table,
    parts_of,
    set_expression,
)

EDITS_PER_WRITE = 40
"""Edited attributes one conditional UpdateItem writes: each adds three operators and about 60 bytes
of condition, which keeps the expression under DynamoDB's 300 operators and 4 KB."""
EDIT_ATTEMPTS = 16
"""An attempt fails only when another write of the same attributes succeeded since its read, so with
up to 16 writers at once every merge completes; past that, a 409 the client retries."""


class RecipientStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def upsert(self, ref: RecipientRef, plan: UpdatePlan) -> dict[str, Any]:
        """SET the plan's attributes with the recipient's keys and updated_at, then make its edits; the
        item as it now is.

        One UpdateItem per MAX_SET_ATTRIBUTES attributes: an identify sends at most that many, so it
        is one request; a bulk row that coalesces several rows of one id may need more. Edits add a
        read and a conditional write per EDITS_PER_WRITE edited attributes.
        """
        item: dict[str, Any] = {}
        if plan.attributes or not plan.edits:
            for part in parts_of(plan.attributes):
                item = self._write(ref, part)
        edited = list(plan.edits)
        for start in range(0, len(edited), EDITS_PER_WRITE):
            item = self._edit(ref, {name: plan.edits[name] for name in edited[start : start + EDITS_PER_WRITE]})
        return item

    def ensure(self, ref: RecipientRef) -> dict[str, Any]:
        """Create the recipient with no properties if it does not exist; leave it as it is if it does.
        One UpdateItem; the item as it now is."""
        expression, names, values = set_expression(_keys(ref))
        values[":now"] = {"S": now_timestamp()}
        return self._table.update(
            recipient_pk(ref.id, ref.collection),
            UpdateExpression=f"{expression}, updated_at = if_not_exists(updated_at, :now)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )

    def _write(self, ref: RecipientRef, attributes: dict[str, str], **condition: Any) -> dict[str, Any]:
        keys = _keys(ref)
        try:
            return self._table.set_attributes(
                recipient_pk(ref.id, ref.collection),
                {**attributes, **keys, "updated_at": now_timestamp()},
                ReturnValues="ALL_NEW",
                **condition,
            )
        except ItemTooLarge:
            what = "user" if ref.collection is None else "object"
            raise too_large(f"the {what} would exceed the 400 KB item limit; nothing was written") from None

    def _edit(self, ref: RecipientRef, edits: dict[str, list[Edit]]) -> dict[str, Any]:
        """Read the edited attributes, write what the edits make of them if they are still as read."""
        names = list(edits)  # set_attributes names them #a0.. in this order, first
        for attempt in range(EDIT_ATTEMPTS):
            stored = self.get(ref, consistent=True, names=names) or {}
            texts = {name: edited_text(stored[name]["S"] if name in stored else None, edits[name]) for name in names}
            conditions, values = [], {}
            for index, name in enumerate(names):
                if name in stored:
                    conditions.append(f"#a{index} = :was{index}")
                    values[f":was{index}"] = stored[name]
                else:
                    conditions.append(f"attribute_not_exists(#a{index})")
            try:
                return self._write(
                    ref, texts, ConditionExpression=" AND ".join(conditions), ExpressionAttributeValues=values
                )
            except ConditionFailed:  # another write changed one of them since it was read: merge into that
                time.sleep(random.uniform(0, 0.005 * attempt))  # noqa: S311 - jitter, not crypto
        raise RecipientsError.conflict("the recipient's preferences kept changing while being merged; retry")

    def remove(self, ref: RecipientRef, name: str) -> bool:
        """REMOVE one attribute (and touch updated_at) in one UpdateItem; False when it was not there."""
        try:
            self._table.update(
                recipient_pk(ref.id, ref.collection),
                UpdateExpression="REMOVE #n SET updated_at = :now",
                ConditionExpression="attribute_exists(#n)",
                ExpressionAttributeNames={"#n": name},
                ExpressionAttributeValues={":now": {"S": now_timestamp()}},
            )
        except ConditionFailed:
            return False
        return True

    def get(
        self, ref: RecipientRef, *, consistent: bool = False, names: list[str] | None = None
    ) -> dict[str, Any] | None:
        """The recipient's item (only the attributes `names`, when given); None when there is none."""
        return self._table.get(recipient_pk(ref.id, ref.collection), consistent=consistent, names=names)

    def delete(self, ref: RecipientRef) -> bool:
        """Hard delete in one DeleteItem; False when there was nothing to delete."""
        return self._table.delete(recipient_pk(ref.id, ref.collection))

    def items(self, refs: list[RecipientRef], names: list[str] | None = None) -> dict[RecipientRef, dict[str, Any]]:
        """The items of those of `refs` that exist (holding only the attributes `names`, when given): one
        BatchGetItem per 100."""
        by_pk = {recipient_pk(ref.id, ref.collection): ref for ref in refs}
        return {by_pk[item["pk"]["S"]]: item for item in self._table.batch_get(list(by_pk), names=names)}

    def missing(self, refs: list[RecipientRef]) -> set[RecipientRef]:
        """The users and objects among `refs` that do not exist: BatchGetItem of their keys only."""
        by_pk = {recipient_pk(ref.id, ref.collection): ref for ref in refs}
        found = {item["pk"]["S"] for item in self._table.batch_get(list(by_pk), projection="pk")}
        return {ref for pk, ref in by_pk.items() if pk not in found}

    def page(
        self,
        prefix: str,
        page_size: int,
        after: str | None,
        before: str | None,
        *,
        keep: Keep | None = None,
    ) -> ItemPage:
        """A page of the recipients listed under `prefix`, in (shard, id) order (only those `keep` keeps)."""
        partitions = [f"{prefix}{shard:02d}" for shard in range(LIST_SHARDS)]
        return ShardedList(self._table, partitions).page(page_size, after, before, keep=keep)


def _keys(ref: RecipientRef) -> dict[str, str]:
    """The attributes every recipient's item has besides its key: its id and where it is listed."""
    prefix = USER_PREFIX if ref.collection is None else object_prefix(ref.collection)
    keys = {"id": ref.id, "list_pk": list_pk(prefix, ref.id), "list_sk": ref.id}
    if ref.collection is not None:
        keys["collection"] = ref.collection
    return keys


def check_fits(text: str, field: str) -> None:
    """Refuse, before any request, a value that alone would take a recipient past DynamoDB's 400 KB."""
    size = len(text.encode())
    if size > MAX_ITEM_BYTES:
        raise too_large(f"is {size:,} bytes of JSON; a recipient holds at most 400 KB", field)


def too_large(message: str, field: str = "properties") -> RecipientsError:
    return RecipientsError.invalid([FieldError(field, message)], code="properties_too_large")


@lru_cache(maxsize=1)
def get_recipient_store() -> RecipientStore:
    return RecipientStore(get_table())
