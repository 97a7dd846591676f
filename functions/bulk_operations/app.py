"""GET /v1/bulk_operations/{operation_id}: a bulk operation's progress."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from recipients import operations
from recipients.http import documented, http_entrypoint, json_response, make_app
from recipients.models import BulkOperation

app = make_app()


@app.get(
    "/v1/bulk_operations/<operation_id>",
    summary="Get a bulk operation",
    responses=documented("The bulk operation", BulkOperation),
)
def get_bulk_operation(operation_id: Annotated[str, Path(description="The operation's id (a UUID)")]) -> Response[Any]:
    return json_response(200, operations.get_bulk_operation(operation_id).to_json())


lambda_handler = http_entrypoint(app)
