"""What the authorizer read from the environment.

No `from __future__ import annotations`: see kernel.settings.
"""

from functools import lru_cache

from pydantic import Field

from recipients.kernel.settings import EnvironmentSettings


class AuthSettings(EnvironmentSettings):
    api_key_hashes_parameter: str = Field(min_length=1, description="SSM parameter with SHA-256 key hashes")
    api_key_cache_seconds: int = Field(60, ge=0, le=3600)
    aws_region: str | None = Field(None, description="Set by Lambda; named in the error when SSM cannot be read")


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings.from_environment()
