"""bulk_worker: writes the rows of queued bulk chunks and counts each chunk exactly once."""

# First: Powertools' batch module loads its pydantic event models (a tenth of this import) only
# when pydantic is already imported, and everything else here imports pydantic.
from recipients.kernel.queues import sqs_entrypoint  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from recipients.bulk import apply
from recipients.bulk.worker import read_chunk


def record_handler(record: SQSRecord) -> None:  # Powertools requires the parameter name `record`
    apply.apply_bulk_chunk(read_chunk(record))  # raises => this message alone is retried, then dead-lettered


lambda_handler = sqs_entrypoint(record_handler)
