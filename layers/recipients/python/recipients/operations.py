"""Bulk use cases: starting operations, and writing and counting their chunks (bulk_worker).

Kept apart from service.py so the user functions do not import the queue and its settings.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from recipients import payload
from recipients.bulk import (
    chunk_rows,
    error_item,
    validate_delete_ids,
    validate_identify_rows,
    validate_set_object_rows,
)
from recipients.bulk_store import get_operation_store
from recipients.errors import ErrorKind, FieldError, RecipientsError
from recipients.merge import UpdatePlan
from recipients.models import BulkChunk, BulkErrorItem, BulkOperation, BulkRow
from recipients.observability import logger, metrics
from recipients.queue import send_chunks
from recipients.settings import bulk_settings
from recipients.store import get_store
from recipients.validation import now_timestamp

WRITE_ATTEMPTS = 5
_OPERATION_ID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
T = TypeVar("T")
WORKER_THREADS = 16


def bulk_identify_users(users: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_identify_rows(users)
    return _start_bulk_operation("users.bulk_identify", "identify", len(users), valid, rejected, base_url)


def bulk_delete_users(user_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_delete_ids(user_ids)
    return _start_bulk_operation("users.bulk_delete", "delete", len(user_ids), valid, rejected, base_url)


def bulk_set_objects(collection: str, objects: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_set_object_rows(collection, objects)
    return _start_bulk_operation(
        "objects.bulk_set", "set_object", len(objects), valid, rejected, base_url, collection=collection
    )


def bulk_delete_objects(collection: str, object_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_delete_ids(object_ids, collection)
    return _start_bulk_operation(
        "objects.bulk_delete", "delete_object", len(object_ids), valid, rejected, base_url, collection=collection
    )


def _start_bulk_operation(
    name: str,
    action: str,
    total: int,
    valid: list[BulkRow],
    rejected: list[BulkErrorItem],
    base_url: str,
    *,
    collection: str | None = None,
) -> BulkOperation:
    """Record the operation (rejected rows already counted), then queue the valid rows in chunks."""
    operation_id = str(uuid.uuid4())
    now = now_timestamp()
    operation = BulkOperation(
        id=operation_id,
        name=name,
        status="queued" if valid else "completed",
        estimated_total_rows=total,
        processed_rows=len(rejected),
        error_count=len(rejected),
        error_items=rejected,
        progress_path=f"{base_url}/v1/bulk_operations/{operation_id}",
        inserted_at=now,
        updated_at=now,
        completed_at=None if valid else now,
    )
    operations = get_operation_store()
    operations.create_operation(operation, bulk_settings().bulk_operation_retention_days)
    chunks = chunk_rows(operation_id, action, valid, collection)
    unsent = send_chunks(chunks)
    for chunk in unsent:
        fail_bulk_chunk(chunk, "could not be queued; send these rows again")
    logger.info(
        "bulk operation started",
        extra={
            "operation_id": operation_id,
            "operation": name,
            "rows": total,
            "rejected": len(rejected),
            "recipients": len(valid),
            "chunks": len(chunks),
        },
    )
    metrics.add_metric(name="BulkRowsAccepted", unit=MetricUnit.Count, value=total - len(rejected))
    metrics.add_metric(name="BulkRowsRejected", unit=MetricUnit.Count, value=len(rejected))
    if unsent:
        operation = operations.get_operation(operation_id, consistent=True) or operation
    return as_answer(operation)


def get_bulk_operation(operation_id: str, error_items_after: int | None = None) -> BulkOperation:
    """The operation with this id, with its error items after `error_items_after` (a row index).

    An id that is not one of ours (not a canonical UUID) names none: 404.
    """
    found = get_operation_store().get_operation(operation_id.lower()) if _OPERATION_ID.match(operation_id) else None
    if found is None:
        raise RecipientsError.not_found("bulk operation", operation_id)
    metrics.add_metric(name="BulkOperationsFetched", unit=MetricUnit.Count, value=1)
    return as_answer(found, error_items_after)


def as_answer(operation: BulkOperation, error_items_after: int | None = None) -> BulkOperation:
    """The operation as one answer can carry it: the error items after `error_items_after` that fit
    Lambda's payload limit, how many it leaves out, and where the next ones are."""
    after = [item for item in operation.error_items if error_items_after is None or item.index > error_items_after]
    head = operation.model_copy(update={"error_items": []})
    budget = payload.MAX_BODY_BYTES - payload.body_bytes(head.to_json()) - 512  # 512: the two fields below
    shown = after[: payload.fitting((item.model_dump_json() for item in after), budget)] if after else []
    next_path = None
    if len(shown) < len(after):
        next_path = f"{operation.progress_path}?error_items_after={shown[-1].index}"
    return operation.model_copy(
        update={
            "error_items": shown,
            "unlisted_error_count": operation.error_count - len(shown),
            "error_items_next": next_path,
        }
    )


