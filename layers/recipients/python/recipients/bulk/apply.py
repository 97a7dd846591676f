"""Writing and counting queued bulk chunks (bulk_worker), and counting the ones that never can be
(bulk_dead_letter, and chunks SQS refused)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial

from aws_lambda_powertools.metrics import MetricUnit

from recipients.bulk.models import BulkChunk, BulkErrorItem, BulkGroup, BulkRow
from recipients.bulk.rows import error_item
from recipients.bulk.settings import bulk_settings
from recipients.bulk.store import get_operation_store
from recipients.identity.merge import UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.identity.store import get_recipient_store
from recipients.kernel.errors import ErrorKind, FieldError, RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.kernel.parallel import in_parallel

WRITE_ATTEMPTS = 5
WORKER_THREADS = 16


def apply_bulk_chunk(chunk: BulkChunk) -> None:
    """Write a chunk's rows (one per recipient, in parallel), then count the chunk once.

    Raises when a row could not be written for a reason a retry may fix (throttling): SQS then
    delivers the chunk again, rows are rewritten (identify and delete are idempotent) and the
    chunk is still counted once.
    """
    failed = [item for items in in_parallel(partial(_apply_row, chunk), chunk.rows, WORKER_THREADS) for item in items]
    if chunk.action in ("delete", "delete_object"):
        _request_cleanup(chunk)
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
    if row.groups is not None:
        return [item for group in row.groups for item in _apply_group(chunk, row, group)]
    try:
        _retrying(_row_write(chunk, row))
    except RecipientsError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        return _row_error(chunk, row, exc.errors or [FieldError("row", exc.message)])
    return []


def _apply_group(chunk: BulkChunk, row: BulkRow, group: BulkGroup) -> list[BulkErrorItem]:
    """One entry of a subscribe or unsubscribe row, after the entries before it: an error for it alone."""
    try:
        _retrying(_group_write(chunk, row, group))
    except RecipientsError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        return [error_item(row.id, group.index, exc.errors or [FieldError("row", exc.message)], chunk.collection)]
    return []


def _group_write(chunk: BulkChunk, row: BulkRow, group: BulkGroup) -> Callable[[], object]:
    if chunk.action not in ("subscribe", "unsubscribe") or chunk.collection is None:
        raise RecipientsError.invalid_field("row", "only subscription rows of a collection hold entries")
    # Imported here: only subscription chunks write subscriptions
    from recipients.subscriptions import writes

    object_ref = RecipientRef(id=row.id, collection=chunk.collection)
    refs = [RecipientRef(id=entry.id, collection=entry.collection) for entry in group.recipients]
    if chunk.action == "unsubscribe":
        return partial(writes.unsubscribe, object_ref, refs)
    plans = [
        UpdatePlan(entry.attributes, entry.edits or {}) if entry.attributes is not None else None
        for entry in group.recipients
    ]
    return partial(writes.subscribe, object_ref, list(zip(refs, plans, strict=True)), group.properties)


def _row_error(chunk: BulkChunk, row: BulkRow, errors: list[FieldError]) -> list[BulkErrorItem]:
    return [error_item(row.id, index, errors, chunk.collection) for index in row.indices]


def _row_write(chunk: BulkChunk, row: BulkRow) -> Callable[[], object]:
    """The one store call that applies a row. A missing user or object is deleted already: not an error."""
    if chunk.action in ("subscribe", "unsubscribe"):
        raise RecipientsError.invalid_field("row", "a subscription row holds its entries")
    if chunk.action == "schedule":
        # Imported here: only schedule chunks need the schedules feature
        from recipients.schedules.bulk import ENTRY_ATTRIBUTE, create_bulk_row

        return partial(create_bulk_row, row.id, (row.attributes or {}).get(ENTRY_ATTRIBUTE, "{}"))
    if chunk.action in ("set_object", "delete_object") and chunk.collection is None:
        raise RecipientsError.invalid_field("collection", "an object row needs its collection")
    recipients = get_recipient_store()
    ref = RecipientRef(id=row.id, collection=chunk.collection if chunk.action.endswith("object") else None)
    if chunk.action in ("delete", "delete_object"):
        return partial(recipients.delete, ref)
    return partial(recipients.upsert, ref, UpdatePlan(row.attributes or {}, row.edits or {}))


def _request_cleanup(chunk: BulkChunk) -> None:
    """Queue the clean-up of the deleted recipients' subscriptions before the chunk is counted: of every row,
    deleted now or on an earlier delivery, so that a redelivered chunk still asks (a 503 raises: retried)."""
    from recipients.subscriptions.cleanup import request_cleanup  # only delete chunks need it

    request_cleanup([RecipientRef(id=row.id, collection=chunk.collection) for row in chunk.rows])


def _retrying[T](write: Callable[[], T]) -> T:
    """Run a write, retrying throttling with jittered exponential backoff (on top of botocore's own)."""
    for attempt in range(1, WRITE_ATTEMPTS):
        try:
            return write()
        except RecipientsError as exc:
            if exc.kind is not ErrorKind.UNAVAILABLE:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
    return write()
