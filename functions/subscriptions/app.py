"""Subscriptions: POST, DELETE and GET /v1/objects/{collection}/{object_id}/subscriptions, and
GET /v1/users/{user_id}/subscriptions."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

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
from recipients.http.query import reference_list
from recipients.identity.models import ObjectCollectionPath, RecipientIdPath, RecipientRef
from recipients.subscriptions import service
from recipients.subscriptions.models import (
    AddSubscriptionsRequest,
    DeleteSubscriptionsRequest,
    Subscription,
    SubscriptionPage,
    subscriptions_json,
)

app = make_app()

Mode = Annotated[
    Literal["object", "recipient"],
    Query(description="`object`: the object's subscribers; `recipient`: the objects it is subscribed to"),
]
RecipientsFilter = Annotated[
    list[str] | None,
    Query(alias="recipients[]", description="mode=object only: just these subscribers (ids or {id, collection})"),
]
ObjectsFilter = Annotated[
    list[str] | None, Query(alias="objects[]", description="Just the subscriptions to these objects ({id, collection})")
]


@app.post(
    "/v1/objects/<collection>/<object_id>/subscriptions",
    summary="Subscribe recipients to an object",
    description="Identifies inline recipients first; an existing subscription is updated (its properties replaced).",
    responses=documented("The subscriptions", list[Subscription]),
)
def add(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, body: Annotated[AddSubscriptionsRequest, Body()]
) -> Response[Any]:
    added = service.add_subscriptions(RecipientRef(id=object_id, collection=collection), body)
    return json_response(200, subscriptions_json(added))


@app.delete(
    "/v1/objects/<collection>/<object_id>/subscriptions",
    summary="Unsubscribe recipients from an object",
    description="Recipients not subscribed are skipped.",
    responses=documented("The subscriptions deleted", list[Subscription]),
)
def delete(
    collection: ObjectCollectionPath, object_id: RecipientIdPath, body: Annotated[DeleteSubscriptionsRequest, Body()]
) -> Response[Any]:
    deleted = service.delete_subscriptions(RecipientRef(id=object_id, collection=collection), body)
    return json_response(200, subscriptions_json(deleted))


@app.get(
    "/v1/objects/<collection>/<object_id>/subscriptions",
    summary="List an object's subscriptions",
    description="Pages in a stable order (mode=recipient: newest first). Follow `page_info.after` until it is null.",
    responses=documented("A page of subscriptions", SubscriptionPage),
)
def list_object_subscriptions(
    collection: ObjectCollectionPath,
    object_id: RecipientIdPath,
    mode: Mode = "object",
    recipients: RecipientsFilter = None,
    objects: ObjectsFilter = None,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
    include: Include = None,
) -> Response[Any]:
    name = "recipients[]" if mode == "object" else "objects[]"
    filters = service.parse_references(reference_list(app.current_event.raw_query_string, name[:-2]), name)
    page = service.list_object_subscriptions(
        RecipientRef(id=object_id, collection=collection),
        mode,
        filters,
        page_size,
        after,
        before,
        preferences="preferences" in (include or []),
    )
    return json_response(200, page.to_json())


@app.get(
    "/v1/users/<user_id>/subscriptions",
    summary="List a user's subscriptions",
    description="Newest first. Follow `page_info.after` until it is null.",
    responses=documented("A page of subscriptions", SubscriptionPage),
)
def list_user_subscriptions(
    user_id: RecipientIdPath,
    objects: ObjectsFilter = None,
    page_size: PageSize = 50,
    after: AfterCursor = None,
    before: BeforeCursor = None,
    include: Include = None,
) -> Response[Any]:
    filters = service.parse_references(reference_list(app.current_event.raw_query_string, "objects"), "objects[]")
    page = service.list_user_subscriptions(
        user_id, filters, page_size, after, before, preferences="preferences" in (include or [])
    )
    return json_response(200, page.to_json())


lambda_handler = http_entrypoint(app)