def apply_bulk_chunk(chunk: BulkChunk) -> None:
    """Write a chunk's rows (one per recipient, in parallel), then count the chunk once.

    Raises when a row could not be written for a reason a retry may fix (throttling): SQS then
    delivers the chunk again, rows are rewritten (identify and delete are idempotent) and the
    chunk is still counted once.
    """
    with ThreadPoolExecutor(max_workers=max(1, min(WORKER_THREADS, len(chunk.rows)))) as pool:
        failed = [item for items in pool.map(partial(_apply_row, chunk), chunk.rows) for item in items]
    succeeded = sum(len(row.indices) for row in chunk.rows) - len(failed)
    retention = bulk_settings().bulk_operation_retention_days
    if _retrying(
        lambda: get_operation_store().record_chunk(
            chunk.operation_id, chunk.chunk_index, succeeded=succeeded, failed=failed, retention_days=retention
        )
    ):
        metrics.add_metric(name="BulkRowsWritten", unit=MetricUnit.Count, value=succeeded)
    else:
        metrics.add_metric(name="BulkChunksAlreadyCounted", unit=MetricUnit.Count, value=1)


def fail_bulk_chunk(chunk: BulkChunk, reason: str) -> None:
    """Count the rows of a chunk that cannot be written (never queued, or dead-lettered) as errors,
    so its operation still ends."""
    failed = [_row_error(chunk, row, [FieldError("row", reason)]) for row in chunk.rows]
    flat = [item for items in failed for item in items]
    retention = bulk_settings().bulk_operation_retention_days
    _retrying(
        lambda: get_operation_store().record_chunk(
            chunk.operation_id, chunk.chunk_index, succeeded=0, failed=flat, retention_days=retention, dead=True
        )
    )
    logger.error("bulk chunk failed", extra={"operation_id": chunk.operation_id, "chunk": chunk.chunk_index})
    metrics.add_metric(name="BulkRowsFailed", unit=MetricUnit.Count, value=len(flat))


def _apply_row(chunk: BulkChunk, row: BulkRow) -> list[BulkErrorItem]:
    """No errors when the row was written; one per request row when it never can be; raises when a retry may help."""
    try:
        _retrying(_row_write(chunk, row))
    except RecipientsError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        return _row_error(chunk, row, exc.errors or [FieldError("row", exc.message)])
    return []


def _row_error(chunk: BulkChunk, row: BulkRow, errors: list[FieldError]) -> list[BulkErrorItem]:
    return [error_item(row.id, index, errors, chunk.collection) for index in row.indices]


def _row_write(chunk: BulkChunk, row: BulkRow) -> Callable[[], object]:
    """The one store call that applies a row. A missing user or object is deleted already: not an error."""
    store = get_store()
    if chunk.action == "delete":
        return partial(store.delete_user, row.id)
    plan = UpdatePlan(row.attributes or {})
    if chunk.action == "identify":
        return partial(store.identify_user, row.id, plan)
    collection = chunk.collection
    if collection is None:
        raise RecipientsError.invalid_field("collection", "an object row needs its collection")
    if chunk.action == "delete_object":
        return partial(store.delete_object, collection, row.id)
    return partial(store.set_object, collection, row.id, plan)


def _retrying(write: Callable[[], T]) -> T:
    """Run a write, retrying throttling with jittered exponential backoff (on top of botocore's own)."""
    for attempt in range(1, WRITE_ATTEMPTS):
        try:
            return write()
        except RecipientsError as exc:
            if exc.kind is not ErrorKind.UNAVAILABLE:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
    return write()
