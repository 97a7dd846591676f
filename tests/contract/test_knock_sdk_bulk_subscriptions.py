"""The official knockapi SDK's bulk subscription calls, pointed at the API, polled to completion."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from knockapi import Knock

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewName = Callable[[str], str]


def subscriber_ids(knock: Knock, collection: str, object_id: str) -> list[str]:
    return sorted(entry.recipient.id for entry in knock.objects.list_subscriptions(collection, object_id))


def test_bulk_add_then_delete_subscriptions_polled_until_completed(
    knock: Knock, new_collection: NewName, new_user_id: NewName
) -> None:
    # Given a collection and a user identified by id
    collection, ada, bob = new_collection("sdk-subs"), new_user_id("sdk-sub-ada"), new_user_id("sdk-sub-bob")
    knock.users.update(ada, name="Ada")

    # When subscriptions are added in bulk (one inline user, one entry naming a bad id) and polled
    queued = knock.objects.bulk.add_subscriptions(
        collection,
        subscriptions=[
            {"id": "p1", "recipients": [ada, {"id": bob, "name": "Bob"}], "properties": {"role": "admin"}},
            {"id": "p2", "recipients": [ada]},
            {"id": "p3", "recipients": ["bad#id"]},
        ],
    )
    added = wait_for_operation(knock, queued.id)

    # Then the operation counts each entry once, the bad one listed, and the lists show the subscribers
    assert (added.name, added.status, added.success_count, added.error_count) == (
        "objects.bulk_add_subscriptions",
        "completed",
        2,
        1,
    )
    assert [item.id for item in added.error_items] == ["p3"]
    assert subscriber_ids(knock, collection, "p1") == sorted([ada, bob])
    [entry] = [entry for entry in knock.objects.list_subscriptions(collection, "p1") if entry.recipient.id == ada]
    assert entry.properties == {"role": "admin"}
    assert knock.users.get(bob).name == "Bob"

    # When some are deleted in bulk, one of them never subscribed
    deleted = wait_for_operation(
        knock,
        knock.objects.bulk.delete_subscriptions(
            collection, subscriptions=[{"id": "p1", "recipients": [bob]}, {"id": "p2", "recipients": [ada, bob]}]
        ).id,
    )

    # Then both entries succeed and only the named subscriptions are gone
    assert (deleted.name, deleted.status, deleted.success_count) == (
        "objects.bulk_delete_subscriptions",
        "completed",
        2,
    )
    assert subscriber_ids(knock, collection, "p1") == [ada]
    assert subscriber_ids(knock, collection, "p2") == []


def test_deleting_a_user_cleans_up_its_subscriptions_and_keeps_the_ones_made_after(
    knock: Knock, new_collection: NewName, new_user_id: NewName
) -> None:
    # Given a user subscribed to an object, deleted, identified again at once and subscribed to another
    collection, ada = new_collection("sdk-cleanup"), new_user_id("sdk-cleanup-ada")
    knock.objects.add_subscriptions(collection, "before", recipients=[{"id": ada}])
    knock.users.delete(ada)
    knock.objects.add_subscriptions(collection, "after", recipients=[{"id": ada, "name": "Ada again"}])

    # When the clean-up has run (the user exists again, so its list would show what was left behind)
    deadline = time.monotonic() + 30
    while True:
        listed = sorted(entry.object.id for entry in knock.users.list_subscriptions(ada))
        if listed != ["after", "before"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    # Then only the subscription made after the delete is left
    assert listed == ["after"]
