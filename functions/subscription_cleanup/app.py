"""subscription_cleanup: removes a deleted recipient's subscriptions, a bounded number of pages per message."""

# First: Powertools' batch module loads its pydantic event models only when pydantic is already imported
from recipients.kernel.queues import sqs_entrypoint  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from recipients.kernel import jsontext
from recipients.subscriptions import sweep


def record_handler(record: SQSRecord) -> None:  # Powertools requires the parameter name `record`
    sweep.clean(jsontext.loads(record.body))  # raises => this message alone is retried, then dead-lettered


lambda_handler = sqs_entrypoint(record_handler)
