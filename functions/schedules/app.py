"""Schedules: POST, PUT, DELETE and GET /v1/schedules, GET /v1/users/{user_id}/schedules and
GET /v1/objects/{collection}/{object_id}/schedules."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import AfterValidator

from recipients.http.app import (
    AfterCursor,
    BeforeCursor,
    PageSize,
    documented,
    http_entrypoint,
    json_response,
    make_app,
)
from recipients.http.query import reference_list
from recipients.identity.inline import reference_only
from recipients.identity.models import ObjectCollectionPath, RecipientIdPath, RecipientRef
from recipients.kernel.rules import check_id
from recipients.schedules import listing, service
from recipients.schedules.models import Schedule, SchedulePage, schedules_json
from recipients.schedules.requests import (
    CreateSchedulesRequest,
    DeleteSchedulesRequest,
    UpdateSchedulesRequest,
    WorkflowKey,
)

app = make_app()

WorkflowFilter = Annotated[WorkflowKey | None, Query(description="Only this workflow's schedules")]
TenantFilter = Annotated[
    Annotated[str, AfterValidator(check_id)] | None, Query(description="Only the schedules of this tenant")
]
RecipientsFilter = Annotated[
    list[str] | None, Query(alias="recipients[]", description="Only these recipients' (ids or {id, collection})")
]


@app.post(
    "/v1/schedules",
    summary="Create schedules",
    description="One schedule per recipient (1 to 100); inline recipients, actor and tenant are identified first.",
    responses=documented("The schedules", list[Schedule]),
)
def create(body: Annotated[CreateSchedulesRequest, Body()]) -> Response[Any]:
    return json_response(200, schedules_json(service.create_schedules(body)))


@app.put(
    "/v1/schedules",
    summary="Update schedules",
    description="The same values for every schedule named (1 to 100); keys left out are kept.",
    responses=documented("The schedules", list[Schedule]),
)
def update(body: Annotated[UpdateSchedulesRequest, Body()]) -> Response[Any]:
    return json_response(200, schedules_json(service.update_schedules(body)))


@app.delete(
    "/v1/schedules",
    summary="Delete schedules",
    description="Ids in the body; unknown ids are skipped. Their next occurrences are cancelled.",
    responses=documented("The schedules deleted", list[Schedule]),
)
def delete(body: Annotated[DeleteSchedulesRequest, Body()]) -> Response[Any]:
    return json_response(200, schedules_json(service.delete_schedules(body)))


@app.get(
    "/v1/schedules",
    summary="List a workflow's schedules",
    description="Follow `page_info.after` until it is null. With `recipients[]`, theirs on one page.",
    responses=documented("A page of schedules", SchedulePage),
)
def list_schedules(
    workflow: Annotated[WorkflowKey, Query(description="The workflow (required)")],
    recipients: RecipientsFilter = None,
    tenant: TenantFilter = None,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
) -> Response[Any]:
    values = reference_list(app.current_event.raw_query_string, "recipients")
    refs = [reference_only(value, f"recipients[].{index}") for index, value in enumerate(values)]
    return json_response(200, listing.list_schedules(workflow, refs, tenant, page_size, after, before).to_json())


@app.get(
    "/v1/users/<user_id>/schedules",
    summary="List a user's schedules",
    description="Newest first. Follow `page_info.after` until it is null.",
    responses=documented("A page of schedules", SchedulePage),
)
def list_user_schedules(
    user_id: RecipientIdPath,
    workflow: WorkflowFilter = None,
    tenant: TenantFilter = None,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
) -> Response[Any]:
    page = listing.list_recipient_schedules(RecipientRef(id=user_id), workflow, tenant, page_size, after, before)
    return json_response(200, page.to_json())


@app.get(
    "/v1/objects/<collection>/<object_id>/schedules",
    summary="List an object's schedules",
    description="Newest first. Follow `page_info.after` until it is null.",
    responses=documented("A page of schedules", SchedulePage),
)
def list_object_schedules(
    collection: ObjectCollectionPath,
    object_id: RecipientIdPath,
    workflow: WorkflowFilter = None,
    tenant: TenantFilter = None,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
) -> Response[Any]:
    ref = RecipientRef(id=object_id, collection=collection)
    return json_response(
        200, listing.list_recipient_schedules(ref, workflow, tenant, page_size, after, before).to_json()
    )


lambda_handler = http_entrypoint(app)
