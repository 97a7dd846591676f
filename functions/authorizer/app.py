"""HTTP API Lambda REQUEST authorizer: Bearer secret keys checked against hashes in SSM."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.auth.keys import authorize
from recipients.kernel.observability import logger


@logger.inject_lambda_context(log_event=False)  # the event holds the Bearer key
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize(event)
