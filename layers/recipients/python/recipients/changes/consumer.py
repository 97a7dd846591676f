"""The stream consumer: a batch of stream records in, their change events on the bus, a partial batch
response out.

1. The checkpoint of the batch's first record says what an earlier delivery already put: skipped.
2. Every other record becomes its event (mapping.py), or nothing; a record that cannot be read fails.
3. The events go out in PutEvents of at most 10 entries and 256 KB; entries still refused after
   PUT_ATTEMPTS fail their records.
4. If anything was put, the checkpoint is written under the first record and the lowest failed one
   (checkpoint.py), and the failed records are reported: Lambda retries from the lowest, and the
   records after it that were put are skipped then.

What stays at-least-once: events put by an invocation that ends (a crash, a timeout) before its
checkpoint is written, or whose checkpoint write fails, are put again by the redelivery; so are those
of the second half of a batch that Lambda bisects after such a failure, as no checkpoint names its first record.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit

from recipients.changes.checkpoint import Checkpoint, get_checkpoint_store
from recipients.changes.mapping import Change, change_of
from recipients.changes.settings import change_event_settings
from recipients.kernel import jsontext
from recipients.kernel.aws import events
from recipients.kernel.batching import batches
from recipients.kernel.observability import logger, metrics

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

SOURCE = "recipients"
"""The source of every event of the service (workflows.bus.SOURCE too: a test keeps them equal)."""
MAX_EVENT_BYTES = 256 * 1024
MAX_BATCH_ENTRIES = 10
PUT_ATTEMPTS = 3


class Pending(NamedTuple):
    sequence: int
    entry: PutEventsRequestEntryTypeDef


def process_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Put the change events of a shard's records, in order; the partial batch response."""
    if not records:
        return {"batchItemFailures": []}
    settings = change_event_settings()
    store = get_checkpoint_store()
    earlier = store.read(records[0]["eventID"])
    sequences = [int(record["dynamodb"]["SequenceNumber"]) for record in records]
    done: set[int] = set()
    failed: set[int] = set()
    pending: list[Pending] = []
    for record, sequence in zip(records, sequences, strict=True):
        if earlier.covers(sequence):
            done.add(sequence)
            continue
        try:
            change = change_of(record, with_values=settings.change_event_values)
        except (KeyError, TypeError, ValueError):
            logger.exception("a stream record could not be read", extra={"sequence_number": str(sequence)})
            failed.add(sequence)
            continue
        if change is None:
            done.add(sequence)
            continue
        pending.append(Pending(sequence, _entry(change, settings.workflow_event_bus_name)))
    put = _put_all(pending)
    failed |= {item.sequence for item in pending} - put
    done |= put
    if put or (failed and earlier != Checkpoint()):
        checkpoint = Checkpoint.of(done, sequences).merged(earlier)
        lowest_failed = [record["eventID"] for record, s in zip(records, sequences, strict=True) if s in failed][:1]
        _write_checkpoint([records[0]["eventID"], *lowest_failed], checkpoint)
    if put:
        metrics.add_metric(name="ChangeEventsPut", unit=MetricUnit.Count, value=len(put))
    return {
        "batchItemFailures": [
            {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
            for record, sequence in zip(records, sequences, strict=True)
            if sequence in failed
        ]
    }


def _entry(change: Change, bus: str) -> PutEventsRequestEntryTypeDef:
    """The event's entry; values that would take it past EventBridge's 256 KB are left out, and it says so."""
    entry: PutEventsRequestEntryTypeDef = {
        "EventBusName": bus,
        "Source": SOURCE,
        "DetailType": change.detail_type,
        "Detail": jsontext.dumps(change.detail),
    }
    if "values" in change.detail and _size(entry) > MAX_EVENT_BYTES:
        detail = {name: value for name, value in change.detail.items() if name != "values"}
        entry["Detail"] = jsontext.dumps({**detail, "values_omitted": True})
    return entry


def _size(entry: PutEventsRequestEntryTypeDef) -> int:
    """An entry's size as EventBridge counts it: source, detail type and detail, plus the 14-byte time."""
    return 14 + len(entry["Source"]) + len(entry["DetailType"].encode()) + len(entry["Detail"].encode())


def _write_checkpoint(event_ids: list[str], checkpoint: Checkpoint) -> None:
    try:
        get_checkpoint_store().write(event_ids, checkpoint)
    except Exception:  # the events are put: a redelivery would put them again, which is what failing here causes
        logger.exception("the checkpoint could not be written; a redelivery of this batch would repeat events")


def _put_all(pending: list[Pending]) -> set[int]:
    """PutEvents of every entry, 10 and 256 KB a request; the sequences of the records whose events were put."""
    put: set[int] = set()
    for batch in batches(
        pending, lambda item: _size(item.entry), max_items=MAX_BATCH_ENTRIES, max_bytes=MAX_EVENT_BYTES
    ):
        put |= _put(batch)
    return put


def _put(batch: list[Pending]) -> set[int]:
    client = events()
    put: set[int] = set()
    waiting = list(batch)
    for attempt in range(PUT_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * 2**attempt)
        try:
            response = client.put_events(Entries=[item.entry for item in waiting])
        except client.exceptions.ClientError as exc:
            logger.warning("PutEvents failed", extra={"error": exc.response.get("Error", {}).get("Code")})
            continue
        results = response.get("Entries", [])
        refused = [item for item, result in zip(waiting, results, strict=False) if result.get("ErrorCode")]
        refused += waiting[len(results) :]
        put |= {item.sequence for item in waiting} - {item.sequence for item in refused}
        waiting = refused
        if not waiting:
            break
    if waiting:
        logger.error("change events could not be put on the bus", extra={"events": len(waiting)})
    return put
