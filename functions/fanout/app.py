"""fanout: puts the parts of a run's subscribers, exactly once, from queued fan-out messages."""

# First: Powertools' batch module loads its pydantic event models only when pydantic is already imported
from recipients.kernel.queues import sqs_entrypoint  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.kernel.rules import expires_in
from recipients.workflows import expander
from recipients.workflows.settings import workflow_settings


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:  # names Powertools requires
    expires_at = expires_in(workflow_settings().workflow_run_retention_days)
    expander.expand(record.body, expander.remaining_seconds(lambda_context), expires_at)


lambda_handler = sqs_entrypoint(record_handler)
