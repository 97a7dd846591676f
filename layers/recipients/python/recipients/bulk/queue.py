"""Sending bulk chunks to SQS: SendMessageBatch packed by count (10) and bytes (256 KiB).

SendMessageBatch reports failed entries without raising; those are retried, and whatever still
fails is handed back so the caller can count its rows instead of losing them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from recipients.bulk.models import BulkChunk
from recipients.bulk.rows import MAX_MESSAGE_BYTES
from recipients.bulk.settings import queue_settings
from recipients.kernel.aws import sqs
from recipients.kernel.batching import batches
from recipients.kernel.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10
SEND_ATTEMPTS = 3


def send_chunks(chunks: list[BulkChunk]) -> list[BulkChunk]:
    """Queue every chunk; returns the chunks that could not be queued after SEND_ATTEMPTS tries."""
    unsent: list[BulkChunk] = []
    for batch in _batches(chunks):
        unsent.extend(_send_batch(batch))
    return unsent


def _batches(chunks: list[BulkChunk]) -> Iterator[list[tuple[BulkChunk, str]]]:
    messages = [(chunk, chunk.to_json()) for chunk in chunks]
    return batches(
        messages, lambda message: len(message[1].encode()), max_items=MAX_BATCH_ENTRIES, max_bytes=MAX_MESSAGE_BYTES
    )


def _send_batch(batch: list[tuple[BulkChunk, str]]) -> list[BulkChunk]:
    client = sqs()
    pending = {str(chunk.chunk_index): (chunk, text) for chunk, text in batch}
    for attempt in range(SEND_ATTEMPTS):
        if attempt:
            time.sleep(0.2 * 2**attempt)
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": entry_id, "MessageBody": text} for entry_id, (_, text) in pending.items()
        ]
        try:
            response = client.send_message_batch(QueueUrl=queue_settings().bulk_queue_url, Entries=entries)
        except client.exceptions.ClientError as exc:
            logger.warning("SendMessageBatch failed", extra={"error": exc.response.get("Error", {}).get("Code")})
            continue
        failed = {entry["Id"] for entry in response.get("Failed", [])}
        pending = {entry_id: pending[entry_id] for entry_id in failed}
        if not pending:
            return []
    logger.error("chunks could not be queued", extra={"chunks": sorted(pending)})
    return [chunk for chunk, _ in pending.values()]
