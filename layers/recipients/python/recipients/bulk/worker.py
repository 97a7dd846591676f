"""Glue for SQS-triggered functions: Powertools batch processing with partial batch responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast, overload

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from recipients.bulk.models import BulkChunk
from recipients.kernel import jsontext
from recipients.kernel.observability import logger, metrics, traced

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@overload
def read_chunk(record: SQSRecord) -> BulkChunk: ...
@overload
def read_chunk(record: SQSRecord, *, or_none: bool) -> BulkChunk | None: ...
def read_chunk(record: SQSRecord, *, or_none: bool = False) -> BulkChunk | None:
    """The chunk a message carries (parsed with exact numbers, unlike pydantic's Json[...]).

    A message that is not a chunk raises, or with `or_none` is logged and gives None.
    """
    try:
        return BulkChunk.model_validate(jsontext.loads(record.body))
    except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
        if not or_none:
            raise
        logger.error("message is not a bulk chunk; dropped", extra={"message_id": record.message_id})
        metrics.add_metric(name="UnreadableMessagesDropped", unit=MetricUnit.Count, value=1)
        return None


def sqs_entrypoint(record_handler: Callable[[SQSRecord], None]) -> Handler:
    """A Lambda handler that runs `record_handler` per message; failed messages alone are retried."""
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
