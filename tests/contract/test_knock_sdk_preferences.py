"""The official knockapi SDK's preference calls (users, objects, bulk, list side-loads), pointed at the API.

A set is replaced by each PUT unless it says `"__persistence_strategy__": "merge"` (the SDK's
`_persistence_strategy`), which deep-merges; bulk always replaces; inline `preferences` on identify
deep-merges. A set never written reads as an empty set.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import knockapi
import pytest
from knockapi import Knock
from knockapi.types.recipients.preference_set import PreferenceSet

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]
US_ONLY: Any = {"conditions": [{"variable": "recipient.country_code", "operator": "equal_to", "argument": "US"}]}
EMPTY = {"categories": None, "channel_types": None, "channels": None, "workflows": None, "commercial_subscribed": None}


def _wire(preference_set: PreferenceSet) -> dict[str, object]:
    """The set as the API answered it (every key it sent, `__typename` among them)."""
    return preference_set.to_dict(mode="json")


def _empty(set_id: str) -> dict[str, object]:
    return {"__typename": "PreferenceSet", "id": set_id, **EMPTY}


def test_a_set_never_written_reads_as_an_empty_set(knock: Knock, new_user_id: NewId) -> None:
    # Given an identified user with no preferences, and an id nobody identified
    known, unknown = new_user_id("sdk-pref-empty"), new_user_id("sdk-pref-nobody")
    knock.users.update(known, name="Ada")

    # When their sets are read through the SDK (one with ?tenant=, which is accepted)
    default = knock.users.get_preferences(known, "default")
    tenant_set = knock.users.get_preferences(known, "tenant-acme", tenant="tenant-acme")
    nobody = knock.users.get_preferences(unknown, "default")

    # Then each is an empty PreferenceSet with every key present and null; listing answers no sets
    assert _wire(default) == _empty("default")
    assert _wire(tenant_set) == _empty("tenant-acme")
    assert _wire(nobody) == _empty("default")
    assert knock.users.list_preferences(known) == []
    assert knock.users.list_preferences(unknown) == []
    # and reading created nobody
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(unknown)


def test_set_replaces_the_whole_set_and_a_condition_round_trips(knock: Knock, new_user_id: NewId) -> None:
    # Given a user id nobody identified and a full set, a condition on a channel type
    user_id, channel_id = new_user_id("sdk-pref-replace"), str(uuid.uuid4())
    saved = knock.users.set_preferences(
        user_id,
        "default",
        channel_types={"email": True, "sms": US_ONLY},
        channels={channel_id: False},
        categories={"marketing": False, "transactional": {"channel_types": {"email": False}}},
        workflows={"new-comment": {"channel_types": {"push": False}, "conditions": US_ONLY["conditions"]}},
        commercial_subscribed=True,
    )

    # When it is read back, then replaced (the default strategy) by a set with only channel types
    fetched = knock.users.get_preferences(user_id, "default")
    replaced = knock.users.set_preferences(user_id, "default", channel_types={"push": False})

    # Then the first answer is the set as sent, the condition parsed by the SDK, and the read equals it
    assert _wire(saved) == {
        "__typename": "PreferenceSet",
        "id": "default",
        "channel_types": {"email": True, "sms": US_ONLY},
        "channels": {channel_id: False},
        "categories": {"marketing": False, "transactional": {"channel_types": {"email": False}}},
        "workflows": {"new-comment": {"channel_types": {"push": False}, "conditions": US_ONLY["conditions"]}},
        "commercial_subscribed": True,
    }
    assert saved.channel_types is not None and saved.channel_types.sms is not None
    assert not isinstance(saved.channel_types.sms, bool)
    assert [condition.argument for condition in saved.channel_types.sms.conditions] == ["US"]
    assert fetched == saved
    # and the replace dropped every key it did not send, as a read confirms
    assert _wire(replaced) == {**_empty("default"), "channel_types": {"push": False}}
    assert knock.users.get_preferences(user_id, "default") == replaced
    # and setting created the user
    assert knock.users.get(user_id).id == user_id


def test_merge_deep_merges_into_the_stored_set(knock: Knock, new_user_id: NewId) -> None:
    # Given a stored set with nested settings and a list of conditions
    user_id = new_user_id("sdk-pref-merge")
    knock.users.set_preferences(
        user_id,
        "default",
        channel_types={"email": True, "sms": False},
        workflows={
            "new-comment": {"channel_types": {"email": True, "push": False}},
            "digest": {"conditions": US_ONLY["conditions"]},
            "weekly": True,
        },
        commercial_subscribed=True,
    )

    # When a set is merged that changes one nested key, replaces a list and a leaf, and adds a workflow
    merged = knock.users.set_preferences(
        user_id,
        "default",
        _persistence_strategy="merge",
        workflows={
            "new-comment": {"channel_types": {"push": True}},
            "digest": {"conditions": [{"variable": "recipient.plan", "operator": "exists", "argument": None}]},
            "weekly": {"channel_types": {"sms": False}},
            "launch": False,
        },
    )

    # Then objects were merged key by key (email kept beside the new push), lists and leaves replaced,
    # and the keys not sent (channel_types, commercial_subscribed) were kept
    assert _wire(merged) == {
        **_empty("default"),
        "channel_types": {"email": True, "sms": False},
        "workflows": {
            "new-comment": {"channel_types": {"email": True, "push": True}},
            "digest": {"conditions": [{"variable": "recipient.plan", "operator": "exists", "argument": None}]},
            "weekly": {"channel_types": {"sms": False}},
            "launch": False,
        },
        "commercial_subscribed": True,
    }
    assert knock.users.get_preferences(user_id, "default") == merged


def test_merge_into_a_set_never_written_stores_what_was_sent(knock: Knock, new_user_id: NewId) -> None:
    user_id = new_user_id("sdk-pref-merge-new")

    merged = knock.users.set_preferences(user_id, "default", _persistence_strategy="merge", categories={"news": False})

    assert _wire(merged) == {**_empty("default"), "categories": {"news": False}}
    assert knock.users.get_preferences(user_id, "default") == merged


def test_list_answers_default_first_and_unset_removes_one_set(knock: Knock, new_user_id: NewId) -> None:
    # Given a user with three sets, written out of order
    user_id = new_user_id("sdk-pref-list")
    for set_id in ("tenant-zeta", "default", "tenant-alpha"):
        knock.users.set_preferences(user_id, set_id, workflows={set_id: True})

    # When they are listed, then one is unset through the SDK (twice: a 204 each time)
    listed = knock.users.list_preferences(user_id)
    knock.users.unset_preferences(user_id, "tenant-zeta")
    knock.users.unset_preferences(user_id, "tenant-zeta")

    # Then the list is PreferenceSets, default first, each with what was written
    assert [(entry.id, entry.workflows) for entry in listed] == [
        ("default", {"default": True}),
        ("tenant-alpha", {"tenant-alpha": True}),
        ("tenant-zeta", {"tenant-zeta": True}),
    ]
    assert all((entry.model_extra or {}).get("__typename") == "PreferenceSet" for entry in listed)
    # and the unset set is gone (reading it answers an empty set), the others kept
    assert [entry.id for entry in knock.users.list_preferences(user_id)] == ["default", "tenant-alpha"]
    assert _wire(knock.users.get_preferences(user_id, "tenant-zeta")) == _empty("tenant-zeta")
    assert knock.users.get_preferences(user_id, "tenant-alpha").workflows == {"tenant-alpha": True}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (
            {"channel_types": {"sms": {"conditions": [{"variable": "x", "operator": "bogus", "argument": "1"}]}}},
            "channel_types.sms.conditions.0.operator",
        ),
        ({"channel_types": {"sms": "yes"}}, "channel_types.sms"),
        ({"channels": {"not-a-uuid": True}}, "channels.not-a-uuid"),
        ({"workflows": {"new-comment": {"channel_types": {"email": 1}}}}, "workflows.new-comment.channel_types.email"),
    ],
    ids=["operator", "setting", "channel-id", "nested-setting"],
)
def test_a_malformed_set_raises_unprocessable_entity_naming_the_field(
    knock: Knock, new_user_id: NewId, fields: Any, field: str
) -> None:
    # Given a user with a stored set
    user_id = new_user_id("sdk-pref-invalid")
    knock.users.set_preferences(user_id, "default", categories={"news": True})

    # When a malformed set is sent, with either strategy
    for strategy in ("replace", "merge"):
        with pytest.raises(knockapi.UnprocessableEntityError) as raised:
            knock.users.set_preferences(user_id, "default", _persistence_strategy=strategy, **fields)

        # Then the 422 names the field, and the stored set is unchanged
        body = raised.value.body
        assert isinstance(body, dict) and body["code"] == "invalid_params"
        assert [error["field"] for error in body["errors"]] == [field]
    assert _wire(knock.users.get_preferences(user_id, "default")) == {**_empty("default"), "categories": {"news": True}}


def test_objects_preferences_set_merge_get_list_and_unset(knock: Knock, new_collection: NewId) -> None:
    # Given a collection where no object was set
    collection = new_collection("sdk-pref-objects")

    # When an object's sets are written through the SDK: one replaced then merged, one per tenant
    empty = knock.objects.get_preferences(collection, "proj_1", "default")
    knock.objects.set_preferences(
        collection, "proj_1", "default", categories={"alerts": {"channel_types": {"email": False, "sms": True}}}
    )
    merged = knock.objects.set_preferences(
        collection,
        "proj_1",
        "default",
        _persistence_strategy="merge",
        categories={"alerts": {"channel_types": {"sms": False}}},
        commercial_subscribed=False,
    )
    knock.objects.set_preferences(collection, "proj_1", "tenant-acme", channel_types={"chat": False})
    listed = knock.objects.list_preferences(collection, "proj_1")
    with_tenant = knock.objects.get_preferences(collection, "proj_1", "default", extra_query={"tenant": "tenant-acme"})

    # Then the first read was an empty set, the merge kept the nested key it did not send
    assert _wire(empty) == _empty("default")
    assert _wire(merged) == {
        **_empty("default"),
        "categories": {"alerts": {"channel_types": {"email": False, "sms": False}}},
        "commercial_subscribed": False,
    }
    # and read for a tenant with no defaults, the default set is the object's own set for that tenant
    assert _wire(with_tenant) == {**_empty("default"), "channel_types": {"chat": False}}
    assert [entry.id for entry in listed] == ["default", "tenant-acme"]
    assert listed[1].channel_types is not None and listed[1].channel_types.chat is False
    # and setting created the object, with no properties
    assert knock.objects.get(collection, "proj_1").properties == {}

    # When the default set is unset
    knock.objects.unset_preferences(collection, "proj_1", "default")

    # Then it reads empty and only the tenant's set is listed
    assert _wire(knock.objects.get_preferences(collection, "proj_1", "default")) == _empty("default")
    assert [entry.id for entry in knock.objects.list_preferences(collection, "proj_1")] == ["tenant-acme"]


def test_bulk_set_preferences_replaces_the_set_of_every_user(knock: Knock, new_user_id: NewId) -> None:
    # Given three users, one with a default set holding other keys and a tenant set
    ids = [new_user_id(f"sdk-pref-bulk-{index}") for index in range(3)]
    knock.users.set_preferences(ids[0], "default", workflows={"old": True}, channel_types={"email": False})
    knock.users.set_preferences(ids[0], "tenant-acme", workflows={"tenant": True})

    # When one set is bulk-set for them (and an id the rules refuse), and the operation polled
    queued = knock.users.bulk.set_preferences(
        user_ids=[*ids, "bad#id"],
        preferences={"channel_types": {"sms": False}, "categories": {"marketing": {"channel_types": {"email": False}}}},
    )
    finished = wait_for_operation(knock, queued.id)

    # Then the SDK parses the BulkOperation, counts are exact and the bad id is listed with why
    assert (queued.api_typename, queued.name, queued.status) == (
        "BulkOperation",
        "users.bulk_set_preferences",
        "queued",
    )
    assert (finished.status, finished.success_count, finished.error_count) == ("completed", 3, 1)
    assert finished.error_items is not None
    assert [item.id for item in finished.error_items] == ["bad#id"]
    assert "#" in (finished.error_items[0].model_extra or {})["reason"]
    # and every user's default set is exactly the one sent (the first user's own keys replaced), other sets kept
    expected = {
        **_empty("default"),
        "channel_types": {"sms": False},
        "categories": {"marketing": {"channel_types": {"email": False}}},
    }
    for user_id in ids:
        assert _wire(knock.users.get_preferences(user_id, "default")) == expected
    assert knock.users.get_preferences(ids[0], "tenant-acme").workflows == {"tenant": True}


def test_bulk_set_preferences_with_a_set_id_writes_that_set(knock: Knock, new_user_id: NewId) -> None:
    ids = [new_user_id(f"sdk-pref-bulk-tenant-{index}") for index in range(2)]
    knock.users.set_preferences(ids[0], "default", workflows={"kept": True})

    finished = wait_for_operation(
        knock,
        knock.users.bulk.set_preferences(user_ids=ids, preferences={"id": "tenant-acme", "workflows": {"w": False}}).id,
    )

    assert (finished.status, finished.success_count, finished.error_count) == ("completed", 2, 0)
    assert [entry.id for entry in knock.users.list_preferences(ids[0])] == ["default", "tenant-acme"]
    assert knock.users.get_preferences(ids[0], "default").workflows == {"kept": True}
    assert _wire(knock.users.get_preferences(ids[1], "tenant-acme")) == {
        **_empty("tenant-acme"),
        "workflows": {"w": False},
    }
    assert knock.users.list_preferences(ids[1])[0].id == "tenant-acme"


def test_users_list_include_preferences_side_loads_every_set(knock: Knock, new_user_id: NewId) -> None:
    # Given a user with two sets and one with none
    with_sets, without = new_user_id("sdk-pref-include"), new_user_id("sdk-pref-include-none")
    knock.users.set_preferences(with_sets, "default", channel_types={"email": False})
    knock.users.set_preferences(with_sets, "tenant-acme", workflows={"w": True})
    knock.users.update(without, name="None")

    # When users are listed through the SDK with include=["preferences"], and without it
    included = {user.id: user for user in knock.users.list(include=["preferences"], page_size=50)}
    plain = {user.id: user for user in knock.users.list(page_size=50)}

    # Then each listed user carries its sets by id (an unknown field, in model_extra), the plain list none
    preferences = (included[with_sets].model_extra or {})["preferences"]
    assert preferences == {
        "default": {**_empty("default"), "channel_types": {"email": False}},
        "tenant-acme": {**_empty("tenant-acme"), "workflows": {"w": True}},
    }
    assert list(preferences) == ["default", "tenant-acme"]
    assert (included[without].model_extra or {})["preferences"] == {}
    assert "preferences" not in (plain[with_sets].model_extra or {})


def test_objects_list_include_preferences_side_loads_every_set(knock: Knock, new_collection: NewId) -> None:
    collection = new_collection("sdk-pref-include-objects")
    knock.objects.set_preferences(collection, "p1", "default", commercial_subscribed=False)
    knock.objects.set(collection, "p2", name="No sets")

    included = {entry.id: entry for entry in knock.objects.list(collection, include=["preferences"])}
    plain = list(knock.objects.list(collection))

    assert (included["p1"].model_extra or {})["preferences"] == {
        "default": {**_empty("default"), "commercial_subscribed": False}
    }
    assert (included["p2"].model_extra or {})["preferences"] == {}
    assert all("preferences" not in (entry.model_extra or {}) for entry in plain)


def test_identify_with_channel_data_and_preferences_reads_back_through_their_own_calls(
    knock: Knock, new_user_id: NewId
) -> None:
    # Given a user identified with channel data and a preference set inline
    user_id, channel_id = new_user_id("sdk-pref-inline"), str(uuid.uuid4())
    identified = knock.users.update(
        user_id,
        name="Ada",
        channel_data={channel_id: {"tokens": ["inline-1"]}},
        preferences={
            "default": {"categories": {"marketing": {"channel_types": {"email": False, "sms": True}}}},
            "tenant-acme": {"channel_types": {"push": False}},
        },
    )

    # When it is identified again with a preference set that changes one nested key, then without preferences
    knock.users.update(
        user_id,
        preferences={"default": {"categories": {"marketing": {"channel_types": {"sms": False}}, "news": True}}},
    )
    knock.users.update(user_id, email="ada@example.com")

    # Then identify echoes neither, and the channel data and sets read back through their own calls:
    # the inline set deep-merged (email kept beside the new sms), the other set kept
    assert not {"channel_data", "preferences"} & (identified.model_extra or {}).keys()
    assert knock.users.get_channel_data(user_id, channel_id).data.to_dict() == {
        "tokens": ["inline-1"],
        "devices": [{"token": "inline-1", "locale": None, "timezone": None}],
    }
    assert _wire(knock.users.get_preferences(user_id, "default")) == {
        **_empty("default"),
        "categories": {"marketing": {"channel_types": {"email": False, "sms": False}}, "news": True},
    }
    assert [entry.id for entry in knock.users.list_preferences(user_id)] == ["default", "tenant-acme"]
    assert knock.users.get(user_id).email == "ada@example.com"


def test_identify_with_a_malformed_inline_set_names_the_field_and_writes_nothing(
    knock: Knock, new_user_id: NewId
) -> None:
    user_id = new_user_id("sdk-pref-inline-invalid")

    with pytest.raises(knockapi.UnprocessableEntityError) as raised:
        knock.users.update(user_id, name="Ada", preferences={"default": {"channel_types": {"sms": "yes"}}})  # type: ignore[typeddict-item]

    assert isinstance(raised.value.body, dict)
    assert [error["field"] for error in raised.value.body["errors"]] == ["preferences.default.channel_types.sms"]
    with pytest.raises(knockapi.NotFoundError):
        knock.users.get(user_id)


def test_objects_set_and_bulk_set_with_inline_preferences_deep_merge(knock: Knock, new_collection: NewId) -> None:
    # Given an object set with an inline preference set
    collection = new_collection("sdk-pref-inline-objects")
    knock.objects.set(
        collection, "p1", preferences={"default": {"workflows": {"w": {"channel_types": {"email": False}}}}}
    )

    # When it is set again, and bulk set, each with another nested key of the same workflow
    knock.objects.set(
        collection, "p1", preferences={"default": {"workflows": {"w": {"channel_types": {"sms": False}}}}}
    )
    finished = wait_for_operation(
        knock,
        knock.objects.bulk.set(
            collection,
            objects=[{"id": "p1", "preferences": {"default": {"workflows": {"w": {"channel_types": {"push": True}}}}}}],
        ).id,
    )

    # Then every write merged into the set
    assert (finished.status, finished.success_count) == ("completed", 1)
    assert knock.objects.get_preferences(collection, "p1", "default").to_dict()["workflows"] == {
        "w": {"channel_types": {"email": False, "sms": False, "push": True}}
    }


def test_bulk_identify_with_inline_preferences_deep_merges(knock: Knock, new_user_id: NewId) -> None:
    user_id = new_user_id("sdk-pref-bulk-inline")
    knock.users.update(user_id, preferences={"default": {"channel_types": {"email": False}}})

    finished = wait_for_operation(
        knock,
        knock.users.bulk.identify(
            users=[{"id": user_id, "preferences": {"default": {"channel_types": {"sms": False}}}}]
        ).id,
    )

    assert (finished.status, finished.success_count) == ("completed", 1)
    assert knock.users.get_preferences(user_id, "default").to_dict()["channel_types"] == {"email": False, "sms": False}


def test_trigger_with_an_inline_recipient_merges_its_preferences(knock: Knock, new_user_id: NewId) -> None:
    user_id = new_user_id("sdk-pref-trigger")
    knock.users.set_preferences(user_id, "default", channel_types={"email": False})

    knock.workflows.trigger(
        "new-comment", recipients=[{"id": user_id, "preferences": {"default": {"channel_types": {"push": False}}}}]
    )

    assert knock.users.get_preferences(user_id, "default").to_dict()["channel_types"] == {"email": False, "push": False}
