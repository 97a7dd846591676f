"""PUT, GET and DELETE /v1/tenants/{tenant_id}, and GET /v1/tenants (cursor pagination, filters)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from recipients.http.app import (
    AfterCursor,
    BeforeCursor,
    PageSize,
    documented,
    http_entrypoint,
    json_response,
    make_app,
)
from recipients.identity.models import RecipientIdPath
from recipients.tenants import service
from recipients.tenants.models import SetTenantRequest, Tenant, TenantPage

app = make_app()
ResolveFull = Annotated[
    bool | None,
    Query(
        description="Accepted, and the answer is the same either way: this service has no environment-level "
        "default preferences to merge into settings.preference_set"
    ),
]


@app.put(
    "/v1/tenants/<tenant_id>",
    summary="Set a tenant",
    description="Creates the tenant or merges the properties sent into it (shallow); settings.preference_set is "
    "deep-merged unless it says replace.",
    responses=documented("The tenant", Tenant),
)
def set_tenant(
    tenant_id: RecipientIdPath,
    body: Annotated[SetTenantRequest, Body()],
    resolve_full_preference_settings: ResolveFull = None,
) -> Response[Any]:
    return json_response(200, service.set_tenant(tenant_id, body).to_json())


@app.get("/v1/tenants/<tenant_id>", summary="Get a tenant", responses=documented("The tenant", Tenant))
def get_tenant(tenant_id: RecipientIdPath, resolve_full_preference_settings: ResolveFull = None) -> Response[Any]:
    return json_response(200, service.get_tenant(tenant_id).to_json())


@app.delete("/v1/tenants/<tenant_id>", summary="Delete a tenant", responses=documented("Deleted", status=204))
def delete_tenant(tenant_id: RecipientIdPath) -> Response[Any]:
    service.delete_tenant(tenant_id)
    return Response(status_code=204, body="")


@app.get(
    "/v1/tenants",
    summary="List tenants",
    description="Pages in a stable order; `tenant_id` and `name` keep exact matches only.",
    responses=documented("A page of tenants", TenantPage),
)
def list_tenants(
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
    tenant_id: Annotated[str | None, Query(description="Only the tenant with this id")] = None,
    name: Annotated[str | None, Query(description="Only tenants with exactly this name")] = None,
) -> Response[Any]:
    page = service.list_tenants(page_size, after, before, tenant_id=tenant_id, name=name)
    return json_response(200, page.to_json())


lambda_handler = http_entrypoint(app)
