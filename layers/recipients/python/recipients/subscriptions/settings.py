"""What the functions that delete recipients (and the clean-up itself) read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class CleanupSettings(EnvironmentSettings):
    subscription_cleanup_queue_url: str = Field(
        min_length=1, description="SQS queue of the deleted recipients whose subscriptions subscription_cleanup removes"
    )


@lru_cache(maxsize=1)
def cleanup_settings() -> CleanupSettings:
    return CleanupSettings.from_environment()
