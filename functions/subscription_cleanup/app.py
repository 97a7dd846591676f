"""subscription_cleanup: removes a deleted recipient's subscriptions, a bounded number of pages per message."""

from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.kernel import jsontext
from recipients.kernel.observability import logger, metrics, traced
from recipients.subscriptions import sweep

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:  # Powertools requires the parameter name `record`
    sweep.clean(jsontext.loads(record.body))  # raises => this message alone is retried, then dead-lettered


@logger.inject_lambda_context(log_event=False)
@traced
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failures = len(response.get("batchItemFailures", []))
    if failures:
        metrics.add_metric(name="BatchItemFailures", unit=MetricUnit.Count, value=failures)
    return cast(dict[str, Any], response)
