"""From a stream record to its change event (recipients.changes.mapping): every item kind that belongs
to a recipient, bookkeeping ignored, and the items that make no event. Pure: records are built here
in the shape Lambda delivers."""

from __future__ import annotations

from typing import Any

import pytest

from recipients.changes.consumer import SOURCE
from recipients.changes.mapping import CREATED, DELETED, UPDATED, Change, change_of, order_key
from recipients.workflows.bus import SOURCE as WORKFLOW_SOURCE

SEQUENCE = "4200000000000000000001"


def record(event_name: str, pk: str, old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> dict:
    stream: dict[str, Any] = {"Keys": {"pk": {"S": pk}}, "SequenceNumber": SEQUENCE}
    if old is not None:
        stream["OldImage"] = {"pk": {"S": pk}, **old}
    if new is not None:
        stream["NewImage"] = {"pk": {"S": pk}, **new}
    return {"eventID": "e1", "eventName": event_name, "dynamodb": stream}


def user(at: str = "2025-01-01T00:00:00Z", **attributes: str) -> dict[str, Any]:
    """A user's item as identity.store writes it: keys, list position, updated_at and `prefix:name` attributes."""
    item = {"id": {"S": "ada"}, "list_pk": {"S": "user#03"}, "list_sk": {"S": "ada"}, "updated_at": {"S": at}}
    return item | {name.replace("__", ":"): {"S": text} for name, text in attributes.items()}


def subscription(properties: str | None = None, at: str = "2025-01-01T00:00:00Z") -> dict[str, Any]:
    item = {
        "object_key": {"S": "obj#projects#apollo"},
        "recipient_key": {"S": "user#ada"},
        "inserted_at": {"S": "2025-01-01T00:00:00Z"},
        "updated_at": {"S": at},
        "list_pk": {"S": "subof#user#ada"},
        "list_sk": {"S": "2025-01-01T00:00:00Z/obj#projects#apollo"},
    }
    return item if properties is None else item | {"properties": {"S": properties}}


def test_source_is_the_workflow_events_source() -> None:
    assert SOURCE == WORKFLOW_SOURCE


def test_inserted_user_is_created_with_the_names_of_its_keys_only() -> None:
    new = user(prop__email='"ada@example.com"', prop__name='"Ada"', chan__push='{"tokens":["t"]}')
    change = change_of(record("INSERT", "user#ada", new=new))
    assert change == Change(
        CREATED,
        {"recipient": "ada", "changed": ["channel_data.push", "email", "name"], "order_key": order_key(SEQUENCE)},
    )
    assert "ada@example.com" not in str(change)


def test_modified_user_names_the_keys_whose_values_differ_set_or_removed() -> None:
    old = user(prop__name='"Ada"', prop__timezone='"UTC"', pref__default='{"workflows":{}}')
    new = user(at="2025-01-02T00:00:00Z", prop__name='"Ada"', prop__timezone='"Europe/Paris"', chan__sms='{"a":1}')
    change = change_of(record("MODIFY", "user#ada", old=old, new=new))
    assert change is not None
    assert change.detail_type == UPDATED
    assert change.detail["changed"] == ["channel_data.sms", "preferences.default", "timezone"]


def test_write_that_changes_only_bookkeeping_makes_no_event() -> None:
    old = user(prop__name='"Ada"')
    new = user(at="2025-01-02T00:00:00Z", prop__name='"Ada"') | {"list_pk": {"S": "user#03"}}
    assert change_of(record("MODIFY", "user#ada", old=old, new=new)) is None


def test_removed_user_is_deleted_naming_the_keys_it_had() -> None:
    change = change_of(record("REMOVE", "user#ada", old=user(prop__name='"Ada"')))
    assert change == Change(DELETED, {"recipient": "ada", "changed": ["name"], "order_key": order_key(SEQUENCE)})


def test_object_is_named_by_collection_and_id() -> None:
    change = change_of(record("INSERT", "obj#projects#apollo", new={"collection": {"S": "projects"}}))
    assert change is not None
    assert change.detail["recipient"] == {"collection": "projects", "id": "apollo"}
    assert change.detail["changed"] == []


def test_tenant_is_the_object_of_collection_tenants_and_its_settings_are_named() -> None:
    old = {"collection": {"S": "$tenants"}, "prop:name": {"S": '"Acme"'}}
    new = old | {"tset:branding": {"S": '{"primary_color":"#000"}'}}
    change = change_of(record("MODIFY", "obj#$tenants#acme", old=old, new=new))
    assert change is not None
    assert change.detail["recipient"] == {"collection": "$tenants", "id": "acme"}
    assert change.detail["changed"] == ["settings.branding"]


def test_subscriber_side_of_a_new_subscription_updates_the_subscriber() -> None:
    change = change_of(record("INSERT", "subof#user#ada/obj#projects#apollo", new=subscription()))
    assert change == Change(
        UPDATED,
        {
            "recipient": "ada",
            "changed": ["subscriptions"],
            "order_key": order_key(SEQUENCE),
            "object": {"collection": "projects", "id": "apollo"},
            "subscribed": True,
        },
    )


def test_removed_subscription_says_it_is_no_longer_subscribed() -> None:
    change = change_of(record("REMOVE", "subof#user#ada/obj#projects#apollo", old=subscription()))
    assert change is not None
    assert change.detail["subscribed"] is False


def test_resubscribing_with_the_same_properties_makes_no_event_and_with_others_one() -> None:
    pk = "subof#user#ada/obj#projects#apollo"
    same = record("MODIFY", pk, old=subscription('{"a":1}'), new=subscription('{"a":1}', at="2025-01-02T00:00:00Z"))
    other = record("MODIFY", pk, old=subscription('{"a":1}'), new=subscription('{"a":2}'))
    assert change_of(same) is None
    assert change_of(other) is not None


@pytest.mark.parametrize(
    "pk",
    [
        "sub#obj#projects#apollo/user#ada",  # the object's side of the same subscription
        "run#r1",
        "bulkop#op1",
        "bulkerr#op1#0",
        "claim#r1/user#ada",
        "aud#vip",
        "audmem#vip#ada#",
        "streamchk#e1",
        "cancel#wf#key",
    ],
)
def test_items_that_are_not_a_recipients_make_no_event(pk: str) -> None:
    assert change_of(record("INSERT", pk, new={"anything": {"S": "x"}})) is None


def test_values_are_the_new_values_when_asked_for_and_null_for_a_removed_key() -> None:
    old = user(prop__name='"Ada"', chan__sms='{"number":"+15551234567"}')
    new = user(at="2025-01-02T00:00:00Z", prop__name='"Ada L."', prop__score="12345678901234567890")
    change = change_of(record("MODIFY", "user#ada", old=old, new=new), with_values=True)
    assert change is not None
    assert change.detail["values"] == {"channel_data.sms": None, "name": "Ada L.", "score": 12345678901234567890}


def test_deleted_events_carry_no_values_even_when_asked_for() -> None:
    change = change_of(record("REMOVE", "user#ada", old=user(prop__name='"Ada"')), with_values=True)
    assert change is not None
    assert "values" not in change.detail


def test_order_keys_compare_as_their_sequence_numbers() -> None:
    assert order_key("999") < order_key("1000") < order_key("1" * 40)
    assert len(order_key("5")) == 40
