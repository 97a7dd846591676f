"""What the workflow functions read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class WorkflowEnvironment(EnvironmentSettings):
    workflow_event_bus_name: str = Field(min_length=1, description="EventBridge bus that receives run events")
    workflow_run_retention_days: int = Field(30, ge=1, le=365, description="Days a run stays recorded")


@lru_cache(maxsize=1)
def workflow_settings() -> WorkflowEnvironment:
    return WorkflowEnvironment.from_environment()


class RunDataSettings(EnvironmentSettings):
    workflow_data_bucket_name: str = Field(min_length=3, description="S3 bucket for run data too large for events")


@lru_cache(maxsize=1)
def run_data_settings() -> RunDataSettings:
    return RunDataSettings.from_environment()


class FanoutSettings(EnvironmentSettings):
    fanout_queue_url: str = Field(min_length=1, description="SQS queue the fan-out expander consumes")


@lru_cache(maxsize=1)
def fanout_settings() -> FanoutSettings:
    return FanoutSettings.from_environment()
