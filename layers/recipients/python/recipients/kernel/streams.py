"""Glue for DynamoDB-stream-triggered functions: the observability stack around a batch handler that
answers a partial batch response itself (ReportBatchItemFailures, itemIdentifier = SequenceNumber)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.kernel.observability import logger, metrics, traced

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def stream_entrypoint(batch_handler: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> Handler:
    """A Lambda handler passing the event's records, in order, to `batch_handler`."""

    @logger.inject_lambda_context(log_event=False)
    @traced
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = batch_handler(list(event.get("Records") or []))
        failures = len(response.get("batchItemFailures", []))
        if failures:
            metrics.add_metric(name="BatchItemFailures", unit=MetricUnit.Count, value=failures)
        return response

    return cast(Handler, handler)
