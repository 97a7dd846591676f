"""Workflow cancels: the runs triggered with a cancellation key are marked cancelled, for some
recipients or all, and one `workflow.cancelled` event goes on the bus."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.inline import reference_only
from recipients.kernel import jsontext
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import now_timestamp
from recipients.workflows import bus
from recipients.workflows.models import CancelWorkflowRequest
from recipients.workflows.store import get_run_store

CANCELLED = "workflow.cancelled"


def cancel_workflow(workflow_key: str, request: CancelWorkflowRequest) -> list[str]:
    """Mark the runs triggered with the cancellation key cancelled (for some recipients, or all)."""
    refs = None
    if request.recipients is not None:
        refs = [reference_only(value, f"recipients.{index}") for index, value in enumerate(request.recipients)]
    store = get_run_store()
    run_ids = store.runs_with_cancellation_key(workflow_key, request.cancellation_key)
    for run_id in run_ids:
        store.cancel_run(run_id, refs)
    if run_ids:
        detail = {
            "workflow_key": workflow_key,
            "cancellation_key": request.cancellation_key,
            "workflow_run_ids": run_ids,
            "recipients": [ref.to_wire() for ref in refs] if refs is not None else None,
            "cancelled_at": now_timestamp(),
        }
        bus.publish(CANCELLED, [jsontext.dumps(detail)])
    logger.info("workflow cancelled", extra={"workflow_key": workflow_key, "runs": len(run_ids)})
    metrics.add_metric(name="WorkflowRunsCancelled", unit=MetricUnit.Count, value=len(run_ids))
    return run_ids
