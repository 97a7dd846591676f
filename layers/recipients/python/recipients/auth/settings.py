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


class ClientSettings(EnvironmentSettings):
    """What an API function that browsers may call reads: where the user tokens' public keys are."""

    signing_public_keys_parameter: str = Field(
        "", description="SSM parameter with the PEM public key(s) user tokens are verified with"
    )
    signing_keys_cache_seconds: int = Field(300, ge=0, le=3600)
    public_key_without_user_token: bool = Field(
        False, description="Knock's enhanced security off: a public key alone acts as any user (never in production)"
    )


@lru_cache(maxsize=1)
def client_settings() -> ClientSettings:
    return ClientSettings.from_environment()
