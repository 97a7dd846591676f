"""POST /v1/tenants/bulk/set and /bulk/delete: tenants through the bulk pipeline, as objects of `$tenants`."""

from __future__ import annotations

from typing import Any

from recipients.bulk.intake import start_bulk_operation
from recipients.bulk.models import BulkOperation
from recipients.bulk.validation import validate_ids, validate_rows
from recipients.identity.merge import UpdatePlan
from recipients.kernel.errors import RecipientsError
from recipients.kernel.rules import MAX_BULK_ROWS, TENANTS_COLLECTION
from recipients.tenants.models import TenantRequest
from recipients.tenants.plans import plan_tenant


def bulk_set_tenants(tenants: list[Any], base_url: str) -> BulkOperation:
    """Each row a tenant id (a tenant with no properties, created if missing) or a tenant object."""
    rows = [{"id": row} if isinstance(row, str) else row for row in tenants]
    valid, rejected = validate_rows(rows, _parse, "tenant", TENANTS_COLLECTION)
    return start_bulk_operation(
        "tenants.bulk_set", "set_object", len(tenants), valid, rejected, base_url, collection=TENANTS_COLLECTION
    )


def bulk_delete_tenants(tenant_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_ids(tenant_ids, TENANTS_COLLECTION)
    return start_bulk_operation(
        "tenants.bulk_delete",
        "delete_object",
        len(tenant_ids),
        valid,
        rejected,
        base_url,
        collection=TENANTS_COLLECTION,
    )


def _parse(row: dict[str, Any]) -> tuple[str, UpdatePlan]:
    request = TenantRequest.model_validate(row)
    return request.id, plan_tenant(request)


def tenant_ids_to_delete(ids: list[str]) -> list[str]:
    """The ids of a bulk delete, given as `tenant_ids[]` or `tenant_ids` (or both): 1 to 1,000 in all."""
    if not ids:
        raise RecipientsError.invalid_field("tenant_ids[]", "is required: 1 to 1,000 tenant ids in the query string")
    if len(ids) > MAX_BULK_ROWS:
        raise RecipientsError.invalid_field("tenant_ids[]", f"takes at most 1,000 ids (got {len(ids):,})")
    return ids
