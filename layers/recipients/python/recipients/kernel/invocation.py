"""Glue for functions another AWS service invokes with a plain event (EventBridge Scheduler, an
EventBridge rule): the same logging, tracing and metrics as the API and queue functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from recipients.kernel.observability import logger, metrics, traced

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def event_entrypoint(handle: Callable[[dict[str, Any]], Any]) -> Handler:
    """A Lambda handler that runs `handle(event)`; an error raises, so the invoker retries the event."""

    @logger.inject_lambda_context(log_event=False)
    @traced
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> Any:
        return handle(event)

    return cast(Handler, handler)
