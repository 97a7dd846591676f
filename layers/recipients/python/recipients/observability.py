"""One Logger and Metrics for every function, and a Tracer where tracing is on (POWERTOOLS_* variables)."""

from collections.abc import Callable
from typing import TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()

HandlerT = TypeVar("HandlerT", bound=Callable[..., object])


def traced(handler: HandlerT) -> HandlerT:
    """`handler` in an X-Ray segment, where Powertools would trace at all.

    A Tracer imports the X-Ray SDK even when it is disabled, and that adds about half an
    `import boto3` to every cold start (`make bench`: identify_import_ratio_traced). Where tracing
    is off (outside Lambda, or POWERTOOLS_TRACE_DISABLED) no Tracer is made at all.
    """
    if Tracer._is_tracer_disabled():  # Powertools' own rule, so the two can never disagree
        return handler
    return cast(HandlerT, Tracer().capture_lambda_handler(handler, capture_response=False))
