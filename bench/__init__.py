"""`make bench` (see `__main__.py`): what the shared pieces of the benchmarks need."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.layer import LambdaLayout

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "RECIPIENTS_TABLE_NAME": "recipients-bench",
    "IDEMPOTENCY_TABLE_NAME": "idempotency-bench",
    "SCHEDULE_GROUP_NAME": "schedules-bench",
    "SCHEDULE_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:recipients-bench-ScheduleFiring",
    "SCHEDULE_ROLE_ARN": "arn:aws:iam::123456789012:role/recipients-bench-scheduler",
    "WORKFLOW_EVENT_BUS_NAME": "workflows-bench",
    "POWERTOOLS_SERVICE_NAME": "recipients",
    "POWERTOOLS_METRICS_NAMESPACE": "Recipients",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
"""The environment in-process benchmarks and the fresh interpreters they start run with."""


class Context:
    """The Lambda context the handlers and Powertools read."""

    function_name = "identify"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:identify"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def lambda_environment(layout: LambdaLayout, *, traced: bool = False) -> dict[str, str]:
    """FAKE_AWS in `layout`, with tracing off; `traced`: as in a Lambda with `Tracing: Active` instead."""
    variables = {**os.environ, **FAKE_AWS}
    if traced:
        del variables["POWERTOOLS_TRACE_DISABLED"]
        variables["LAMBDA_TASK_ROOT"] = str(layout.source)  # Powertools traces only inside Lambda
    return layout.environment(variables)


_TABLE_NAMES = {"RecipientsTable": "RECIPIENTS_TABLE_NAME", "IdempotencyTable": "IDEMPOTENCY_TABLE_NAME"}


def create_tables() -> None:
    """The template's tables in the active moto mock, named as FAKE_AWS says, the queue a delete asks
    its subscriptions' clean-up on, the schedule group and the workflow bus."""
    import boto3

    from local.template import create_table_arguments, resources_of_type

    tables = resources_of_type("AWS::DynamoDB::Table")
    for logical_id, variable in _TABLE_NAMES.items():
        arguments = create_table_arguments(tables[logical_id]["Properties"])
        boto3.client("dynamodb").create_table(TableName=FAKE_AWS[variable], **arguments)
    queue = boto3.client("sqs").create_queue(QueueName="subscription-cleanup-bench")["QueueUrl"]
    os.environ["SUBSCRIPTION_CLEANUP_QUEUE_URL"] = queue
    boto3.client("scheduler").create_schedule_group(Name=FAKE_AWS["SCHEDULE_GROUP_NAME"])  # schedules arm there
    boto3.client("events").create_event_bus(Name=FAKE_AWS["WORKFLOW_EVENT_BUS_NAME"])  # a firing puts its run


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Logs and metrics are written, as in Lambda, but not shown."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield
