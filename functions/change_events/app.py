"""change_events: the recipients table's stream in, one recipient.* event per committed change on the bus."""

from recipients.changes.consumer import process_records
from recipients.kernel.streams import stream_entrypoint

lambda_handler = stream_entrypoint(process_records)
