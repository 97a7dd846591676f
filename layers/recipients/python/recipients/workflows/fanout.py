"""Fan-out of a run whose recipients include objects: the trigger puts the parts of its own
recipients, then queues one message here; the expander (workflows/expander.py, FanoutFunction)
walks the subscriptions (workflows/expansion.py) and puts the rest of the parts, numbered on from
the trigger's.
"""

from __future__ import annotations

from typing import Any

from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.aws import sqs
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger
from recipients.workflows.settings import fanout_settings

FANOUT_ROOM = 32 * 1024
"""Room for recipients a run with objects keeps in each event (its data goes to S3 sooner): a
subscriber with its subscription's properties (at most 16 KiB) always fits."""


def start_fanout(
    base: dict[str, Any], sources: list[RecipientRef], excluded: list[RecipientRef], first_part: int
) -> None:
    """Queue the expansion of `sources`, to be put as parts `first_part` on, or raise a retryable error."""
    message = {
        "base": base,
        "sources": [ref.to_wire() for ref in sources],
        "excluded": [ref.to_wire() for ref in excluded],
        "first_part": first_part,
    }
    client = sqs()
    try:
        client.send_message(QueueUrl=fanout_settings().fanout_queue_url, MessageBody=jsontext.dumps(message))
    except client.exceptions.ClientError as exc:
        logger.warning("SendMessage failed", extra={"error": exc.response.get("Error", {}).get("Code")})
        raise RecipientsError.unavailable("the run's fan-out could not be queued; retry") from exc
