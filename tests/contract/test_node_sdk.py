"""The official Node SDK, @knocklabs/node, pointed at the API with baseURL, works unchanged.

Each test runs one scenario of tests/contract/node/scenarios/ (one Node process, several calls) and
asserts on the JSON it answers; tests/contract/node_sdk.py runs them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]
NodeSdk = Callable[..., Any]
CREATED_AT = datetime(2024, 5, 22, 12, 0, tzinfo=UTC)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _knock_error(outcome: dict[str, Any], error_class: str, status: int, code: str) -> dict[str, Any]:
    """The error of an `attempt()` outcome, after checking its class, status and Knock-shaped body."""
    assert "error" in outcome, f"expected {error_class}, the call answered {outcome}"
    error = outcome["error"]
    assert (error["class"], error["status"]) == (error_class, status)
    body = error["body"]
    assert {"code", "message", "status", "type"} <= body.keys()
    assert (body["code"], body["status"]) == (code, status)
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_identify_merges_custom_properties_and_ids_round_trip(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given ids for a user, a user renamed twice, and an id with characters the SDK percent-encodes
    user_id, renamed_id = new_user_id("node-update"), new_user_id("node-rename")
    encoded_id = f"node \u00fcser:{uuid.uuid4().hex[:12]}@+!%"

    # When users.update identifies them with reserved fields and custom properties, and users.get reads them
    result = node_sdk(
        "users-identify",
        {"userId": user_id, "createdAt": CREATED_AT.isoformat(), "encodedId": encoded_id, "renamedId": renamed_id},
    )

    # Then custom keys ride beside the reserved fields and merge shallowly, the read equals the last write
    first, merged = result["first"], result["merged"]
    assert (first["__typename"], first["id"], first["name"], first["plan"]) == ("User", user_id, "Ada", "pro")
    assert merged["prefs"] == {"theme": "dark"}
    assert (merged["name"], merged["email"], merged["plan"], merged["seats"]) == ("Ada", "ada@example.com", "pro", 3)
    assert _instant(merged["created_at"]) == CREATED_AT
    assert _instant(merged["updated_at"]).tzinfo is not None
    assert result["fetched"] == merged
    # and the encoded id is stored as given, and each call's own Idempotency-Key lets the second rename land
    assert result["encodedId"] == encoded_id
    assert result["renamedName"] == "Second"


def test_list_first_page_and_auto_pagination(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given five identified users
    created = [new_user_id("node-list") for _ in range(5)]

    # When users.list reads one page of one, then iterates pages of two with for await
    result = node_sdk("users-list", {"userIds": created})

    # Then the page has one entry and a cursor, and iteration meets every created user, none twice
    page = result["firstPage"]
    assert (page["entries"], page["hasNextPage"]) == (1, True)
    assert page["pageInfo"]["after"]
    assert page["pageInfo"]["page_size"] == 1
    listed = result["listedIds"]
    assert set(created) <= set(listed)
    assert len(listed) == len(set(listed))


def test_delete_then_get_and_merge_raise_not_found_for_what_is_gone(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given a user to delete, and a user and a guest to merge
    doomed, user_id, guest_id = new_user_id("node-delete"), new_user_id("node-merge-user"), new_user_id("node-guest")

    # When the first is deleted and the guest merged into the user
    result = node_sdk("users-delete-merge", {"doomedId": doomed, "userId": user_id, "guestId": guest_id})

    # Then delete answers nothing (a 204) and reading it is a NotFoundError with a Knock body
    assert result["deleted"] == {"value": None}
    body = _knock_error(result["afterDelete"], "NotFoundError", 404, "resource_missing")
    assert body["type"] == "invalid_request_error"
    # and the merged user kept its name and took the guest's email and custom keys; the guest is gone
    merged = result["merged"]
    assert (merged["id"], merged["name"], merged["email"], merged["cart"]) == (
        user_id,
        "Ada",
        "guest@example.com",
        [1],
    )
    _knock_error(result["guestAfterMerge"], "NotFoundError", 404, "resource_missing")


def test_bad_input_and_bad_keys_raise_the_sdk_error_classes(
    node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given a new user id and collection
    user_id, collection = new_user_id("node-invalid"), new_collection("node-invalid")

    # When invalid fields are sent, and clients with an unknown secret key and with a public key call
    public_api_key = os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or "pk_test_local"
    result = node_sdk("errors", {"userId": user_id, "collection": collection, "publicApiKey": public_api_key})

    # Then a 422 is an UnprocessableEntityError whose body names the field, and nothing was written
    invalid = _knock_error(result["invalidEmail"], "UnprocessableEntityError", 422, "invalid_params")
    assert [error["field"] for error in invalid["errors"]] == ["email"]
    assert all(isinstance(error["message"], str) for error in invalid["errors"])
    _knock_error(result["notWritten"], "NotFoundError", 404, "resource_missing")
    for outcome, field in ((result["reservedCollection"], "collection"), (result["badTimezone"], "timezone")):
        assert "error" in outcome, outcome
        assert (outcome["error"]["class"], outcome["error"]["status"]) == ("UnprocessableEntityError", 422)
        assert [error["field"] for error in outcome["error"]["body"]["errors"]] == [field]
    # and keys the API refuses (the SDK sends them as Authorization: Bearer) are a 401 and a 403
    unknown = _knock_error(result["unknownKey"], "AuthenticationError", 401, "authentication_required")
    assert unknown["type"] == "authentication_error"
    public = _knock_error(result["publicKey"], "PermissionDeniedError", 403, "incorrect_token_type")
    assert public["type"] == "authentication_error"


def test_objects_set_get_list_and_delete(node_sdk: NodeSdk, new_collection: NewId) -> None:
    # Given four collections: one to set and delete in, one with an encoded name, one to list, and another
    collection, listed, other = new_collection("node-projects"), new_collection("node-list"), new_collection("node-x")
    encoded_collection = new_collection("node enc:@")
    encoded_id = f"obj \u00fcn\u00efc\u00f8d\u00e9:{uuid.uuid4().hex[:12]}@+!%"

    # When objects are set, read, listed and deleted through the Node SDK
    result = node_sdk(
        "objects",
        {
            "collection": collection,
            "other": other,
            "encodedCollection": encoded_collection,
            "encodedId": encoded_id,
            "listed": listed,
            "createdAt": CREATED_AT.isoformat(),
        },
    )

    # Then a second set merges shallowly into properties (nested objects replaced whole)
    merged = result["merged"]
    assert (merged["__typename"], merged["id"], merged["collection"]) == ("Object", "proj_1", collection)
    assert merged["properties"] == {
        "name": "Apollo",
        "timezone": "America/New_York",
        "budget": 100,
        "meta": {"a": 9},
        "seats": 3,
    }
    assert merged["created_at"] is None
    # and a read answers what the write did, created_at the same instant; encoded names are stored as given
    assert result["fetched"] == result["saved"]
    assert _instant(result["fetched"]["created_at"]) == CREATED_AT
    assert result["fetched"]["properties"] == {"name": "Gemini"}
    assert result["encoded"] == {"collection": encoded_collection, "id": encoded_id}
    # and listing pages through its own collection only, each object once with its properties
    assert result["firstPage"] == {"entries": 2, "hasNextPage": True}
    entries = result["entries"]
    assert sorted(entry["id"] for entry in entries) == [f"p{index}" for index in range(5)]
    assert all((entry["collection"], entry["properties"]) == (listed, {"n": entry["id"]}) for entry in entries)
    assert result["withPreferencesIds"] == ["p0"]
    # and delete answers nothing, after which reading or deleting again is a NotFoundError
    assert result["deleted"] == {"value": None}
    _knock_error(result["afterDelete"], "NotFoundError", 404, "resource_missing")
    _knock_error(result["deletedAgain"], "NotFoundError", 404, "resource_missing")


def test_bulk_operations_polled_until_completed(node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId) -> None:
    # Given 24 users and 19 objects to write in bulk (each with a row the rules refuse), and 3 of each to delete
    identify_ids = [new_user_id(f"node-bulk-{index}") for index in range(24)]
    delete_ids = [new_user_id(f"node-bulk-delete-{index}") for index in range(3)]
    set_collection, delete_collection = new_collection("node-bulk"), new_collection("node-bulk-delete")

    # When users.bulk.identify/delete and objects.bulk.set/delete run and bulkOperations.get polls each
    result = node_sdk(
        "bulk",
        {
            "identifyIds": identify_ids,
            "deleteIds": delete_ids,
            "setCollection": set_collection,
            "deleteCollection": delete_collection,
        },
    )

    # Then bulk identify was queued for 25 rows and completed with exact counts, the bad row saying why
    identify = result["usersIdentify"]
    assert (identify["queued"]["__typename"], identify["queued"]["status"]) == ("BulkOperation", "queued")
    assert identify["queued"]["estimated_total_rows"] == 25
    finished = identify["finished"]
    assert (finished["status"], finished["processed_rows"], finished["success_count"], finished["error_count"]) == (
        "completed",
        25,
        24,
        1,
    )
    assert [item["id"] for item in finished["error_items"]] == ["bad#id"]
    assert "#" in finished["error_items"][0]["reason"]
    assert (identify["seventh"]["id"], identify["seventh"]["rank"]) == (identify_ids[7], 7)
    # and bulk delete removed every user it named
    assert (result["usersDelete"]["finished"]["status"], result["usersDelete"]["finished"]["success_count"]) == (
        "completed",
        3,
    )
    for outcome in result["usersDelete"]["afterwards"]:
        _knock_error(outcome, "NotFoundError", 404, "resource_missing")
    # and objects bulk set completed with exact counts, its bad row naming its collection
    objects = result["objectsSet"]
    assert (objects["queued"]["name"], objects["queued"]["status"], objects["queued"]["estimated_total_rows"]) == (
        "objects.bulk_set",
        "queued",
        20,
    )
    finished = objects["finished"]
    assert (finished["status"], finished["processed_rows"], finished["success_count"], finished["error_count"]) == (
        "completed",
        20,
        19,
        1,
    )
    assert [(item["id"], item["collection"]) for item in finished["error_items"]] == [("bad#id", set_collection)]
    assert objects["seventh"]["properties"] == {"name": "Project 7", "rank": 7}
    # and objects bulk delete left the collection empty
    deleted = result["objectsDelete"]
    assert (deleted["finished"]["name"], deleted["finished"]["status"], deleted["finished"]["success_count"]) == (
        "objects.bulk_delete",
        "completed",
        3,
    )
    assert deleted["left"] == []


def test_trigger_cancel_and_idempotent_replay(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given an identified user's id, ids for inline recipients and an idempotency key
    ids = {
        name: new_user_id(f"node-{name}")
        for name in ("knownId", "inlineId", "projectId", "badInlineId", "replayInlineId", "idempotencyKey")
    }

    # When workflows are triggered and cancelled through the Node SDK
    result = node_sdk("workflows", ids)

    # Then a trigger answers a run id, after identifying its inline user, and cancel answers nothing
    assert result["triggered"]["workflow_run_id"]
    assert result["inlineEmail"] == "inline@example.com"
    assert result["cancelled"] == {"value": None}
    # and a bad inline recipient is a 422 naming it, with nothing identified
    bad = _knock_error(result["badInline"], "UnprocessableEntityError", 422, "invalid_params")
    assert bad["errors"][0]["field"] == "recipients.1.email"
    _knock_error(result["badInlineAfter"], "NotFoundError", 404, "resource_missing")
    # and a repeat with the same idempotencyKey replays the first run; another body with it is refused
    replay = result["replay"]
    assert replay["replayed"] == replay["first"]
    assert replay["headers"]["idempotent-replayed"] == "true"
    assert replay["headers"]["original-x-request-id"] != replay["headers"]["x-request-id"]
    _knock_error(result["reused"], "UnprocessableEntityError", 422, "idempotency_key_reused")


def _empty_set(set_id: str) -> dict[str, Any]:
    keys = ("categories", "channel_types", "channels", "workflows", "commercial_subscribed")
    return {"__typename": "PreferenceSet", "id": set_id, **dict.fromkeys(keys)}


def test_channel_data_set_get_replace_and_unset(node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId) -> None:
    # Given user ids nobody identified, a collection, a push and a chat channel
    user_id, bad_user_id, collection = new_user_id("node-cd"), new_user_id("node-cd-bad"), new_collection("node-cd")
    push, chat, teams_tenant = (str(uuid.uuid4()) for _ in range(3))

    # When channel data is set, read, replaced and unset through the Node SDK
    result = node_sdk(
        "channel-data",
        {
            "userId": user_id,
            "badUserId": bad_user_id,
            "collection": collection,
            "pushChannel": push,
            "chatChannel": chat,
            "teamsTenant": teams_tenant,
        },
    )

    # Then push tokens come back in both forms, the read equals the write, and the set created the user
    assert result["tokens"] == {
        "__typename": "ChannelData",
        "channel_id": push,
        "data": {
            "tokens": ["node-1", "node-2"],
            "devices": [
                {"token": "node-1", "locale": None, "timezone": None},
                {"token": "node-2", "locale": None, "timezone": None},
            ],
        },
    }
    assert result["tokensRead"] == result["tokens"]
    assert result["createdUser"]["value"]["id"] == user_id
    # and a second set replaced the data whole: only the device sent, with its locale and timezone
    assert result["replaced"]["data"] == {
        "tokens": ["node-3"],
        "devices": [{"token": "node-3", "locale": "de-DE", "timezone": "Europe/Berlin"}],
    }
    # and chat data is echoed as sent; unsetting answers nothing twice, then reading is a NotFoundError
    assert result["slack"]["answered"]["data"] == result["slack"]["sent"]
    assert result["unset"] == result["unsetAgain"] == {"value": None}
    _knock_error(result["afterUnset"], "NotFoundError", 404, "resource_missing")
    assert result["pushKept"] == result["replaced"]
    # and malformed data is an UnprocessableEntityError naming the field, with nothing written
    malformed = _knock_error(result["malformed"], "UnprocessableEntityError", 422, "invalid_params")
    assert [error["field"] for error in malformed["errors"]] == ["data.tokens.0"]
    _knock_error(result["malformedUser"], "NotFoundError", 404, "resource_missing")
    # and objects do the same: the set created the object, data read back, unset then NotFoundError
    project = result["object"]
    assert (project["answered"]["channel_id"], project["answered"]["data"]) == (chat, project["sent"])
    assert project["read"] == project["answered"]
    assert project["push"]["data"]["devices"] == [{"token": "obj-1", "locale": None, "timezone": None}]
    assert project["created"] == {"id": "proj_1", "collection": collection, "properties": {}}
    assert project["unset"] == {"value": None}
    _knock_error(project["afterUnset"], "NotFoundError", 404, "resource_missing")


def test_preferences_replace_merge_list_unset_and_bulk(
    node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given a user id, a collection and three users to bulk-set
    user_id, collection = new_user_id("node-pref"), new_collection("node-pref")
    bulk_ids = [new_user_id(f"node-pref-bulk-{index}") for index in range(3)]

    # When preference sets are read, replaced, merged, listed and unset, and bulk-set, through the Node SDK
    result = node_sdk("preferences", {"userId": user_id, "collection": collection, "bulkIds": bulk_ids})

    # Then a set never written is empty; a replace answers the set as sent, its condition included
    users = result["users"]
    us_only = {"conditions": [{"variable": "recipient.country_code", "operator": "equal_to", "argument": "US"}]}
    assert users["empty"] == _empty_set("default")
    assert users["replaced"] == {
        **_empty_set("default"),
        "channel_types": {"email": True, "sms": us_only},
        "workflows": {"new-comment": {"channel_types": {"email": False, "push": False}}},
        "commercial_subscribed": True,
    }
    # and a merge deep-merged: the nested email kept beside the new push, keys not sent kept
    assert users["merged"] == {
        **users["replaced"],
        "workflows": {"new-comment": {"channel_types": {"email": False, "push": True}}, "digest": False},
    }
    # and the default set read for a tenant with no defaults is the user's own set for that tenant
    assert users["withTenant"] == {**_empty_set("default"), "categories": {"news": False}}
    assert users["listed"] == [users["merged"], users["replacedAgain"]]
    assert users["replacedAgain"] == {**_empty_set("tenant-acme"), "categories": {"news": False}}
    # and unset answers nothing, after which the set reads empty and is no longer listed
    assert users["unset"] == {"value": None}
    assert users["afterUnset"] == _empty_set("default")
    assert users["listedAfterUnset"] == [users["replacedAgain"]]
    # and objects' sets behave the same
    objects = result["objects"]
    assert objects["empty"] == _empty_set("default")
    assert objects["merged"] == {
        **_empty_set("default"),
        "categories": {"alerts": {"channel_types": {"email": False, "sms": False}}},
    }
    assert objects["listed"] == [objects["merged"]]
    assert (objects["unset"], objects["afterUnset"], objects["listedAfterUnset"]) == (
        {"value": None},
        _empty_set("default"),
        [],
    )
    # and bulk set completed with exact counts, replacing every user's set (the first user's own keys gone)
    bulk = result["bulk"]
    assert (bulk["queued"]["name"], bulk["queued"]["status"]) == ("users.bulk_set_preferences", "queued")
    finished = bulk["finished"]
    assert (finished["status"], finished["success_count"], finished["error_count"]) == ("completed", 3, 1)
    assert [item["id"] for item in finished["error_items"]] == ["bad#id"]
    assert bulk["sets"] == [{**_empty_set("default"), "channel_types": {"sms": False}}] * 3


def test_tenants_set_get_list_delete_bulk_and_an_inline_tenant(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given ids for a tenant (with a name no other tenant has), its user, two bulk tenants and an inline one
    ids = {name: new_user_id(f"node-{name}") for name in ("tenantId", "tenantName", "userId", "triggerUserId")}
    ids["inlineTenantId"] = new_user_id("node-inline-tenant")
    bulk_ids = [new_user_id("node-bulk-tenant") for _ in range(2)]

    # When tenants are set, read, listed, deleted and written in bulk, and a trigger names one inline
    result = node_sdk("tenants", {**ids, "bulkIds": bulk_ids})

    # Then set answers the tenant: custom properties at the top, branding and the default preference set
    single = result["single"]
    first = single["first"]
    assert (first["__typename"], first["id"], first["name"], first["plan"]) == (
        "Tenant",
        ids["tenantId"],
        ids["tenantName"],
        "enterprise",
    )
    branding = {"primary_color": "#DF1A22", "logo_url": "https://example.com/logo.png"}
    assert first["settings"]["branding"] == branding
    assert first["settings"]["preference_set"]["channel_types"] == {"email": False, "sms": False}
    # and a second set deep-merges the preference set and keeps what it does not name
    merged = single["merged"]
    assert (merged["name"], merged["plan"], merged["settings"]["branding"]) == (
        ids["tenantName"],
        "enterprise",
        branding,
    )
    assert merged["settings"]["preference_set"]["channel_types"] == {"email": False, "sms": False}
    assert merged["settings"]["preference_set"]["workflows"] == {"digest": False}
    # and get answers the same tenant, with or without resolve_full_preference_settings
    assert single["fetched"] == merged
    assert single["resolvedFully"] == merged
    # and both list filters find exactly it
    assert [entry["id"] for entry in single["byId"]] == [ids["tenantId"]]
    assert [entry["id"] for entry in single["byName"]] == [ids["tenantId"]]
    # and the user's default set read for the tenant is their tenant set over the tenant's defaults
    for_tenant = single["forTenant"]
    assert for_tenant["id"] == "default"
    assert for_tenant["channel_types"] == {"email": False, "sms": True}
    assert for_tenant["workflows"] == {"digest": False}
    # and a deleted tenant is gone
    _knock_error(single["afterDelete"], "NotFoundError", 404, "resource_missing")

    # Then bulk set completed with exact counts, the bad row saying why, and wrote both tenants
    bulk = result["bulk"]
    assert (bulk["setQueued"]["name"], bulk["setQueued"]["status"]) == ("tenants.bulk_set", "queued")
    finished = bulk["setFinished"]
    assert (finished["status"], finished["processed_rows"], finished["success_count"], finished["error_count"]) == (
        "completed",
        3,
        2,
        1,
    )
    assert [item["id"] for item in finished["error_items"]] == ["bad#id"]
    plain, named = bulk["written"]
    assert (plain["id"], plain["name"]) == (bulk_ids[0], None)
    assert (named["id"], named["name"], named["settings"]["branding"]) == (bulk_ids[1], "Bulk Co", branding)
    # and bulk delete removed both
    deleted = bulk["deleteFinished"]
    assert (deleted["status"], deleted["success_count"], deleted["error_count"]) == ("completed", 2, 0)
    for outcome in bulk["afterwards"]:
        _knock_error(outcome, "NotFoundError", 404, "resource_missing")

    # Then a trigger with an inline tenant answers a run and stored the tenant before answering
    trigger = result["trigger"]
    assert trigger["answer"]["workflow_run_id"]
    assert (trigger["tenant"]["id"], trigger["tenant"]["name"]) == (ids["inlineTenantId"], "Inline Co")
    assert trigger["tenant"]["settings"]["branding"] == branding


def test_audiences_add_list_page_and_remove_members(node_sdk: NodeSdk, new_user_id: NewId) -> None:
    # Given a new audience key, a user to identify inline and one never identified
    key, unknown_key = f"node-audience-{uuid.uuid4().hex[:12]}", f"node-missing-{uuid.uuid4().hex[:12]}"
    user_id, ghost_id = new_user_id("node-aud"), new_user_id("node-aud-ghost")

    # When members are added, listed, paged and removed through the Node SDK
    result = node_sdk("audiences", {"key": key, "userId": user_id, "ghostId": ghost_id, "unknownKey": unknown_key})

    # Then adding answers nothing and every member is listed, the inline user with its properties
    assert result["added"] == {"value": None}
    entries = {(entry["user_id"], entry["tenant"]): entry for entry in result["listed"]["entries"]}
    assert set(entries) == {(user_id, "acme"), (user_id, "globex"), (ghost_id, None)}
    assert entries[(user_id, "acme")]["__typename"] == "AudienceMember"
    assert entries[(user_id, "acme")]["user"]["email"] == "ada@example.com"
    assert entries[(ghost_id, None)]["user"] is None
    # and two pages of two and one cover the same members, the last without a cursor
    assert result["pages"] == [2, 1, None]
    assert {tuple(pair) for pair in result["pagedIds"]} == set(entries)
    # and removing one tenant's membership keeps the others; an unknown audience is a NotFoundError
    assert result["removed"] == {"value": None}
    assert {tuple(pair) for pair in result["afterRemove"]} == {(user_id, "globex"), (ghost_id, None)}
    _knock_error(result["unknown"], "NotFoundError", 404, "resource_missing")


def test_subscriptions_add_list_both_ways_with_filters_page_and_delete(
    node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given two collections, two users (one identified inline) and users for a list of several pages
    projects, teams = new_collection("node-sub-projects"), new_collection("node-sub-teams")
    ada, bob, never = new_user_id("node-sub-ada"), new_user_id("node-sub-bob"), new_user_id("node-sub-never")
    paged_ids = [new_user_id("node-sub-page") for _ in range(5)]

    # When subscriptions are added, listed (filters, include, pages) and deleted through the Node SDK
    result = node_sdk(
        "subscriptions",
        {"projects": projects, "teams": teams, "adaId": ada, "bobId": bob, "pagedIds": paged_ids, "neverId": never},
    )

    # Then add answers a subscription per recipient, the inline object an Object; adding again replaces
    # the properties and keeps inserted_at
    added = result["added"]
    assert [(entry["recipient"]["__typename"], entry["recipient"]["id"]) for entry in added] == [
        ("User", ada),
        ("User", bob),
        ("Object", "eng"),
    ]
    assert all(entry["__typename"] == "Subscription" and entry["properties"] == {"role": "admin"} for entry in added)
    assert added[1]["recipient"]["email"] == "bob@example.com"
    assert added[2]["recipient"]["properties"] == {"name": "Engineering"}
    again = result["again"][0]
    assert (again["properties"], again["inserted_at"]) == ({"role": "viewer"}, added[0]["inserted_at"])
    # and the recipients filter reaches the API indexed when it starts with an object, in brackets when
    # it starts with an id, and keeps only the recipients named either way, in the list's order
    assert f"recipients[0][collection]={teams}" in result["objectFirst"]["query"]
    assert f"recipients[1]={ada}" in result["objectFirst"]["query"]
    assert result["objectFirst"]["ids"] == ["eng", ada]
    assert f"recipients[]={bob}" in result["idFirst"]["query"]
    assert "recipients[][id]=eng" in result["idFirst"]["query"]
    assert result["idFirst"]["ids"] == ["eng", bob]  # the whole list's order: object subscribers first
    # and include[]=preferences side-loads each subscriber's sets
    assert "include[]=preferences" in result["withPreferences"]["query"]
    preferences = {
        entry["recipient"]["id"]: entry["recipient"]["preferences"] for entry in result["withPreferences"]["entries"]
    }
    assert preferences[ada]["default"]["channel_types"] == {"email": False}
    assert (preferences[bob], preferences["eng"]) == ({}, {})
    # and mode=recipient lists what the team subscribes to newest first; objects filters arrive indexed
    assert result["teamSubscribed"] == ["p3", "p2", "p1", "apollo"]
    assert f"objects[1][collection]={projects}" in result["teamFiltered"]["query"]
    assert "objects[1][id]=p3" in result["teamFiltered"]["query"]
    assert result["teamFiltered"]["ids"] == ["p3", "p1"]
    assert "objects[0][id]=apollo" in result["userFiltered"]["query"]
    assert result["userFiltered"]["ids"] == ["p2", "apollo"]
    assert result["userAll"] == ["p3", "p2", "p1", "apollo"]
    # and the SDK's iterator reads three pages of at most two to see all five subscribers
    assert sorted(result["paged"]["ids"]) == sorted(paged_ids)
    assert result["paged"]["requests"] == 3
    # and delete answers the deleted only
    assert result["deleted"] == [bob, "eng"]
    assert result["afterDelete"] == [ada]
    # and a recipient never identified, an unknown object and a bad filter raise the SDK's errors
    unknown = _knock_error(result["unknown"], "UnprocessableEntityError", 422, "invalid_params")
    assert [error["field"] for error in unknown["errors"]] == ["recipients.1"]
    _knock_error(result["missing"], "NotFoundError", 404, "resource_missing")
    bad_filter = _knock_error(result["badFilter"], "UnprocessableEntityError", 422, "invalid_params")
    assert [error["field"] for error in bad_filter["errors"]] == ["objects[].0"]


def _subscribers(listed: list[dict[str, Any]]) -> dict[str, Any]:
    """A listSubscriptions answer as the scenario reports it: each subscriber's properties, by its id."""
    ids = [entry["id"] for entry in listed]
    assert len(ids) == len(set(ids)), f"a subscriber listed twice: {ids}"
    return {entry["id"]: entry["properties"] for entry in listed}


