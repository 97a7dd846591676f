"""The official knockapi SDK's tenant calls, pointed at the API; and a trigger with a tenant."""

from __future__ import annotations

from collections.abc import Callable

import knockapi
import pytest
from knockapi import Knock

from tests.contract.support import wait_for_operation

pytestmark = pytest.mark.contract

NewId = Callable[[str], str]


def test_set_get_list_and_delete_a_tenant(knock: Knock, new_user_id: NewId) -> None:
    # Given a new tenant id
    tenant_id = new_user_id("sdk-tenant")

    # When it is set twice (custom properties merged) and read back through the SDK
    knock.tenants.set(
        tenant_id,
        name="Acme",
        settings={"branding": {"primary_color": "#DF1A22"}, "preference_set": {"channel_types": {"email": True}}},
        extra_body={"plan": "enterprise"},
    )
    tenant = knock.tenants.set(tenant_id, settings={"preference_set": {"channel_types": {"sms": False}}})
    fetched = knock.tenants.get(tenant_id)

    # Then the SDK parses the tenant: name, merged settings, custom properties at the top level
    assert (tenant.id, tenant.name, tenant.api_typename) == (tenant_id, "Acme", "Tenant")
    assert fetched.to_dict() == tenant.to_dict()
    assert fetched.model_extra is not None and fetched.model_extra["plan"] == "enterprise"
    assert fetched.settings is not None and fetched.settings.branding is not None
    assert fetched.settings.branding.primary_color == "#DF1A22"
    assert fetched.settings.preference_set is not None
    channel_types = fetched.settings.preference_set.channel_types
    assert channel_types is not None and (channel_types.email, channel_types.sms) == (True, False)
    # and the list filters find it by id and by name
    assert [entry.id for entry in knock.tenants.list(tenant_id=tenant_id)] == [tenant_id]
    assert tenant_id in [entry.id for entry in knock.tenants.list(name="Acme")]

    # When it is deleted, it is gone
    knock.tenants.delete(tenant_id)
    with pytest.raises(knockapi.NotFoundError):
        knock.tenants.get(tenant_id)


def test_a_trigger_stores_its_inline_tenant_before_it_answers(knock: Knock, new_user_id: NewId) -> None:
    user_id, tenant_id, named_id = (
        new_user_id("sdk-tenant-user"),
        new_user_id("sdk-tenant-inline"),
        new_user_id("sdk-t"),
    )
    knock.users.update(user_id, name="Ada")
    knock.workflows.trigger(
        "new-comment", recipients=[user_id], tenant={"id": tenant_id, "name": "Inline Co", "settings": {}}
    )
    knock.workflows.trigger("new-comment", recipients=[user_id], tenant=named_id)
    assert knock.tenants.get(tenant_id).name == "Inline Co"
    assert knock.tenants.get(named_id).name is None  # named by id only: created empty
    for created in (tenant_id, named_id):
        knock.tenants.delete(created)


def test_bulk_set_and_bulk_delete_tenants(knock: Knock, new_user_id: NewId) -> None:
    first, second = new_user_id("sdk-bulk-tenant"), new_user_id("sdk-bulk-tenant")
    started = knock.tenants.bulk.set(tenants=[first, {"id": second, "name": "Second"}])
    assert started.name == "tenants.bulk_set"
    done = wait_for_operation(knock, started.id)
    assert (done.status, done.success_count, done.error_count) == ("completed", 2, 0)
    assert knock.tenants.get(second).name == "Second"
    assert knock.tenants.get(first).name is None

    deleted = wait_for_operation(knock, knock.tenants.bulk.delete(tenant_ids=[first, second]).id)
    assert (deleted.status, deleted.success_count) == ("completed", 2)
    for tenant_id in (first, second):
        with pytest.raises(knockapi.NotFoundError):
            knock.tenants.get(tenant_id)


def test_get_preferences_with_a_tenant_resolves_the_users_tenant_set_over_the_tenant_defaults(
    knock: Knock, new_user_id: NewId
) -> None:
    # Given a tenant's defaults, the user's own set for that tenant (its id is the tenant id) and a default set
    user_id, tenant_id = new_user_id("sdk-tenant-prefs"), new_user_id("sdk-tenant-defaults")
    knock.tenants.set(
        tenant_id,
        settings={
            "preference_set": {
                "channel_types": {"email": False, "sms": False},
                "categories": {"collaboration": {"__strategy__": "replace", "channel_types": {"email": False}}},
            }
        },
    )
    knock.users.set_preferences(user_id, "default", channel_types={"push": False})
    before = knock.users.get_preferences(user_id, "default", tenant=tenant_id)
    knock.users.set_preferences(
        user_id,
        tenant_id,
        channel_types={"sms": True},
        categories={"collaboration": {"channel_types": {"email": True}}},
    )

    # When the default set is read for the tenant, and without one
    resolved = knock.users.get_preferences(user_id, "default", tenant=tenant_id)
    plain = knock.users.get_preferences(user_id, "default")

    # Then the tenant's defaults answer until the user has a set of their own for it, which wins key by
    # key, except where the tenant says replace; without a tenant, the user's default set answers
    assert before.to_dict()["channel_types"] == {"email": False, "sms": False}
    assert resolved.id == "default"
    assert resolved.to_dict()["channel_types"] == {"email": False, "sms": True}
    assert resolved.to_dict()["categories"] == {
        "collaboration": {"__strategy__": "replace", "channel_types": {"email": False}}
    }
    assert plain.to_dict()["channel_types"] == {"push": False}
    # and once the tenant is gone, the user's own set for it still answers
    knock.tenants.delete(tenant_id)
    alone = knock.users.get_preferences(user_id, "default", tenant=tenant_id)
    assert alone.to_dict()["channel_types"] == {"sms": True}


def test_resolve_full_preference_settings_answers_the_same_tenant(knock: Knock, new_user_id: NewId) -> None:
    tenant_id = new_user_id("sdk-tenant-resolve")
    knock.tenants.set(tenant_id, name="Acme", settings={"preference_set": {"workflows": {"digest": False}}})
    plain = knock.tenants.get(tenant_id)
    assert knock.tenants.get(tenant_id, resolve_full_preference_settings=True).to_dict() == plain.to_dict()
    knock.tenants.delete(tenant_id)
