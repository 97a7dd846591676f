"""What the change-event consumer reads from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class ChangeEventSettings(EnvironmentSettings):
    workflow_event_bus_name: str = Field(min_length=1, description="EventBridge bus the change events go to")
    change_event_values: bool = Field(False, description="Whether events carry the changed keys' new values")


@lru_cache(maxsize=1)
def change_event_settings() -> ChangeEventSettings:
    return ChangeEventSettings.from_environment()
