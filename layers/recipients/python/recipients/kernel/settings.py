"""Environment variables as models, split by need and read lazily on first use.

Each field is read from the variable of the same name in upper case. Each feature keeps the
settings only it reads in its own `settings.py`, on `EnvironmentSettings`; tests change the
environment and call `<getter>.cache_clear()`. No `from __future__ import annotations`: pydantic
would evaluate every annotation string as each class is made.
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


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings.from_environment()


def application_log_level() -> str:
    """The function's application log level, which Lambda sets from `LoggingConfig` (INFO by default).

    Read on every call, not cached: it is one environment lookup, and tests drive several levels.
    """
    return os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO"
