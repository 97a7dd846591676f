"""POST /v1/users/bulk/preferences: check the set and the ids, record the operation, queue the rows."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.bulk.models import BulkOperation
from recipients.http.app import documented, http_entrypoint, make_app, request_base_url
from recipients.http.idempotency import IdempotencyKeyHeader, idempotent_json_response
from recipients.preferences import bulk
from recipients.preferences.bulk_requests import BulkSetPreferencesRequest

app = make_app(rows_checked_alone=("user_ids",))


@app.post(
    "/v1/users/bulk/preferences",
    summary="Set one preference set for up to 1,000 users",
    description="Always replaces that set (`preferences.id`, default `default`). Answers at once with a queued "
    "BulkOperation; invalid ids are in error_items with the reason.",
    responses=documented("The bulk operation", BulkOperation),
    openapi_extensions={"x-idempotent": True},
)
def bulk_set_preferences(
    body: Annotated[BulkSetPreferencesRequest, Body()], idempotency_key: IdempotencyKeyHeader = None
) -> Response[Any]:
    def set_all() -> str:
        return bulk.bulk_set_preferences(body.user_ids, body.preferences, request_base_url(app)).to_json()

    return idempotent_json_response(app, "bulk_set_preferences", idempotency_key, {"body": body}, set_all)


lambda_handler = http_entrypoint(app)
