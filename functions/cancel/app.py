"""POST /v1/workflows/{workflow_key}/cancel: cancel the runs triggered with a cancellation key."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.http.app import documented, http_entrypoint, make_app
from recipients.workflows import cancel
from recipients.workflows.models import CancelWorkflowRequest, WorkflowKeyPath

app = make_app()


@app.post(
    "/v1/workflows/<workflow_key>/cancel",
    summary="Cancel workflow runs",
    description="Marks the runs with this cancellation key cancelled (for the recipients given, or all) "
    "and puts a workflow.cancelled event on the bus.",
    responses=documented("Cancelled", status=204),
)
def cancel_workflow(workflow_key: WorkflowKeyPath, body: Annotated[CancelWorkflowRequest, Body()]) -> Response[Any]:
    cancel.cancel_workflow(workflow_key, body)
    return Response(status_code=204, body="")


lambda_handler = http_entrypoint(app)
