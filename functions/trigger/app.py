"""POST /v1/workflows/{workflow_key}/trigger: identify inline recipients, record the run, put its event."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from recipients import jsontext, workflows
from recipients.http import documented, http_entrypoint, json_response, make_app
from recipients.models import TriggerWorkflowRequest, WorkflowKeyPath, WorkflowRunResponse

app = make_app()


@app.post(
    "/v1/workflows/<workflow_key>/trigger",
    summary="Trigger a workflow",
    description=(
        "Checks the whole request, identifies every inline user and object, then records the run and puts a "
        "workflow.triggered event on the bus. Recipients given by id that do not exist are skipped."
    ),
    responses=documented("The run", WorkflowRunResponse),
)
def trigger_workflow(workflow_key: WorkflowKeyPath, body: Annotated[TriggerWorkflowRequest, Body()]) -> Response[Any]:
    run_id = workflows.trigger_workflow(workflow_key, body)
    return json_response(200, jsontext.dumps({"workflow_run_id": run_id}))


lambda_handler = http_entrypoint(app)
