"""Putting workflow-run events on the EventBridge bus, and run data too large for them in S3.

PutEvents takes at most 10 entries and 256 KB a request, and reports failed entries without
raising; those are sent again, and if some still fail the caller gets a retryable error.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from recipients.kernel.aws import events, s3
from recipients.kernel.batching import batches
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger
from recipients.workflows.settings import run_data_settings, workflow_settings

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

SOURCE = "recipients"
MAX_EVENT_BYTES = 256 * 1024
"""EventBridge's cap on one entry, and on the whole of one PutEvents request."""
MAX_BATCH_ENTRIES = 10
PUT_ATTEMPTS = 3


def event_size(detail_type: str, detail: str) -> int:
    """An entry's size as EventBridge counts it: source, detail type and detail, plus the 14-byte time."""
    return 14 + len(SOURCE.encode()) + len(detail_type.encode()) + len(detail.encode())


def run_data_reference(run_id: str, data_bytes: int) -> dict[str, Any]:
    """Where `put_run_data` keeps a run's data: what its events carry instead of the data."""
    bucket = run_data_settings().workflow_data_bucket_name
    return {"bucket": bucket, "key": f"runs/{run_id}/data.json", "bytes": data_bytes}


def put_run_data(reference: dict[str, Any], data: str) -> None:
    """Store a run's data (JSON text) where its reference points, or raise a retryable error."""
    client = s3()
    try:
        client.put_object(
            Bucket=reference["bucket"], Key=reference["key"], Body=data.encode(), ContentType="application/json"
        )
    except client.exceptions.ClientError as exc:
        logger.warning("PutObject failed", extra={"error": exc.response.get("Error", {}).get("Code")})
        raise RecipientsError.unavailable("the run data could not be stored; retry") from exc


def publish(detail_type: str, details: list[str]) -> None:
    """Put one event per detail (JSON text) on the workflow bus, in order, or raise a retryable error."""
    size_of = partial(event_size, detail_type)
    for batch in batches(details, size_of, max_items=MAX_BATCH_ENTRIES, max_bytes=MAX_EVENT_BYTES):
        _put(detail_type, batch)


def _put(detail_type: str, details: list[str]) -> None:
    bus = workflow_settings().workflow_event_bus_name
    client = events()
    pending = list(details)
    for attempt in range(PUT_ATTEMPTS):
        if attempt:
            time.sleep(0.1 * 2**attempt)
        entries: list[PutEventsRequestEntryTypeDef] = [
            {"EventBusName": bus, "Source": SOURCE, "DetailType": detail_type, "Detail": detail} for detail in pending
        ]
        try:
            response = client.put_events(Entries=entries)
        except client.exceptions.ClientError as exc:
            logger.warning("PutEvents failed", extra={"error": exc.response.get("Error", {}).get("Code")})
            continue
        results = response.get("Entries", [])
        pending = [detail for detail, result in zip(pending, results, strict=False) if result.get("ErrorCode")]
        if not pending:
            return
    logger.error("events could not be put on the bus", extra={"detail_type": detail_type, "events": len(pending)})
    raise RecipientsError.unavailable("the event bus did not take the run's events; retry")
