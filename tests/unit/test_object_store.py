"""The object store, against moto's DynamoDB built from template.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from recipients.identity.identify import plan_identify
from recipients.objects.models import RecipientObject
from recipients.objects.requests import InlineIdentifyObjectRequest
from recipients.objects.store import ObjectStore, get_object_store
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store


@pytest.fixture
def store(recipients_table: str) -> ObjectStore:
    return get_object_store()


def set_object(store: ObjectStore, collection: str, object_id: str, body: dict[str, Any]) -> RecipientObject:
    request = InlineIdentifyObjectRequest.model_validate({**body, "id": object_id, "collection": collection})
    return store.set_object(collection, object_id, plan_identify(request))


def test_set_object_is_one_update_item_and_nests_name_and_custom_keys_under_properties(
    store: ObjectStore, dynamodb_requests: list[str]
) -> None:
    saved = set_object(store, "projects", "p1", {"name": "Apollo", "budget": 100, "created_at": "2024-05-22T12:00:00Z"})

    assert dynamodb_requests == ["UpdateItem"]
    wire = saved.to_wire()
    assert wire["__typename"] == "Object"
    assert (wire["id"], wire["collection"], wire["created_at"]) == ("p1", "projects", "2024-05-22T12:00:00Z")
    assert wire["properties"] == {"name": "Apollo", "budget": 100}
    assert store.get_object("projects", "p1") == saved


def test_set_object_merges_shallowly_like_identify(store: ObjectStore) -> None:
    set_object(store, "projects", "p1", {"name": "Apollo", "meta": {"a": 1, "b": 2}, "kept": True})
    merged = set_object(store, "projects", "p1", {"meta": {"a": 9}, "name": None})

    assert merged.properties == {"name": None, "meta": {"a": 9}, "kept": True}


def test_objects_are_keyed_by_collection_and_id_apart_from_users(store: ObjectStore) -> None:
    set_object(store, "projects", "x", {"name": "project"})
    set_object(store, "teams", "x", {"name": "team"})
    get_user_store().identify_user("x", plan_identify(IdentifyUserRequest.model_validate({"name": "user"})))

    assert store.get_object("projects", "x").properties["name"] == "project"  # type: ignore[union-attr]
    assert store.get_object("teams", "x").properties["name"] == "team"  # type: ignore[union-attr]
    assert get_user_store().get_user("x").name == "user"  # type: ignore[union-attr]
    assert store.delete_object("teams", "x") is True
    assert store.delete_object("teams", "x") is False
    assert store.get_object("teams", "x") is None
    assert store.get_object("projects", "x") is not None


def test_list_objects_pages_one_collection_only(store: ObjectStore) -> None:
    ids = [f"p{index:02d}" for index in range(12)]
    for object_id in ids:
        set_object(store, "projects", object_id, {"n": 1})
    set_object(store, "teams", "t1", {"n": 1})
    get_user_store().identify_user("p00", plan_identify(IdentifyUserRequest.model_validate({"n": 1})))

    seen, after = [], None
    while True:
        page = store.list_objects("projects", 5, after=after)
        seen += [entry.id for entry in page.entries]
        assert all(entry.collection == "projects" for entry in page.entries)
        if page.after is None:
            break
        after = page.after

    assert sorted(seen) == ids
    assert [entry.id for entry in store.list_objects("teams", 50).entries] == ["t1"]
    assert store.list_objects("nothing", 50).entries == []
