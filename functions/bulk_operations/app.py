"""GET /v1/bulk_operations/{operation_id}: a bulk operation's progress."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from recipients.bulk import progress
from recipients.bulk.models import BulkOperation
from recipients.http.app import documented, http_entrypoint, json_response, make_app

app = make_app()


@app.get(
    "/v1/bulk_operations/<operation_id>",
    summary="Get a bulk operation",
    description=(
        "Every rejected or failed row is in `error_items`, in row order, as far as one answer can carry them; "
        "when it cannot, `unlisted_error_count` says how many are left out and `error_items_next` where the next are."
    ),
    responses=documented("The bulk operation", BulkOperation),
)
def get_bulk_operation(
    operation_id: Annotated[str, Path(description="The operation's id (a UUID)")],
    error_items_after: Annotated[
        int | None, Query(ge=0, description="Only the error items of rows after this index (see error_items_next)")
    ] = None,
) -> Response[Any]:
    return json_response(200, progress.get_bulk_operation(operation_id, error_items_after).to_json())


lambda_handler = http_entrypoint(app)
