"""The error bodies every API function answers with, as documented in openapi.json.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from recipients.kernel.models import ErrorItem, Model


class ErrorBody(Model):
    """Knock's error shape; `errors` is added on validation failures."""

    code: str
    message: str
    status: int
    type: str
    errors: list[ErrorItem] | None = None


class GatewayErrorBody(Model):
    """API Gateway's own answer when the authorizer refuses a request: `{"message": "Unauthorized"}`."""

    message: str
