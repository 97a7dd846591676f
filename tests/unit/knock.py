"""Assertions on Lambda proxy responses in the shape the Knock SDK expects."""

from __future__ import annotations

import json
from typing import Any

from recipients.http.models import ErrorBody

ERROR_KEYS = {"code", "message", "status", "type"}


def json_body(response: dict[str, Any]) -> Any:
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def assert_knock_error(response: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    """A Knock-shaped error body {code, message, status, type} with this status and code; returns it."""
    assert response["statusCode"] == status
    body = json_body(response)
    assert body.keys() >= ERROR_KEYS
    ErrorBody.model_validate(body)
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]
    expected_type = "authentication_error" if status in (401, 403) else "invalid_request_error"
    assert body["type"] == (expected_type if status < 500 else "api_error")
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON documents of captured stdout, one a line (Powertools logs, EMF metrics)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
