"""The $default route: Knock-shaped 405 for a known path's wrong method, 404 for anything else."""

from __future__ import annotations

import pytest

from functions.fallback.app import lambda_handler
from tests.conftest import EventLoader, FakeLambdaContext
from tests.unit.knock import assert_knock_error


def test_fallback_sample_wrong_method_on_user_returns_405_with_allow(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # events/fallback.json is PATCH /v1/users/user_123
    response = lambda_handler(load_event("fallback"), lambda_context)
    body = assert_knock_error(response, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == "DELETE, GET, PUT"
    assert body["message"] == "PATCH is not allowed here; use DELETE, GET, PUT"


@pytest.mark.parametrize(("method", "allow"), [("POST", "GET"), ("DELETE", "GET"), ("PUT", "GET")])
def test_fallback_wrong_method_on_user_list_returns_405_with_allow(
    load_event: EventLoader, lambda_context: FakeLambdaContext, method: str, allow: str
) -> None:
    response = lambda_handler(load_event("fallback", path="/v1/users", method=method), lambda_context)
    assert_knock_error(response, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("POST", "/v1/objects/projects/p1", "DELETE, GET, PUT"), ("GET", "/v1/objects/projects/bulk/delete", "POST")],
)
def test_fallback_wrong_method_on_object_paths_returns_405_with_allow(
    load_event: EventLoader, lambda_context: FakeLambdaContext, method: str, path: str, allow: str
) -> None:
    response = lambda_handler(load_event("fallback", path=path, method=method), lambda_context)
    assert_knock_error(response, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == allow


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/users"),
        ("POST", "/v1/users/a/b"),
        ("GET", "/"),
        ("GET", "/v1/objects"),
        ("PUT", "/v1/objects/a/b/c"),
    ],
)
def test_fallback_unknown_path_returns_404_without_allow(
    load_event: EventLoader, lambda_context: FakeLambdaContext, method: str, path: str
) -> None:
    response = lambda_handler(load_event("fallback", path=path, method=method), lambda_context)
    body = assert_knock_error(response, 404, "resource_missing")
    assert "Allow" not in response["headers"]
    assert f"{method} {path}" in body["message"]


def test_fallback_response_carries_request_id_header(
    load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    event = load_event("fallback")
    assert lambda_handler(event, lambda_context)["headers"]["x-request-id"] == event["requestContext"]["requestId"]
