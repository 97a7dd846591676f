"""POST /v1/users/bulk/identify: validate every row, record the operation, queue the valid rows."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.bulk.models import BulkIdentifyRequest, BulkOperation
from recipients.http.app import documented, http_entrypoint, make_app, request_base_url
from recipients.http.idempotency import IdempotencyKeyHeader, idempotent_json_response
from recipients.users import bulk

app = make_app(rows_checked_alone=("users",))


@app.post(
    "/v1/users/bulk/identify",
    summary="Identify up to 1,000 users",
    description="Answers at once with a queued BulkOperation; invalid rows are in error_items with the reason.",
    responses=documented("The bulk operation", BulkOperation),
    openapi_extensions={"x-idempotent": True},
)
def bulk_identify(
    body: Annotated[BulkIdentifyRequest, Body()], idempotency_key: IdempotencyKeyHeader = None
) -> Response[Any]:
    def identify_all() -> str:
        return bulk.bulk_identify_users(body.users, request_base_url(app)).to_json()

    return idempotent_json_response(app, "bulk_identify", idempotency_key, {"body": body}, identify_all)


lambda_handler = http_entrypoint(app)
