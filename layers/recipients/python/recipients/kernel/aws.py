"""boto3 clients, created once per container. Only store.py, queue.py, bus.py and idempotency.py use them.

boto3 itself is imported with the first client: importing a handler loads none of it.
Outside Lambda, `AWS_ENDPOINT_URL` points every client at the local emulator.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


@lru_cache(maxsize=1)
def _config() -> Config:
    from botocore.config import Config

    # max_pool_connections: bulk_worker writes the rows of a chunk from several threads at once
    return Config(
        retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5, max_pool_connections=32
    )


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    """Made on first use, like the others: importing a handler creates no client."""
    import boto3

    return boto3.client("dynamodb", config=_config())


@lru_cache(maxsize=1)
def sqs() -> SQSClient:
    """Made on first use: only the functions that queue work pay for a second client at cold start."""
    import boto3

    return boto3.client("sqs", config=_config())


@lru_cache(maxsize=1)
def events() -> EventBridgeClient:
    import boto3

    return boto3.client("events", config=_config())


@lru_cache(maxsize=1)
def s3() -> S3Client:
    import boto3

    return boto3.client("s3", config=_config())


@lru_cache(maxsize=1)
def scheduler() -> Any:
    """EventBridge Scheduler (typed loosely: the project carries no stubs for it)."""
    import boto3

    return boto3.client("scheduler", config=_config())
