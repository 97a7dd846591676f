"""Assertions shared by the integration tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from local.template import http_api

RESERVED_FIELDS = ("name", "email", "avatar", "phone_number", "timezone", "locale", "created_at")
KNOCK_ERROR_TYPES = {401: "authentication_error", 403: "authentication_error", 500: "api_error", 503: "api_error"}
OPERATION_SECONDS = 60
PUBLIC_ROUTES = frozenset((route.path, route.method) for route in http_api().routes if not route.authorized)
"""The (path, method) of every route the template serves without a key: the docs and the console, which no
OpenAPI document describes."""


def assert_knock_error(response: httpx.Response, status: int, code: str, fields: set[str] | None = None) -> None:
    """A Knock-shaped error `{code, message, status, type}`; `fields` are the names `errors` must list."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == KNOCK_ERROR_TYPES.get(status, "invalid_request_error")
    assert isinstance(body["message"], str)
    assert body["message"]
    if fields is not None:
        assert {error["field"] for error in body["errors"]} == fields, body
        assert all(error["message"] for error in body["errors"]), body
        for name in fields:
            assert name in body["message"], body


def assert_gateway_denial(response: httpx.Response, status: int) -> None:
    """API Gateway's own answer, sent without invoking any function (no x-request-id, which functions add)."""
    message = {401: "Unauthorized", 403: "Forbidden"}[status]
    assert response.status_code == status, response.text
    assert response.json() == {"message": message}
    assert "x-request-id" not in response.headers


def exact_json(text: str) -> Any:
    """JSON with every number kept exactly as written: ints tagged, non-integers as (sign, digits, exponent)."""
    return json.loads(
        text,
        parse_int=lambda digits: ("int", int(digits)),
        parse_float=lambda literal: ("number", tuple(Decimal(literal).as_tuple())),
    )


def blank_user(user_id: str) -> dict[str, Any]:
    """The reserved part of a user that was identified with no reserved property."""
    return {"__typename": "User", "id": user_id, **dict.fromkeys(RESERVED_FIELDS)}


def finished_operation(http: httpx.Client, operation: dict[str, Any]) -> dict[str, Any]:
    """Poll the operation's progress_path until it is completed or failed (never a fixed sleep)."""
    deadline = time.monotonic() + OPERATION_SECONDS
    while True:
        response = http.get(f"/v1/bulk_operations/{operation['id']}")
        assert response.status_code == 200, response.text
        current: dict[str, Any] = response.json()
        if current["status"] in ("completed", "failed"):
            return current
        if time.monotonic() > deadline:
            pytest.fail(f"bulk operation still {current['status']} after {OPERATION_SECONDS} s: {current}")
        time.sleep(0.2)


def wait_until[T](probe: Callable[[], T], what: str, timeout: float = 10.0, every: float = 0.02) -> T:
    """Call `probe` every `every` seconds until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")
