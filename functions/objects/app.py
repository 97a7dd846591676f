"""PUT, GET and DELETE /v1/objects/{collection}/{object_id}, and GET /v1/objects/{collection} (cursor pagination)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.http.app import (
    AfterCursor,
    BeforeCursor,
    Include,
    PageSize,
    documented,
    http_entrypoint,
    json_response,
    make_app,
)
from recipients.identity.models import ObjectCollectionPath, RecipientIdPath
from recipients.objects import service
from recipients.objects.models import ObjectPage, RecipientObject
from recipients.objects.requests import SetObjectRequest

app = make_app()


@app.put(
    "/v1/objects/<collection>/<object_id>",
    summary="Set an object",
    description="Creates the object or merges the properties sent into it (shallow: each key is replaced whole).",
    responses=documented("The object after the merge", RecipientObject),
)
def set_object(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, body: Annotated[SetObjectRequest, Body()]
) -> Response[Any]:
    return json_response(200, service.set_object(collection, object_id, body).to_json())


@app.get(
    "/v1/objects/<collection>/<object_id>",
    summary="Get an object",
    responses=documented("The object", RecipientObject),
)
def get_object(collection: ObjectCollectionPath, object_id: RecipientIdPath) -> Response[Any]:
    return json_response(200, service.get_object(collection, object_id).to_json())


@app.delete(
    "/v1/objects/<collection>/<object_id>",
    summary="Delete an object",
    responses=documented("Deleted", status=204),
)
def delete_object(collection: ObjectCollectionPath, object_id: RecipientIdPath) -> Response[Any]:
    service.delete_object(collection, object_id)
    return Response(status_code=204, body="")


@app.get(
    "/v1/objects/<collection>",
    summary="List the objects of a collection",
    description="Pages in a stable order. Follow `page_info.after` until it is null.",
    responses=documented("A page of objects", ObjectPage),
)
def list_objects(
    collection: ObjectCollectionPath,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
    include: Include = None,
) -> Response[Any]:
    page = service.list_objects(collection, page_size, after, before, preferences="preferences" in (include or []))
    return json_response(200, page.to_json())


lambda_handler = http_entrypoint(app)
