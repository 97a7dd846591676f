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

from recipients.bulk import (
    chunk_rows,
    error_item,
    rows_by_id,
    validate_delete_ids,
    validate_identify_rows,
    validate_set_object_rows,
)
from recipients.errors import ErrorKind, FieldError, RecipientsError
from recipients.merge import plan_identify
from recipients.models import (
    BulkChunk,
    BulkErrorItem,
    BulkOperation,
    BulkRow,
    InlineIdentifyObjectRequest,
    InlineIdentifyUserRequest,
)
from recipients.observability import logger, metrics
from recipients.queue import send_chunks
from recipients.settings import bulk_settings
from recipients.store import get_store
from recipients.validation import expires_in, now_timestamp

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
    store = get_store()
    retention = bulk_settings().bulk_operation_retention_days
    # an operation that never finishes still expires, a day after a finished one would
    store.create_operation(operation, expires_at=expires_in(retention + 1))
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
            "chunks": len(chunks),
        },
    )
    metrics.add_metric(name="BulkRowsAccepted", unit=MetricUnit.Count, value=len(valid))
    metrics.add_metric(name="BulkRowsRejected", unit=MetricUnit.Count, value=len(rejected))
    if unsent:
        operation = store.get_operation(operation_id, consistent=True) or operation
    return operation


def get_bulk_operation(operation_id: str) -> BulkOperation:
    """The operation with this id; an id that is not one of ours (not a canonical UUID) names none: 404."""
    operation = get_store().get_operation(operation_id.lower()) if _OPERATION_ID.match(operation_id) else None
    if operation is None:
        raise RecipientsError.not_found("bulk operation", operation_id)
    metrics.add_metric(name="BulkOperationsFetched", unit=MetricUnit.Count, value=1)
    return operation


def apply_bulk_chunk(chunk: BulkChunk) -> None:
    """Write a chunk's rows (one id's rows in order, ids in parallel), then count the chunk once.

    Raises when a row could not be written for a reason a retry may fix (throttling): SQS then
    delivers the chunk again, rows are rewritten (identify and delete are idempotent) and the
    chunk is still counted once.
    """
    groups = rows_by_id(chunk.rows)
    with ThreadPoolExecutor(max_workers=max(1, min(WORKER_THREADS, len(groups)))) as pool:
        outcomes = [outcome for group in pool.map(partial(_apply_group, chunk), groups) for outcome in group]
    failed = [item for item in outcomes if item is not None]
    succeeded = len(outcomes) - len(failed)
    retention = bulk_settings().bulk_operation_retention_days
    if _retrying(
        lambda: get_store().record_chunk(
            chunk.operation_id, chunk.chunk_index, succeeded=succeeded, failed=failed, retention_days=retention
        )
    ):
        metrics.add_metric(name="BulkRowsWritten", unit=MetricUnit.Count, value=succeeded)
    else:
        metrics.add_metric(name="BulkChunksAlreadyCounted", unit=MetricUnit.Count, value=1)


def fail_bulk_chunk(chunk: BulkChunk, reason: str) -> None:
    """Count the rows of a chunk that cannot be written (never queued, or dead-lettered) as errors,
    so its operation still ends."""
    failed = [error_item(row.id, row.index, [FieldError("row", reason)], chunk.collection) for row in chunk.rows]
    retention = bulk_settings().bulk_operation_retention_days
    _retrying(
        lambda: get_store().record_chunk(
            chunk.operation_id, chunk.chunk_index, succeeded=0, failed=failed, retention_days=retention, dead=True
        )
    )
    logger.error("bulk chunk failed", extra={"operation_id": chunk.operation_id, "chunk": chunk.chunk_index})
    metrics.add_metric(name="BulkRowsFailed", unit=MetricUnit.Count, value=len(failed))


def _apply_group(chunk: BulkChunk, rows: list[BulkRow]) -> list[BulkErrorItem | None]:
    return [_apply_row(chunk, row) for row in rows]


def _apply_row(chunk: BulkChunk, row: BulkRow) -> BulkErrorItem | None:
    """None when the row was written; an error item when it never can be; raises when a retry may help."""
    try:
        _retrying(_row_write(chunk, row))
    except RecipientsError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        return error_item(row.id, row.index, exc.errors or [FieldError("row", exc.message)], chunk.collection)
    return None


def _row_write(chunk: BulkChunk, row: BulkRow) -> Callable[[], object]:
    """The one store call that applies a row. A missing user or object is deleted already: not an error."""
    store = get_store()
    if chunk.action == "delete":
        return partial(store.delete_user, row.id)
    if chunk.action == "identify":
        plan = plan_identify(InlineIdentifyUserRequest.model_validate({**(row.body or {}), "id": row.id}))
        return partial(store.identify_user, row.id, plan)
    collection = chunk.collection
    if collection is None:
        raise RecipientsError.invalid_field("collection", "an object row needs its collection")
    if chunk.action == "delete_object":
        return partial(store.delete_object, collection, row.id)
    body = {**(row.body or {}), "id": row.id, "collection": collection}
    return partial(
        store.set_object, collection, row.id, plan_identify(InlineIdentifyObjectRequest.model_validate(body))
    )


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
