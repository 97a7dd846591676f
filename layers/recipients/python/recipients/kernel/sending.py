"""SendMessageBatch with retries of the entries SQS refused, for every feature that queues work.

SendMessageBatch reports failed entries without raising; those are sent again with a growing pause,
and whatever still fails is handed back, so the caller decides what an unsent message means.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from recipients.kernel.aws import sqs
from recipients.kernel.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_ENTRIES = 10
SEND_ATTEMPTS = 3


def send_batch(
    queue_url: str, bodies: Mapping[str, str], *, delay_seconds: int | None = None, pause_seconds: float = 0.1
) -> set[str]:
    """Send up to 10 message bodies, by entry id; returns the ids still unsent after SEND_ATTEMPTS tries.

    `delay_seconds` overrides the queue's delay for these messages.
    """
    client = sqs()
    pending = dict(bodies)
    for attempt in range(SEND_ATTEMPTS):
        if attempt:
            time.sleep(pause_seconds * 2**attempt)
        entries: list[SendMessageBatchRequestEntryTypeDef] = []
        for entry_id, body in pending.items():
            entry: SendMessageBatchRequestEntryTypeDef = {"Id": entry_id, "MessageBody": body}
            if delay_seconds is not None:
                entry["DelaySeconds"] = delay_seconds
            entries.append(entry)
        try:
            response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except client.exceptions.ClientError as exc:
            logger.warning("SendMessageBatch failed", extra={"error": exc.response.get("Error", {}).get("Code")})
            continue
        pending = {entry["Id"]: pending[entry["Id"]] for entry in response.get("Failed", [])}
        if not pending:
            return set()
    return set(pending)
