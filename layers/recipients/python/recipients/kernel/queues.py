"""Glue for SQS-triggered functions: Powertools batch processing with partial batch responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.kernel.observability import logger, metrics, traced

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def sqs_entrypoint(record_handler: Callable[..., None]) -> Handler:
    """A Lambda handler that runs `record_handler` per message (with the invocation's context, if it takes
    `lambda_context`); failed messages alone are retried."""
    # Every record failing is reported like any partial failure, not as a function error: the
    # event source mapping retries the same messages either way, without an error-rate alarm.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    @logger.inject_lambda_context(log_event=False)
    @traced
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        failures = len(response.get("batchItemFailures", []))
        if failures:
            metrics.add_metric(name="BatchItemFailures", unit=MetricUnit.Count, value=failures)
        return cast(dict[str, Any], response)

    return cast(Handler, handler)
