"""Storage of objects: items `obj#<collection>#<id>` (kernel/keys.py), written and read as
identity/store.py does and listed one collection at a time."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from recipients.identity.merge import PROPERTY_PREFIX, UpdatePlan, stored_values
from recipients.identity.models import RecipientRef
from recipients.identity.pages import Page
from recipients.identity.store import RecipientStore
from recipients.kernel.keys import object_prefix
from recipients.kernel.table import Table, get_table
from recipients.objects.models import RecipientObject
from recipients.preferences.sets import side_loaded


class ObjectStore:
    def __init__(self, table: Table) -> None:
        self._recipients = RecipientStore(table)

    def set_object(self, collection: str, object_id: str, plan: UpdatePlan) -> RecipientObject:
        """One UpdateItem, as identify: SET the planned attributes with the keys and updated_at. No read."""
        return object_from_item(self._recipients.upsert(RecipientRef(id=object_id, collection=collection), plan))

    def get_object(self, collection: str, object_id: str) -> RecipientObject | None:
        item = self._recipients.get(RecipientRef(id=object_id, collection=collection))
        return object_from_item(item) if item else None

    def delete_object(self, collection: str, object_id: str) -> bool:
        return self._recipients.delete(RecipientRef(id=object_id, collection=collection))

    def list_objects(
        self,
        collection: str,
        page_size: int,
        after: str | None = None,
        before: str | None = None,
        *,
        preferences: bool = False,
    ) -> Page[RecipientObject]:
        """A page of objects; with `preferences`, each with its preference sets (no extra request)."""
        found = self._recipients.page(object_prefix(collection), page_size, after, before)
        entries = [object_from_item(item, side_loaded(item) if preferences else None) for item in found.items]
        return Page(entries, after=found.after, before=found.before)


def object_from_item(item: dict[str, Any], preferences: dict[str, Any] | None = None) -> RecipientObject:
    properties = stored_values(item, PROPERTY_PREFIX)
    return RecipientObject(
        id=item["id"]["S"],
        collection=item["collection"]["S"],
        created_at=properties.pop("created_at", None),
        updated_at=item["updated_at"]["S"],
        properties=properties,
        preferences=preferences,
    )


@lru_cache(maxsize=1)
def get_object_store() -> ObjectStore:
    return ObjectStore(get_table())
