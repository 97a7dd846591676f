"""Environment variables as models, split by need and read lazily on first use.

Tests change the environment and call `<getter>.cache_clear()`.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings


class TableSettings(BaseSettings):
    recipients_table_name: str = Field(min_length=3, description="DynamoDB table holding the recipients")


class AuthSettings(BaseSettings):
    api_key_hashes_parameter: str = Field(min_length=1, description="SSM parameter with SHA-256 key hashes")
    api_key_cache_seconds: int = Field(60, ge=0, le=3600)


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings()  # fields are filled from the environment


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings()


class QueueSettings(BaseSettings):
    bulk_queue_url: str = Field(min_length=1, description="SQS queue that bulk_worker consumes")


class BulkSettings(BaseSettings):
    bulk_operation_retention_days: int = Field(7, ge=1, le=365, description="Days a finished operation stays")


@lru_cache(maxsize=1)
def queue_settings() -> QueueSettings:
    return QueueSettings()


@lru_cache(maxsize=1)
def bulk_settings() -> BulkSettings:
    return BulkSettings()


class WorkflowSettings(BaseSettings):
    workflow_event_bus_name: str = Field(min_length=1, description="EventBridge bus that receives run events")
    workflow_run_retention_days: int = Field(30, ge=1, le=365, description="Days a run stays recorded")


@lru_cache(maxsize=1)
def workflow_settings() -> WorkflowSettings:
    return WorkflowSettings()


class RunDataSettings(BaseSettings):
    workflow_data_bucket_name: str = Field(min_length=3, description="S3 bucket for run data too large for events")


@lru_cache(maxsize=1)
def run_data_settings() -> RunDataSettings:
    return RunDataSettings()


class IdempotencySettings(BaseSettings):
    idempotency_table_name: str = Field(min_length=3, description="DynamoDB table of Idempotency-Key records")


@lru_cache(maxsize=1)
def idempotency_settings() -> IdempotencySettings:
    return IdempotencySettings()
