"""The tenant use cases: set (an upsert, shallow like an object's), get, delete and list.

A tenant is the item of the object `$tenants/{id}` (kernel/keys.py): properties as `prop:<name>`,
and its settings as `tset:branding` (replaced whole) and `tset:preference_set` (deep-merged as
inline preference sets are, unless it says replace). Knock answers custom properties at the top level.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.merge import PROPERTY_PREFIX, stored_values
from recipients.identity.models import PageInfo
from recipients.identity.pages import Page, check_one_direction, within_one_answer
from recipients.identity.store import get_recipient_store
from recipients.kernel import jsontext
from recipients.kernel.errors import RecipientsError
from recipients.kernel.keys import object_prefix
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import TENANTS_COLLECTION
from recipients.preferences.sets import preference_set_wire
from recipients.subscriptions.cleanup import request_cleanup
from recipients.tenants.models import SetTenantRequest, Tenant, TenantPage
from recipients.tenants.plans import BRANDING, PREFERENCE_SET, plan_tenant, tenant_ref


def set_tenant(tenant_id: str, request: SetTenantRequest) -> Tenant:
    if request.id is not None and request.id != tenant_id:
        raise RecipientsError.invalid_field("id", "must equal the tenant id in the path (ids never change)")
    plan = plan_tenant(request)
    item = get_recipient_store().upsert(tenant_ref(tenant_id), plan)
    logger.info("tenant set", extra={"tenant_id": tenant_id, "properties": sorted(plan.attributes)})
    metrics.add_metric(name="TenantsSet", unit=MetricUnit.Count, value=1)
    return tenant_from_item(item)


def get_tenant(tenant_id: str) -> Tenant:
    item = get_recipient_store().get(tenant_ref(tenant_id))
    if item is None:
        raise RecipientsError.not_found("tenant", tenant_id)
    metrics.add_metric(name="TenantsFetched", unit=MetricUnit.Count, value=1)
    return tenant_from_item(item)


def delete_tenant(tenant_id: str) -> None:
    deleted = get_recipient_store().delete(tenant_ref(tenant_id))
    request_cleanup([tenant_ref(tenant_id)])
    if not deleted:
        raise RecipientsError.not_found("tenant", tenant_id)
    logger.info("tenant deleted", extra={"tenant_id": tenant_id})
    metrics.add_metric(name="TenantsDeleted", unit=MetricUnit.Count, value=1)


def list_tenants(
    page_size: int, after: str | None, before: str | None, *, tenant_id: str | None = None, name: str | None = None
) -> TenantPage:
    """A page of tenants; `tenant_id` and `name` filter by exact match (the name filter reads the pages it skips)."""
    check_one_direction(after, before)
    store = get_recipient_store()
    if tenant_id is not None:
        item = store.get(tenant_ref(tenant_id))
        matches = [item] if item is not None and (name is None or _name_of(item) == name) else []
        page = Page([tenant_from_item(found) for found in matches], after=None, before=None)
    else:
        keep = None if name is None else (lambda item: _name_of(item) == name)
        found = store.page(object_prefix(TENANTS_COLLECTION), page_size, after, before, keep=keep)
        page = Page([tenant_from_item(item) for item in found.items], after=found.after, before=found.before)
    page = within_one_answer(page, before is None)
    metrics.add_metric(name="TenantPagesListed", unit=MetricUnit.Count, value=1)
    return TenantPage(
        entries=page.entries, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size)
    )


def _name_of(item: dict[str, Any]) -> Any:
    text = item.get(PROPERTY_PREFIX + "name")
    return jsontext.loads(text["S"]) if text else None


def tenant_from_item(item: dict[str, Any]) -> Tenant:
    fields: dict[str, Any] = {"id": item["id"]["S"], "updated_at": item["updated_at"]["S"]}
    fields.update(stored_values(item, PROPERTY_PREFIX))
    if BRANDING in item or PREFERENCE_SET in item:
        branding = jsontext.loads(item[BRANDING]["S"]) if BRANDING in item else None
        stored_set = jsontext.loads(item[PREFERENCE_SET]["S"]) if PREFERENCE_SET in item else None
        fields["settings"] = {
            "branding": branding,
            "preference_set": None if stored_set is None else preference_set_wire("default", stored_set),
        }
    return Tenant.model_validate(fields)
