"""Starting bulk operations: the operation recorded with its rejected rows, the valid rows queued.

Bulk deletes start here; bulk writes start in their resource's bulk module (users/bulk.py,
objects/bulk.py), which checks the rows with its own rules first.
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.bulk.models import BulkErrorItem, BulkOperation, BulkRow
from recipients.bulk.progress import as_answer
from recipients.bulk.queue import send_chunks
from recipients.bulk.rows import chunk_rows
from recipients.bulk.settings import bulk_settings
from recipients.bulk.store import get_operation_store
from recipients.bulk.validation import validate_ids
from recipients.kernel.observability import logger, metrics
from recipients.kernel.rules import now_timestamp


def bulk_delete_users(user_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_ids(user_ids)
    return start_bulk_operation("users.bulk_delete", "delete", len(user_ids), valid, rejected, base_url)


def bulk_delete_objects(collection: str, object_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_ids(object_ids, collection)
    return start_bulk_operation(
        "objects.bulk_delete", "delete_object", len(object_ids), valid, rejected, base_url, collection=collection
    )


def start_bulk_operation(
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
    if unsent:
        from recipients.bulk.apply import fail_bulk_chunk  # the worker's module, needed here only when SQS fails

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
