"""POST /v1/objects/{collection}/bulk/set, /bulk/delete and /bulk/subscriptions/add and /delete: validate every
row, record the operation, queue the rest."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.bulk import intake
from recipients.bulk.models import BulkOperation
from recipients.http.app import documented, http_entrypoint, json_response, make_app, request_base_url
from recipients.identity.models import ObjectCollectionPath
from recipients.objects import bulk
from recipients.objects.requests import BulkDeleteObjectsRequest, BulkSetObjectsRequest
from recipients.subscriptions import bulk as subscriptions_bulk
from recipients.subscriptions.requests import BulkAddSubscriptionsRequest, BulkDeleteSubscriptionsRequest

app = make_app(rows_checked_alone=("objects", "object_ids", "subscriptions"))


@app.post(
    "/v1/objects/<collection>/bulk/set",
    summary="Set up to 1,000 objects of a collection",
    description="Answers at once with a queued BulkOperation; invalid rows are in error_items with the reason.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_set_objects(collection: ObjectCollectionPath, body: Annotated[BulkSetObjectsRequest, Body()]) -> Response[Any]:
    return json_response(200, bulk.bulk_set_objects(collection, body.objects, request_base_url(app)).to_json())


@app.post(
    "/v1/objects/<collection>/bulk/delete",
    summary="Delete up to 1,000 objects of a collection",
    description="Answers at once with a queued BulkOperation. Ids that do not exist count as deleted.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_delete_objects(
    collection: ObjectCollectionPath, body: Annotated[BulkDeleteObjectsRequest, Body()]
) -> Response[Any]:
    return json_response(200, intake.bulk_delete_objects(collection, body.object_ids, request_base_url(app)).to_json())


@app.post(
    "/v1/objects/<collection>/bulk/subscriptions/add",
    summary="Subscribe recipients to up to 1,000 objects of a collection",
    description=(
        "Each entry is an object id with 1 to 100 recipients (ids, references, inline users or objects, identified "
        "first) and the subscriptions' properties; existing subscriptions are updated. Answers at once with a queued "
        "BulkOperation; invalid entries are in error_items with the reason."
    ),
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_add_subscriptions(
    collection: ObjectCollectionPath, body: Annotated[BulkAddSubscriptionsRequest, Body()]
) -> Response[Any]:
    operation = subscriptions_bulk.bulk_add_subscriptions(collection, body.subscriptions, request_base_url(app))
    return json_response(200, operation.to_json())


@app.post(
    "/v1/objects/<collection>/bulk/subscriptions/delete",
    summary="Unsubscribe recipients from up to 1,000 objects of a collection",
    description="Each entry is an object id with 1 to 100 recipient references; missing subscriptions are skipped.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_delete_subscriptions(
    collection: ObjectCollectionPath, body: Annotated[BulkDeleteSubscriptionsRequest, Body()]
) -> Response[Any]:
    operation = subscriptions_bulk.bulk_delete_subscriptions(collection, body.subscriptions, request_base_url(app))
    return json_response(200, operation.to_json())


lambda_handler = http_entrypoint(app)
