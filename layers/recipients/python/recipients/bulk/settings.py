"""What the bulk functions read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class QueueSettings(EnvironmentSettings):
    bulk_queue_url: str = Field(min_length=1, description="SQS queue that bulk_worker consumes")


class BulkSettings(EnvironmentSettings):
    bulk_operation_retention_days: int = Field(7, ge=1, le=365, description="Days a finished operation stays")


@lru_cache(maxsize=1)
def queue_settings() -> QueueSettings:
    return QueueSettings.from_environment()


@lru_cache(maxsize=1)
def bulk_settings() -> BulkSettings:
    return BulkSettings.from_environment()
