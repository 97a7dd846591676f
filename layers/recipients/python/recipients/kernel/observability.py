"""One Logger and Metrics for every function, and a Tracer where tracing is on (POWERTOOLS_* variables).

Lambda filters the application logs at the function's `ApplicationLogLevel` (the template's
LogLevel). Powertools writes straight to stdout, which Lambda does not see as a supported logging
method, so it reads each line's JSON `"level"`: a line without a valid level, or without an RFC 3339
`timestamp`, is taken as INFO, and a line below the configured level is dropped
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html). Hence the
log lines use Lambda's level names and RFC 3339 times, and every metric line carries the configured
level itself, so that no allowed LogLevel can drop a metric.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import resolve_cold_start_function_name
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from recipients.kernel import snapstart

if TYPE_CHECKING:  # TypedDicts, which cost a cold start more to make than they are worth at run time
    from aws_lambda_powertools.logging.types import LogRecord
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.types import CloudWatchEMFOutput
from recipients.kernel.settings import application_log_level

_LAMBDA_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
"""Python's level names that are not Lambda's (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)."""


class LambdaLogFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log lines, with the level names and timestamps Lambda's filter reads."""

    def __init__(self) -> None:
        super().__init__(use_rfc3339=True)

    def serialize(self, log: LogRecord) -> str:
        level = log.get("level")
        if isinstance(level, str):
            log["level"] = _LAMBDA_LEVEL_NAMES.get(level, level)
        return super().serialize(log)


class LeveledEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF metric lines, each with the function's application log level and a timestamp."""

    def serialize_metric_set(
        self,
        metrics: dict[str, Any] | None = None,
        dimensions: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> CloudWatchEMFOutput:
        blob = super().serialize_metric_set(metrics=metrics, dimensions=dimensions, metadata=metadata)
        written = dt.datetime.fromtimestamp(blob["_aws"]["Timestamp"] / 1000, tz=dt.UTC)
        return cast(
            "CloudWatchEMFOutput",
            {**blob, "level": application_log_level(), "timestamp": written.isoformat(timespec="milliseconds")},
        )

    def add_cold_start_metric(self, context: Any) -> None:
        """Powertools prints the cold-start metric through `single_metric`, which no provider
        serializes: print the same metric (same name, namespace and dimensions) through this one."""
        cold_start = LeveledEMFProvider(namespace=self.namespace, service=self.service)
        cold_start.add_metric(name="ColdStart", unit=MetricUnit.Count, value=1)
        function_name = resolve_cold_start_function_name(function_name=self.function_name, context=context)
        cold_start.add_dimension(name="function_name", value=function_name)
        print(json.dumps(cold_start.serialize_metric_set(), separators=(",", ":")))


logger = Logger(logger_formatter=LambdaLogFormatter())
metrics = Metrics(provider=LeveledEMFProvider())
# An invocation that counted nothing (a stream batch of no-op writes, a change no schedule follows) is
# normal here: Powertools would print a UserWarning to the function's log for each.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
snapstart.register_hooks()  # every function imports this module


def traced[HandlerT: Callable[..., object]](handler: HandlerT) -> HandlerT:
    """`handler` in an X-Ray segment, where Powertools would trace at all.

    A Tracer imports the X-Ray SDK even when it is disabled, and that adds about half an
    `import boto3` to every cold start (`make bench`: identify_import_ratio_traced). Where tracing
    is off (outside Lambda, or POWERTOOLS_TRACE_DISABLED) no Tracer is made at all.
    """
    if Tracer._is_tracer_disabled():  # Powertools' own rule, so the two can never disagree
        return handler
    return cast(HandlerT, Tracer().capture_lambda_handler(handler, capture_response=False))
