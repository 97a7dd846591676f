"""Bulk rows: what a rejected row is listed as, and cutting the valid ones into queue chunks.

Pure code: no I/O, and none of the user or object models (which bulk_worker never needs).
"""

from __future__ import annotations

from recipients.bulk.models import BulkChunk, BulkErrorItem, BulkRow
from recipients.kernel import jsontext
from recipients.kernel.errors import FieldError
from recipients.kernel.models import ErrorItem
from recipients.kernel.rules import printable

MAX_MESSAGE_BYTES = 1024 * 1024
"""SQS's cap on one message, and on the whole of one SendMessageBatch (1 MiB since 2025). One row
sets at most a 400 KB item, which JSON escaping at most doubles: every row that can be written fits
in a message of its own."""
MAX_ROW_BYTES = MAX_MESSAGE_BYTES - 16 * 1024
"""A row that alone fills a message, with room for the chunk around it (a row of subscriptions can
name a hundred inline recipients, and is refused at intake when it would not fit)."""
MAX_CHUNK_BYTES = 24 * 1024
"""Small enough that ten chunks of ordinary rows go in one SendMessageBatch and one worker batch."""
MAX_CHUNK_ROWS = 100
MAX_REASON_LENGTH = 300
MAX_FIELD_ERRORS = 3
MAX_FIELD_LENGTH = 200


def error_item(
    recipient_id: object, index: int, errors: list[FieldError], collection: str | None = None
) -> BulkErrorItem:
    """A rejected row as listed: ids, fields and messages cut to size and made printable (a rejected
    row may hold unpaired surrogates, which no answer can carry)."""
    reason = printable("; ".join(f"{e.field}: {e.message}" for e in errors)[:MAX_REASON_LENGTH])
    return BulkErrorItem(
        id=printable(recipient_id) if isinstance(recipient_id, str) else "",
        collection=collection,
        index=index,
        reason=reason,
        errors=[
            ErrorItem(field=printable(e.field[:MAX_FIELD_LENGTH]), message=printable(e.message[:MAX_FIELD_LENGTH]))
            for e in errors[:MAX_FIELD_ERRORS]
        ],
    )


def chunk_rows(operation_id: str, action: str, rows: list[BulkRow], collection: str | None = None) -> list[BulkChunk]:
    """Rows in chunks of at most MAX_CHUNK_ROWS rows and MAX_CHUNK_BYTES of JSON (a larger row alone)."""
    chunks: list[BulkChunk] = []
    current: list[BulkRow] = []
    size = 0
    for row in rows:
        row_size = len(jsontext.dumps(row.model_dump(exclude_none=True)).encode()) + 1
        if current and (size + row_size > MAX_CHUNK_BYTES or len(current) == MAX_CHUNK_ROWS):
            chunks.append(_chunk(operation_id, action, collection, len(chunks), current))
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        chunks.append(_chunk(operation_id, action, collection, len(chunks), current))
    return chunks


def _chunk(operation_id: str, action: str, collection: str | None, index: int, rows: list[BulkRow]) -> BulkChunk:
    return BulkChunk.model_validate(
        {"operation_id": operation_id, "chunk_index": index, "action": action, "rows": rows, "collection": collection}
    )
