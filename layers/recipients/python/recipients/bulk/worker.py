"""Reading the bulk chunks queued messages carry."""

from __future__ import annotations

from typing import overload

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from recipients.bulk.models import BulkChunk
from recipients.kernel import jsontext
from recipients.kernel.observability import logger, metrics


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
