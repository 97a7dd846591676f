"""Unit tests run in-process with the network cut off (Unix sockets stay allowed)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import pytest_socket

from recipients.kernel.observability import logger, metrics
from tests.conftest import BulkQueues, WorkflowBus


@pytest.hookimpl(trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Only for tests/unit: integration tests in the same run need real sockets.
    if item.get_closest_marker("enable_socket") or item.config.getoption("force_enable_socket", False):
        return
    pytest_socket.disable_socket(allow_unix_socket=True)


@pytest.fixture(autouse=True)
def _no_leftover_metrics() -> None:
    """Metrics added by a use case called outside a handler are flushed by no one: drop them."""
    metrics.clear_metrics()


@pytest.fixture(scope="session")
def dynamodb_client() -> Any:
    """A plain boto3 client, separate from the layer's, for reading the table back."""
    return boto3.client("dynamodb")


@pytest.fixture
def stored_items(recipients_table: str, dynamodb_client: Any) -> Callable[[], list[dict[str, Any]]]:
    """Every raw item in the recipients table."""
    client = dynamodb_client

    def scan() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {"TableName": recipients_table}
        while True:
            response = client.scan(**request)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    return scan


@pytest.fixture
def nothing_written(
    stored_items: Callable[[], list[dict[str, Any]]], dynamodb_requests: list[str], idempotency_requests: list[str]
) -> Callable[[], None]:
    """Asserts that the layer sent no request to either table and the recipients table is still empty."""

    def check() -> None:
        assert dynamodb_requests == []
        assert idempotency_requests == []
        assert stored_items() == []

    return check


@pytest.fixture(scope="session")
def sqs_client() -> Any:
    """A plain boto3 SQS client, separate from the layer's, for looking into queues."""
    return boto3.client("sqs")


@pytest.fixture(scope="session")
def s3_client() -> Any:
    """A plain boto3 S3 client, separate from the layer's, for looking into buckets."""
    return boto3.client("s3")


@pytest.fixture
def nothing_published(
    bulk_queues: BulkQueues, workflow_bus: WorkflowBus, workflow_data_bucket: str, sqs_client: Any, s3_client: Any
) -> Callable[[], None]:
    """Asserts that no bulk chunk was queued (nor dead-lettered), no fan-out was queued, no workflow
    event reached the bus and no run data was stored."""

    def check() -> None:
        for url in (bulk_queues.url, bulk_queues.dead_letter_url, workflow_bus.fanout_url):
            counts = sqs_client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
        assert workflow_bus.received() == []
        assert s3_client.list_objects_v2(Bucket=workflow_data_bucket)["KeyCount"] == 0

    return check


@pytest.fixture
def stored_user(recipients_table: str, dynamodb_client: Any) -> Callable[[str], dict[str, Any] | None]:
    """The raw item of one user (GetItem on `user#<id>`), or None."""
    client = dynamodb_client

    def get(user_id: str) -> dict[str, Any] | None:
        return client.get_item(TableName=recipients_table, Key={"pk": {"S": f"user#{user_id}"}}).get("Item")

    return get


def _requests_to(table: str) -> Iterator[list[str]]:
    """The operation names of every request the layer's DynamoDB client sends to `table`, retries included."""
    from recipients.kernel.aws import dynamodb

    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        body = json.loads(request.body or b"{}")
        transacted = {action.get("TableName") for item in body.get("TransactItems", []) for action in item.values()}
        if table in {body.get("TableName"), *body.get("RequestItems", {}), *transacted}:
            target = request.headers.get("X-Amz-Target", b"")
            sent.append((target.decode() if isinstance(target, bytes) else target).rpartition(".")[2])

    # First, so it runs before moto answers the request (the first handler to answer stops the chain).
    unique_id = f"tests.dynamodb_requests.{table}"
    dynamodb().meta.events.register_first("before-send.dynamodb", record, unique_id=unique_id)
    yield sent
    dynamodb().meta.events.unregister("before-send.dynamodb", unique_id=unique_id)


@pytest.fixture
def dynamodb_requests() -> Iterator[list[str]]:
    """Requests to the recipients table."""
    yield from _requests_to(os.environ["RECIPIENTS_TABLE_NAME"])


@pytest.fixture
def idempotency_requests() -> Iterator[list[str]]:
    """Requests to the table of Idempotency-Key records."""
    yield from _requests_to(os.environ["IDEMPOTENCY_TABLE_NAME"])


class _CurrentStdout:
    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def log_output(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """Everything the service wrote to stdout so far in this test: JSON logs and EMF metrics.

    The Powertools handler keeps the stream it was given at import; for this test it writes to
    whatever `sys.stdout` is at the time of the call, which is capsys's stream.
    """
    handler: logging.StreamHandler[Any] = logger.registered_handler  # type: ignore[assignment]
    previous = handler.stream
    handler.stream = _CurrentStdout()
    captured: list[str] = []

    def output() -> str:
        captured.append(capsys.readouterr().out)
        return "".join(captured)

    yield output
    handler.stream = previous


@pytest.fixture
def ssm_parameter(aws: None) -> Callable[[str, str | None], None]:
    """Set the SSM parameter named by an environment variable to a value, or delete it (None)."""

    def put(variable: str, value: str | None) -> None:
        ssm = boto3.client("ssm")
        if value is None:
            ssm.delete_parameter(Name=os.environ[variable])
        else:
            ssm.put_parameter(Name=os.environ[variable], Type="String", Value=value, Overwrite=True)

    return put
