"""POST /v1/schedules/bulk/create: check the entries, record the operation, queue them."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.bulk.models import BulkOperation
from recipients.http.app import documented, http_entrypoint, json_response, make_app, request_base_url
from recipients.schedules import bulk
from recipients.schedules.bulk_requests import BulkCreateSchedulesRequest

app = make_app(rows_checked_alone=("schedules",))


@app.post(
    "/v1/schedules/bulk/create",
    summary="Create up to 1,000 schedules",
    description="One recipient each (inline ones identified by the worker). Answers at once with a queued "
    "BulkOperation; invalid entries are in error_items with the reason.",
    responses=documented("The bulk operation", BulkOperation),
)
def bulk_create(body: Annotated[BulkCreateSchedulesRequest, Body()]) -> Response[Any]:
    return json_response(200, bulk.bulk_create_schedules(body.schedules, request_base_url(app)).to_json())


lambda_handler = http_entrypoint(app)
