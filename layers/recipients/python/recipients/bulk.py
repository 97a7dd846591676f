"""Bulk operations: validating rows one by one, and cutting the valid ones into queue chunks.

Pure code: no I/O. The service records the operation, queues the chunks and counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from recipients import jsontext
from recipients.errors import FieldError, RecipientsError, field_errors
from recipients.merge import plan_identify
from recipients.models import (
    BulkChunk,
    BulkErrorItem,
    BulkRow,
    ErrorItem,
    InlineIdentifyObjectRequest,
    InlineIdentifyUserRequest,
)
from recipients.validation import check_id, find_unpaired_surrogate, printable

MAX_MESSAGE_BYTES = 256 * 1024
"""SQS's cap on one message, and on the whole of one SendMessageBatch."""
MAX_ROW_BYTES = MAX_MESSAGE_BYTES - 4 * 1024
"""A row must fit in one message with the chunk's envelope around it."""
MAX_CHUNK_BYTES = 24 * 1024
"""Small enough that ten chunks fit in one SendMessageBatch."""
MAX_CHUNK_ROWS = 100
MAX_REASON_LENGTH = 300


def validate_identify_rows(rows: list[Any]) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each row checked with the identify rules; bad rows are reported with the reason, never block."""
    return _validate_rows(rows, InlineIdentifyUserRequest.model_validate, routing_keys=("id",))


def validate_set_object_rows(collection: str, rows: list[Any]) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Each row checked with the set rules, in the path's collection (a row may repeat it, not change it)."""

    def parse(row: dict[str, Any]) -> InlineIdentifyObjectRequest:
        request = InlineIdentifyObjectRequest.model_validate({"collection": collection, **row})
        if request.collection != collection:
            raise RecipientsError.invalid_field("collection", "must equal the collection in the path")
        return request

    return _validate_rows(rows, parse, routing_keys=("id", "collection"), collection=collection)


def _validate_rows(
    rows: list[Any],
    parse: Callable[[dict[str, Any]], InlineIdentifyUserRequest | InlineIdentifyObjectRequest],
    *,
    routing_keys: tuple[str, ...],
    collection: str | None = None,
) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    """Rows that parse and plan become BulkRows (their body without the routing keys); the rest, errors."""
    valid: list[BulkRow] = []
    rejected: list[BulkErrorItem] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            rejected.append(
                error_item(None, index, [FieldError("row", "must be a JSON object with an id")], collection)
            )
            continue
        surrogate = find_unpaired_surrogate(row)
        if surrogate is not None:
            field_name, message = surrogate
            rejected.append(error_item(row.get("id"), index, [FieldError(field_name or "row", message)], collection))
            continue
        try:
            request = parse(row)
            plan_identify(request)
        except ValidationError as exc:
            rejected.append(error_item(row.get("id"), index, field_errors(exc.errors()), collection))
            continue
        except RecipientsError as exc:
            errors = exc.errors or [FieldError("row", exc.message)]
            rejected.append(error_item(row.get("id"), index, errors, collection))
            continue
        body = {key: value for key, value in row.items() if key not in routing_keys}
        size = len(jsontext.dumps(body).encode())
        if size > MAX_ROW_BYTES:
            message = f"is {size:,} bytes; a bulk row may take {MAX_ROW_BYTES:,} (write it with PUT instead)"
            rejected.append(error_item(request.id, index, [FieldError("row", message)], collection))
            continue
        valid.append(BulkRow(index=index, id=request.id, body=body))
    return valid, rejected


def validate_delete_ids(ids: list[Any], collection: str | None = None) -> tuple[list[BulkRow], list[BulkErrorItem]]:
    valid: list[BulkRow] = []
    rejected: list[BulkErrorItem] = []
    for index, recipient_id in enumerate(ids):
        if not isinstance(recipient_id, str):
            rejected.append(error_item(None, index, [FieldError("id", "must be a string")], collection))
            continue
        try:
            valid.append(BulkRow(index=index, id=check_id(recipient_id)))
        except ValueError as exc:
            rejected.append(error_item(recipient_id, index, [FieldError("id", str(exc))], collection))
    return valid, rejected


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
            ErrorItem(field=printable(e.field[:MAX_REASON_LENGTH]), message=printable(e.message[:MAX_REASON_LENGTH]))
            for e in errors[:5]
        ],
    )


def chunk_rows(operation_id: str, action: str, rows: list[BulkRow], collection: str | None = None) -> list[BulkChunk]:
    """Rows in chunks of at most MAX_CHUNK_ROWS rows and MAX_CHUNK_BYTES of JSON.

    Rows of one id stay together and in order, so a worker applies them one after another.
    """
    chunks: list[BulkChunk] = []
    current: list[BulkRow] = []
    size = 0
    for group in _groups_by_id(rows):
        group_size = sum(len(jsontext.dumps(row.model_dump()).encode()) + 1 for row in group)
        if current and (size + group_size > MAX_CHUNK_BYTES or len(current) + len(group) > MAX_CHUNK_ROWS):
            chunks.append(_chunk(operation_id, action, collection, len(chunks), current))
            current, size = [], 0
        current.extend(group)
        size += group_size
    if current:
        chunks.append(_chunk(operation_id, action, collection, len(chunks), current))
    return chunks


def rows_by_id(rows: Iterable[BulkRow]) -> list[list[BulkRow]]:
    return list(_groups_by_id(rows))


def _groups_by_id(rows: Iterable[BulkRow]) -> Iterator[list[BulkRow]]:
    groups: dict[str, list[BulkRow]] = {}
    for row in rows:
        groups.setdefault(row.id, []).append(row)
    yield from groups.values()


def _chunk(operation_id: str, action: str, collection: str | None, index: int, rows: list[BulkRow]) -> BulkChunk:
    return BulkChunk.model_validate(
        {"operation_id": operation_id, "chunk_index": index, "action": action, "rows": rows, "collection": collection}
    )
