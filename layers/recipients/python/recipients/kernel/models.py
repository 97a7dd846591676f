"""The base of every pydantic model of the service, and the one field-error shape.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Every model here: its validator is built on first use, so a function builds only the models it uses."""

    model_config = ConfigDict(defer_build=True)


class ErrorItem(Model):
    field: str
    message: str
