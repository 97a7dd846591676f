"""POST, GET and DELETE /v1/audiences/{key}/members: add (identifying inline users), list and remove members."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from recipients.audiences import service
from recipients.audiences.models import (
    AddAudienceMembersRequest,
    AudienceKeyPath,
    AudienceMemberPage,
    RemoveAudienceMembersRequest,
)
from recipients.http.app import (
    AfterCursor,
    BeforeCursor,
    PageSize,
    documented,
    http_entrypoint,
    json_response,
    make_app,
)

app = make_app()
CreateAudience = Annotated[bool, Query(description="Create the audience if it does not exist (else a 404)")]


@app.post(
    "/v1/audiences/<key>/members",
    summary="Add members to an audience",
    description="Up to 1,000 members, each a user and a tenant or none. A user with more than its id is upserted "
    "as identify does; a bare id only records the membership. Adding a member again refreshes its added_at.",
    responses=documented("Added", status=204),
)
def add_members(
    key: AudienceKeyPath, body: Annotated[AddAudienceMembersRequest, Body()], create_audience: CreateAudience = False
) -> Response[Any]:
    service.add_members(key, body, create_audience=create_audience)
    return Response(status_code=204, body="")


@app.get(
    "/v1/audiences/<key>/members",
    summary="List an audience's members",
    description="Pages in a stable order; a member whose user does not exist has `user: null`.",
    responses=documented("A page of members", AudienceMemberPage),
)
def list_members(
    key: AudienceKeyPath, page_size: PageSize = 50, after: AfterCursor = None, before: BeforeCursor = None
) -> Response[Any]:
    return json_response(200, service.list_members(key, page_size, after, before).to_json())


@app.delete(
    "/v1/audiences/<key>/members",
    summary="Remove members from an audience",
    description="Each member by user id and the tenant it was added with; removing a non-member is not an error.",
    responses=documented("Removed", status=204),
)
def remove_members(key: AudienceKeyPath, body: Annotated[RemoveAudienceMembersRequest, Body()]) -> Response[Any]:
    service.remove_members(key, body)
    return Response(status_code=204, body="")


lambda_handler = http_entrypoint(app)
