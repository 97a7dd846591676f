"""POST /v1/users/bulk/delete: validate every id, record the operation, queue the deletes."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.bulk import intake
from recipients.bulk.models import BulkDeleteRequest, BulkOperation
from recipients.http.app import documented, http_entrypoint, json_response, make_app, request_base_url

app = make_app(rows_checked_alone=("user_ids",))


@app.post(
    "/v1/users/bulk/delete",
    summary="Delete up to 1,000 users",
    description="Answers at once with a queued BulkOperation. Ids that do not exist count as deleted.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_delete(body: Annotated[BulkDeleteRequest, Body()]) -> Response[Any]:
    return json_response(200, intake.bulk_delete_users(body.user_ids, request_base_url(app)).to_json())


lambda_handler = http_entrypoint(app)
