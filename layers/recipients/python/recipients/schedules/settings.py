"""What the schedule functions read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

from recipients.kernel.rules import check_timezone
from recipients.kernel.settings import EnvironmentSettings


class TimezoneSettings(EnvironmentSettings):
    default_timezone: Annotated[str, AfterValidator(check_timezone)] = Field(
        "Etc/UTC", description="Where repeat rules are evaluated for a recipient without a timezone"
    )


@lru_cache(maxsize=1)
def timezone_settings() -> TimezoneSettings:
    return TimezoneSettings.from_environment()


class SchedulerSettings(EnvironmentSettings):
    schedule_group_name: str = Field(min_length=1, description="The EventBridge Scheduler group of the stack")
    schedule_target_arn: str = Field(min_length=1, description="The function an occurrence invokes")
    schedule_role_arn: str = Field(min_length=1, description="The role EventBridge Scheduler invokes it with")


@lru_cache(maxsize=1)
def scheduler_settings() -> SchedulerSettings:
    return SchedulerSettings.from_environment()
