"""POST /v1/workflows/{workflow_key}/trigger: identify inline recipients, record the run, put its event."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients.http.app import documented, http_entrypoint, make_app
from recipients.http.idempotency import IdempotencyKeyHeader, idempotent_json_response
from recipients.kernel import jsontext
from recipients.workflows import trigger as triggers
from recipients.workflows.models import TriggerWorkflowRequest, WorkflowKeyPath, WorkflowRunResponse

app = make_app()


@app.post(
    "/v1/workflows/<workflow_key>/trigger",
    summary="Trigger a workflow",
    description=(
        "Checks the whole request, identifies every inline user and object, then records the run and puts a "
        "workflow.triggered event on the bus. Recipients given by id that do not exist are skipped."
    ),
    responses=documented("The run", WorkflowRunResponse),
    openapi_extensions={"x-idempotent": True},
)
def trigger_workflow(
    workflow_key: WorkflowKeyPath,
    body: Annotated[TriggerWorkflowRequest, Body()],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    trigger = triggers.check_trigger(workflow_key, body)

    def run() -> str:
        return jsontext.dumps({"workflow_run_id": triggers.trigger_workflow(trigger)})

    request = {"workflow_key": workflow_key, "body": body}
    return idempotent_json_response(app, "trigger", idempotency_key, request, run)


lambda_handler = http_entrypoint(app)
