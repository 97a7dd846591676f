"""Tenants through their function and the use cases, against moto: set, get, list, delete, and on a trigger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.objects.app import lambda_handler as objects
from functions.preferences.app import lambda_handler as preferences
from functions.tenants.app import lambda_handler as tenants
from functions.tenants_bulk.app import lambda_handler as tenants_bulk
from functions.trigger.app import lambda_handler as trigger
from tests.conftest import BulkQueues, EventLoader, FakeLambdaContext
from tests.unit.bulk_queue import drain, operation
from tests.unit.knock import assert_knock_error, json_body

pytestmark = pytest.mark.usefixtures("recipients_table", "idempotency_table")

Call = Callable[..., dict[str, Any]]


@pytest.fixture
def call(load_event: EventLoader, lambda_context: FakeLambdaContext) -> Call:
    def run(handler: Any, sample: str, **variant: Any) -> dict[str, Any]:
        return handler(load_event(sample, **variant), lambda_context)

    return run


def set_tenant(call: Call, tenant_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = call(tenants, "tenants_set", path={"tenant_id": tenant_id}, body=body)
    assert response["statusCode"] == 200, response["body"]
    return json_body(response)


def test_set_answers_the_tenant_with_settings_and_custom_properties_at_the_top(call: Call) -> None:
    tenant = set_tenant(
        call,
        "acme",
        {"name": "Acme", "plan": "enterprise", "settings": {"branding": {"primary_color": "#DF1A22"}}},
    )
    assert tenant["__typename"] == "Tenant"
    assert (tenant["id"], tenant["name"], tenant["plan"]) == ("acme", "Acme", "enterprise")
    assert tenant["settings"] == {"branding": {"primary_color": "#DF1A22"}, "preference_set": None}
    assert json_body(call(tenants, "tenants_get", path={"tenant_id": "acme"})) == tenant


def test_set_merges_properties_shallowly_and_the_preference_set_deeply(call: Call) -> None:
    set_tenant(
        call,
        "acme",
        {"name": "Acme", "tier": 1, "settings": {"preference_set": {"channel_types": {"email": True}}}},
    )
    tenant = set_tenant(call, "acme", {"tier": 2, "settings": {"preference_set": {"channel_types": {"sms": False}}}})
    assert (tenant["name"], tenant["tier"]) == ("Acme", 2)
    preference_set = tenant["settings"]["preference_set"]
    assert preference_set["channel_types"] == {"email": True, "sms": False}
    replaced = set_tenant(
        call,
        "acme",
        {"settings": {"preference_set": {"__persistence_strategy__": "replace", "workflows": {"w": False}}}},
    )
    assert replaced["settings"]["preference_set"]["channel_types"] is None
    cleared = set_tenant(call, "acme", {"settings": {"preference_set": None}})
    assert cleared["settings"]["preference_set"] is None


def test_a_tenant_is_the_object_of_collection_tenants(call: Call) -> None:
    set_tenant(call, "acme", {"name": "Acme"})
    got = json_body(call(objects, "objects_get", path={"collection": "$tenants", "object_id": "acme"}))
    assert (got["collection"], got["properties"]["name"]) == ("$tenants", "Acme")
    path = {"collection": "$tenants", "object_id": "acme", "set_id": "default"}
    assert call(preferences, "preferences_objects_set", path=path)["statusCode"] == 200


def test_list_pages_and_filters_by_exact_id_and_name(call: Call) -> None:
    for index in range(5):
        set_tenant(call, f"t{index}", {"name": "Even" if index % 2 == 0 else "Odd"})
    listed = json_body(call(tenants, "tenants_list", query={"page_size": "2"}))
    assert len(listed["entries"]) == 2 and listed["page_info"]["after"] is not None
    evens = json_body(call(tenants, "tenants_list", query={"name": "Even"}))
    assert sorted(entry["id"] for entry in evens["entries"]) == ["t0", "t2", "t4"]
    one = json_body(call(tenants, "tenants_list", query={"tenant_id": "t3"}))
    assert [entry["id"] for entry in one["entries"]] == ["t3"]
    none = json_body(call(tenants, "tenants_list", query={"tenant_id": "t3", "name": "Even"}))
    assert none["entries"] == []


def test_delete_then_get_is_404(call: Call) -> None:
    set_tenant(call, "acme", {"name": "Acme"})
    assert call(tenants, "tenants_delete", path={"tenant_id": "acme"})["statusCode"] == 204
    assert_knock_error(call(tenants, "tenants_get", path={"tenant_id": "acme"}), 404, "resource_missing")
    assert_knock_error(call(tenants, "tenants_delete", path={"tenant_id": "acme"}), 404, "resource_missing")


@pytest.mark.usefixtures("workflow_bus")
def test_a_trigger_creates_a_tenant_named_by_id_and_leaves_an_existing_one_as_it_is(call: Call) -> None:
    set_tenant(call, "acme", {"name": "Acme"})
    for tenant_id in ("acme", "newco"):
        response = call(trigger, "trigger", body={"recipients": ["u1"], "tenant": tenant_id})
        assert response["statusCode"] == 200, response["body"]
    assert json_body(call(tenants, "tenants_get", path={"tenant_id": "acme"}))["name"] == "Acme"
    assert json_body(call(tenants, "tenants_get", path={"tenant_id": "newco"}))["name"] is None


@pytest.mark.usefixtures("workflow_bus")
def test_a_trigger_upserts_an_inline_tenant_and_refuses_a_bad_one(call: Call, stored_items: Any) -> None:
    inline = {"id": "acme", "name": "Acme", "settings": {"branding": {"logo_url": "https://acme.example/l.png"}}}
    assert call(trigger, "trigger", body={"recipients": ["u1"], "tenant": inline})["statusCode"] == 200
    tenant = json_body(call(tenants, "tenants_get", path={"tenant_id": "acme"}))
    assert tenant["settings"]["branding"] == {"logo_url": "https://acme.example/l.png"}
    before = stored_items()
    bad = {"id": "acme", "settings": {"branding": {"logo_url": "not a url"}}}
    response = call(trigger, "trigger", body={"recipients": ["u1"], "tenant": bad})
    assert "tenant.settings.branding.logo_url" in [
        e["field"] for e in assert_knock_error(response, 422, "invalid_params")["errors"]
    ]
    assert stored_items() == before


def test_bulk_set_then_bulk_delete_through_the_pipeline(
    call: Call, bulk_queues: BulkQueues, lambda_context: FakeLambdaContext
) -> None:
    # Given tenants sent as ids and objects, with a bad one and one id listed twice
    rows = ["acme", {"id": "globex", "name": "Globex", "settings": {"branding": {"primary_color": "#123456"}}}]
    rows += [{"id": "a#b"}, {"id": "acme", "name": "Acme"}]
    started = json_body(call(tenants_bulk, "tenants_bulk_set", body={"tenants": rows}))
    drain(bulk_queues, lambda_context)

    # Then every row is counted once, the bad one listed, and the tenants are stored (rows of one id in order)
    done = operation(started["id"])
    assert (started["name"], done["status"], done["success_count"], done["error_count"]) == (
        "tenants.bulk_set",
        "completed",
        3,
        1,
    )
    assert json_body(call(tenants, "tenants_get", path={"tenant_id": "acme"}))["name"] == "Acme"
    globex = json_body(call(tenants, "tenants_get", path={"tenant_id": "globex"}))
    assert globex["settings"]["branding"] == {"primary_color": "#123456"}

    # When both are deleted in bulk, by ids in the query string
    deleted = json_body(call(tenants_bulk, "tenants_bulk_delete", query={"tenant_ids[]": ["acme", "globex", "nope"]}))
    drain(bulk_queues, lambda_context)
    assert operation(deleted["id"])["success_count"] == 3
    for tenant_id in ("acme", "globex"):
        assert call(tenants, "tenants_get", path={"tenant_id": tenant_id})["statusCode"] == 404


@pytest.mark.parametrize("value", ["true", "false"])
def test_resolve_full_preference_settings_is_accepted_and_changes_nothing(call: Call, value: str) -> None:
    # Given: there are no environment-level defaults, so resolving fully merges nothing in
    body = {"name": "Acme", "settings": {"preference_set": {"channel_types": {"email": False}}}}
    plain = set_tenant(call, "acme", body)
    query = {"resolve_full_preference_settings": value}
    # When
    resolved_get = call(tenants, "tenants_get", path={"tenant_id": "acme"}, query=query)
    resolved_set = call(tenants, "tenants_set", path={"tenant_id": "acme"}, body=body, query=query)
    # Then
    assert resolved_get["statusCode"] == 200
    assert json_body(resolved_get) == plain
    assert resolved_set["statusCode"] == 200
    assert {**json_body(resolved_set), "updated_at": None} == {**plain, "updated_at": None}


def test_resolve_full_preference_settings_that_is_no_boolean_is_a_422_naming_it(call: Call) -> None:
    response = call(
        tenants, "tenants_get", path={"tenant_id": "acme"}, query={"resolve_full_preference_settings": "maybe"}
    )
    body = assert_knock_error(response, 422, "invalid_params")
    assert [error["field"] for error in body["errors"]] == ["resolve_full_preference_settings"]


@pytest.mark.parametrize(
    "query",
    [
        {"tenant_ids": ["acme", "globex"]},  # as Knock's API reference spells them
        {"tenant_ids[]": ["acme"], "tenant_ids": ["globex"]},
    ],
)
def test_bulk_delete_takes_the_ids_with_or_without_brackets(
    call: Call, bulk_queues: BulkQueues, lambda_context: FakeLambdaContext, query: dict[str, list[str]]
) -> None:
    for tenant_id in ("acme", "globex"):
        set_tenant(call, tenant_id, {"name": tenant_id})
    deleted = json_body(call(tenants_bulk, "tenants_bulk_delete", query=query))
    drain(bulk_queues, lambda_context)
    assert (deleted["estimated_total_rows"], operation(deleted["id"])["success_count"]) == (2, 2)
    for tenant_id in ("acme", "globex"):
        assert call(tenants, "tenants_get", path={"tenant_id": tenant_id})["statusCode"] == 404


def test_bulk_delete_counts_both_spellings_against_the_1000_ids(call: Call) -> None:
    query = {"tenant_ids[]": [f"t{i}" for i in range(600)], "tenant_ids": [f"u{i}" for i in range(401)]}
    response = call(tenants_bulk, "tenants_bulk_delete", query=query)
    assert "tenant_ids[]" in [e["field"] for e in assert_knock_error(response, 422, "invalid_params")["errors"]]
