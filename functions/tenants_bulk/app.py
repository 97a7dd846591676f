"""POST /v1/tenants/bulk/set and /v1/tenants/bulk/delete: check the rows, record the operation, queue them."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from recipients.bulk.models import BulkOperation
from recipients.http.app import JSON, documented, http_entrypoint, json_response, make_app, request_base_url
from recipients.http.models import GatewayErrorBody
from recipients.kernel.rules import MAX_BULK_ROWS
from recipients.tenants import bulk
from recipients.tenants.models import BulkSetTenantsRequest

app = make_app(rows_checked_alone=("tenants",))


TenantIds = Annotated[
    list[str] | None,
    Query(alias="tenant_ids[]", max_length=MAX_BULK_ROWS, description="1 to 1,000 tenant ids, as the SDKs send them"),
]
UnbracketedTenantIds = Annotated[
    list[str] | None,
    Query(alias="tenant_ids", max_length=MAX_BULK_ROWS, description="the same, as Knock's API reference spells them"),
]


@app.post(
    "/v1/tenants/bulk/set",
    summary="Set up to 1,000 tenants",
    description="Each row a tenant id or a tenant object. Answers at once with a queued BulkOperation.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_set(body: Annotated[BulkSetTenantsRequest, Body()]) -> Response[Any]:
    return json_response(200, bulk.bulk_set_tenants(body.tenants, request_base_url(app)).to_json())


@app.post(
    "/v1/tenants/bulk/delete",
    summary="Delete up to 1,000 tenants",
    description="The ids go in the query string: `tenant_ids[]=a&tenant_ids[]=b`, as the SDKs send them, "
    "or `tenant_ids=a&tenant_ids=b`.",
    responses={
        **documented("The bulk operation", BulkOperation),
        414: {
            "description": "The request line is longer than the gateway takes: send fewer ids at a time",
            "content": {JSON: {"model": GatewayErrorBody}},
        },
    },
)
def bulk_delete(tenant_ids: TenantIds = None, unbracketed: UnbracketedTenantIds = None) -> Response[Any]:
    ids = bulk.tenant_ids_to_delete([*(tenant_ids or []), *(unbracketed or [])])
    return json_response(200, bulk.bulk_delete_tenants(ids, request_base_url(app)).to_json())


lambda_handler = http_entrypoint(app)
