"""Environment variables as models, split by need and read lazily on first use.

Each field is read from the variable of the same name in upper case. Tests change the environment
and call `<getter>.cache_clear()`. No `from __future__ import annotations`, as in models.py.
"""

import os
from functools import lru_cache
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


class EnvironmentSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # a function builds only the settings it reads

    @classmethod
    def from_environment(cls) -> Self:
        present = {name: os.environ[name.upper()] for name in cls.model_fields if name.upper() in os.environ}
        return cls.model_validate(present)


class TableSettings(EnvironmentSettings):
    recipients_table_name: str = Field(min_length=3, description="DynamoDB table holding the recipients")


class AuthSettings(EnvironmentSettings):
    api_key_hashes_parameter: str = Field(min_length=1, description="SSM parameter with SHA-256 key hashes")
    api_key_cache_seconds: int = Field(60, ge=0, le=3600)
    aws_region: str | None = Field(None, description="Set by Lambda; named in the error when SSM cannot be read")


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings.from_environment()


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings.from_environment()


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


class WorkflowSettings(EnvironmentSettings):
    workflow_event_bus_name: str = Field(min_length=1, description="EventBridge bus that receives run events")
    workflow_run_retention_days: int = Field(30, ge=1, le=365, description="Days a run stays recorded")


@lru_cache(maxsize=1)
def workflow_settings() -> WorkflowSettings:
    return WorkflowSettings.from_environment()


class RunDataSettings(EnvironmentSettings):
    workflow_data_bucket_name: str = Field(min_length=3, description="S3 bucket for run data too large for events")


@lru_cache(maxsize=1)
def run_data_settings() -> RunDataSettings:
    return RunDataSettings.from_environment()


class IdempotencySettings(EnvironmentSettings):
    idempotency_table_name: str = Field(min_length=3, description="DynamoDB table of Idempotency-Key records")


@lru_cache(maxsize=1)
def idempotency_settings() -> IdempotencySettings:
    return IdempotencySettings.from_environment()


def application_log_level() -> str:
    """The function's application log level, which Lambda sets from `LoggingConfig` (INFO by default).

    Read on every call, not cached: it is one environment lookup, and tests drive several levels.
    """
    return os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO"
