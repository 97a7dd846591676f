"""The use cases the handlers call. Validation is done by the models; storage by the Store."""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from recipients.bulk import chunk_rows, error_item, rows_by_id, validate_delete_ids, validate_identify_rows
from recipients.errors import ErrorKind, FieldError, RecipientsError
from recipients.merge import plan_identify
from recipients.models import (
    BulkChunk,
    BulkErrorItem,
    BulkOperation,
    BulkRow,
    IdentifyUserRequest,
    InlineIdentifyUserRequest,
    PageInfo,
    User,
    UserPage,
)
from recipients.observability import logger, metrics
from recipients.queue import send_chunks
from recipients.settings import bulk_settings
from recipients.store import get_store
from recipients.validation import now_timestamp


def identify_user(user_id: str, request: IdentifyUserRequest) -> User:
    if request.id is not None and request.id != user_id:
        raise RecipientsError.invalid_field("id", "must equal the user id in the path (ids never change)")
    plan = plan_identify(request)
    user = get_store().identify_user(user_id, plan)
    logger.info("user identified", extra={"user_id": user_id, "properties": sorted(plan.attributes)})
    metrics.add_metric(name="UsersIdentified", unit=MetricUnit.Count, value=1)
    return user


def get_user(user_id: str) -> User:
    user = get_store().get_user(user_id)
    if user is None:
        raise RecipientsError.not_found("user", user_id)
    metrics.add_metric(name="UsersFetched", unit=MetricUnit.Count, value=1)
    return user


def delete_user(user_id: str) -> None:
    if not get_store().delete_user(user_id):
        raise RecipientsError.not_found("user", user_id)
    logger.info("user deleted", extra={"user_id": user_id})
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)


def merge_users(user_id: str, from_user_id: str) -> User:
    if user_id == from_user_id:
        raise RecipientsError.invalid_field("from_user_id", "must differ from the user merged into")
    user = get_store().merge_users(user_id, from_user_id)
    logger.info("users merged", extra={"user_id": user_id, "from_user_id": from_user_id})
    metrics.add_metric(name="UsersMerged", unit=MetricUnit.Count, value=1)
    return user


def list_users(page_size: int, after: str | None, before: str | None) -> UserPage:
    if after is not None and before is not None:
        raise RecipientsError.invalid_field("before", "cannot be combined with after; page one way at a time")
    page = get_store().list_users(page_size, after=after, before=before)
    metrics.add_metric(name="UserPagesListed", unit=MetricUnit.Count, value=1)
    return UserPage(entries=page.users, page_info=PageInfo(after=page.after, before=page.before, page_size=page_size))


# --- bulk ----------------------------------------------------------------------------------------

ROW_ATTEMPTS = 5
WORKER_THREADS = 16


def bulk_identify_users(users: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_identify_rows(users)
    return _start_bulk_operation("users.bulk_identify", "identify", len(users), valid, rejected, base_url)


def bulk_delete_users(user_ids: list[Any], base_url: str) -> BulkOperation:
    valid, rejected = validate_delete_ids(user_ids)
    return _start_bulk_operation("users.bulk_delete", "delete", len(user_ids), valid, rejected, base_url)


def _start_bulk_operation(
    name: str, action: str, total: int, valid: list[BulkRow], rejected: list[BulkErrorItem], base_url: str
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
    store.create_operation(operation, expires_at=int(time.time()) + (retention + 1) * 86400)
    chunks = chunk_rows(operation_id, action, valid)
    unsent = send_chunks(chunks)
    for chunk in unsent:
        _count_chunk_as_failed(chunk, "could not be queued; send these rows again")
    logger.info(
        "bulk operation started",
        extra={"operation_id": operation_id, "rows": total, "rejected": len(rejected), "chunks": len(chunks)},
    )
    metrics.add_metric(name="BulkRowsAccepted", unit=MetricUnit.Count, value=len(valid))
    metrics.add_metric(name="BulkRowsRejected", unit=MetricUnit.Count, value=len(rejected))
    if unsent:
        operation = store.get_operation(operation_id, consistent=True) or operation
    return operation


def get_bulk_operation(operation_id: str) -> BulkOperation:
    operation = get_store().get_operation(operation_id)
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
        outcomes = [outcome for group in pool.map(partial(_apply_group, chunk.action), groups) for outcome in group]
    failed = [item for item in outcomes if item is not None]
    store = get_store()
    if store.record_chunk(chunk.operation_id, chunk.chunk_index, succeeded=len(outcomes) - len(failed), failed=failed):
        metrics.add_metric(name="BulkRowsWritten", unit=MetricUnit.Count, value=len(outcomes) - len(failed))
    else:
        metrics.add_metric(name="BulkChunksAlreadyCounted", unit=MetricUnit.Count, value=1)
    store.finish_operation_if_done(chunk.operation_id, bulk_settings().bulk_operation_retention_days)


def fail_bulk_chunk(chunk: BulkChunk, reason: str) -> None:
    """Count the rows of a chunk that failed every delivery as errors, so its operation still ends."""
    _count_chunk_as_failed(chunk, reason)
    get_store().finish_operation_if_done(chunk.operation_id, bulk_settings().bulk_operation_retention_days)


def _count_chunk_as_failed(chunk: BulkChunk, reason: str) -> None:
    failed = [error_item(row.id, row.index, [FieldError("row", reason)]) for row in chunk.rows]
    get_store().record_chunk(chunk.operation_id, chunk.chunk_index, succeeded=0, failed=failed, dead=True)
    logger.error("bulk chunk failed", extra={"operation_id": chunk.operation_id, "chunk": chunk.chunk_index})
    metrics.add_metric(name="BulkRowsFailed", unit=MetricUnit.Count, value=len(failed))


def _apply_group(action: str, rows: list[BulkRow]) -> list[BulkErrorItem | None]:
    return [_apply_row(action, row) for row in rows]


def _apply_row(action: str, row: BulkRow) -> BulkErrorItem | None:
    """None when the row was written; an error item when it never can be; raises when a retry may help."""
    store = get_store()
    for attempt in range(ROW_ATTEMPTS):
        try:
            if action == "delete":
                store.delete_user(row.id)  # a missing user is already deleted: redeliveries must not count it
            else:
                request = InlineIdentifyUserRequest.model_validate({**(row.body or {}), "id": row.id})
                store.identify_user(row.id, plan_identify(request))
            return None
        except RecipientsError as exc:
            if exc.kind is not ErrorKind.UNAVAILABLE:
                return error_item(row.id, row.index, exc.errors or [FieldError("row", exc.message)])
            if attempt + 1 == ROW_ATTEMPTS:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - jitter
    raise AssertionError("unreachable")
