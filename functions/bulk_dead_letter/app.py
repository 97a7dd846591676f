"""bulk_dead_letter: a chunk that failed every delivery has its rows counted as errors."""

# First: Powertools' batch module loads its pydantic event models (a tenth of this import) only
# when pydantic is already imported, and everything else here imports pydantic.
from recipients.kernel.queues import sqs_entrypoint  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from recipients.bulk import apply
from recipients.bulk.worker import read_chunk

REASON = "could not be written after every retry; send these rows again"


def record_handler(record: SQSRecord) -> None:
    chunk = read_chunk(record, or_none=True)  # a message that is no chunk has no rows to count: drop it
    if chunk is not None:
        apply.fail_bulk_chunk(chunk, REASON)


lambda_handler = sqs_entrypoint(record_handler)
