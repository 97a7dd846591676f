"""What the keyed routes read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class IdempotencySettings(EnvironmentSettings):
    idempotency_table_name: str = Field(min_length=3, description="DynamoDB table of Idempotency-Key records")


@lru_cache(maxsize=1)
def idempotency_settings() -> IdempotencySettings:
    return IdempotencySettings.from_environment()