def test_bulk_add_then_delete_subscriptions_polled_until_completed(
    node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given a collection, a collection for an inline object subscriber, a user identified by id and one to inline
    collection, teams = new_collection("node-bulk-subs"), new_collection("node-bulk-subs-teams")
    ada, bob = new_user_id("node-bulk-sub-ada"), new_user_id("node-bulk-sub-bob")

    # When subscriptions are added in bulk (an inline user and object, properties null, one entry naming a
    # bad id), then some deleted in bulk (one never subscribed, the object by reference), each polled
    result = node_sdk("bulk-subscriptions", {"collection": collection, "teams": teams, "adaId": ada, "bobId": bob})

    # Then the add was queued under its name for three entries, the bad one refused at once
    queued = result["addQueued"]
    assert (queued["__typename"], queued["name"], queued["status"], queued["estimated_total_rows"]) == (
        "BulkOperation",
        "objects.bulk_add_subscriptions",
        "queued",
        3,
    )
    # and completed counting each entry once, the bad entry named by its object id and saying why
    added = result["addFinished"]
    assert (added["id"], added["name"], added["status"]) == (
        queued["id"],
        "objects.bulk_add_subscriptions",
        "completed",
    )
    assert (added["processed_rows"], added["success_count"], added["error_count"]) == (3, 2, 1)
    [error_item] = added["error_items"]
    assert (error_item["id"], error_item["collection"], error_item["index"]) == ("p3", collection, 2)
    assert [error["field"] for error in error_item["errors"]] == ["recipients.0"]
    assert "#" in error_item["reason"]
    # and the lists show every subscriber with its entry's properties; the bad entry made no object
    after_add = result["afterAdd"]
    assert _subscribers(after_add["p1"]) == {ada: {"role": "admin"}, bob: {"role": "admin"}, "eng": {"role": "admin"}}
    assert _subscribers(after_add["p2"]) == {ada: None}
    _knock_error(after_add["p3"], "NotFoundError", 404, "resource_missing")
    # and the inline user and object were identified with what they carried
    assert (result["bob"]["id"], result["bob"]["name"]) == (bob, "Bob")
    assert (result["team"]["collection"], result["team"]["properties"]) == (teams, {"name": "Engineering"})

    # Then the delete was queued and completed under its name, both entries succeeding
    assert (result["deleteQueued"]["name"], result["deleteQueued"]["estimated_total_rows"]) == (
        "objects.bulk_delete_subscriptions",
        2,
    )
    deleted = result["deleteFinished"]
    assert (deleted["id"], deleted["name"], deleted["status"]) == (
        result["deleteQueued"]["id"],
        "objects.bulk_delete_subscriptions",
        "completed",
    )
    assert (deleted["processed_rows"], deleted["success_count"], deleted["error_count"], deleted["error_items"]) == (
        2,
        2,
        0,
        [],
    )
    # and only the named subscriptions are gone, the one never made skipped
    assert _subscribers(result["afterDelete"]["p1"]) == {ada: {"role": "admin"}}
    assert _subscribers(result["afterDelete"]["p2"]) == {}


def test_schedules_create_list_update_delete_bulk_and_per_recipient(
    node_sdk: NodeSdk, new_user_id: NewId, new_collection: NewId
) -> None:
    # Given a workflow of the test's own, an identified user, a user to inline and a collection
    workflow = f"node-digest-{uuid.uuid4().hex[:10]}"
    ada, bob, projects = new_user_id("node-sch-ada"), new_user_id("node-sch-bob"), new_collection("node-sch-projects")

    # When schedules are made, listed, updated, deleted and bulk created through the Node SDK
    result = node_sdk("schedules", {"workflow": workflow, "adaId": ada, "bobId": bob, "projects": projects})

    # Then create answered one schedule per recipient, the identified one in full, each next at 09:00 local
    created = result["created"]
    assert [entry["recipient"] for entry in created] == [ada, bob]
    assert result["createdNames"] == ["Ada", None]
    assert {entry["tenant"] for entry in created} == {"node-sch-acme"}
    assert _instant(created[0]["next"]).astimezone(UTC).hour == 9
    assert _instant(created[1]["next"]).astimezone(ZoneInfo("Asia/Tokyo")).hour == 9
    # and the lists: every one over pages of one, the filter keeping the one named
    assert sorted(entry["id"] for entry in result["paged"]) == sorted(entry["id"] for entry in created)
    assert [entry["recipient"] for entry in result["filtered"]] == [bob]
    # and update gave both the weekly Monday 08:15 rule and the data, next on a Monday
    for entry in result["updated"]:
        assert entry["repeats"] == [{"frequency": "weekly", "days": ["mon"], "hours": 8, "minutes": 15}]
        assert entry["data"] == {"v": 2}
    assert _instant(result["updated"][0]["next"]).weekday() == 0
    # and a user's and an object's schedules are theirs alone
    assert [entry["recipient"] for entry in result["forUser"]] == [bob]
    assert [(entry["collection"], entry["id"]) for entry in result["forObject"]] == [
        (projects, result["objectMade"][0]["id"])
    ]
    assert _instant(result["forObject"][0]["next"]) == datetime(2031, 1, 1, 9, tzinfo=UTC)
    # and delete removed the one named
    assert [entry["id"] for entry in result["deleted"]] == [created[0]["id"]]
    assert created[0]["id"] not in {entry["id"] for entry in result["afterDelete"]}
    # and the bulk create completed, the entry without timing an error
    assert (result["bulkQueued"]["name"], result["bulkQueued"]["estimated_total_rows"]) == ("schedules.bulk_create", 2)
    finished = result["bulkFinished"]
    assert (finished["status"], finished["success_count"], finished["error_count"]) == ("completed", 1, 1)
    assert [entry["repeats"][0]["frequency"] for entry in result["afterBulk"]] == ["hourly"]
    # and a create with neither repeats nor scheduled_at was refused naming the field
    body = _knock_error(result["noTiming"], "UnprocessableEntityError", 422, "invalid_params")
    assert [error["field"] for error in body["errors"]] == ["repeats"]
