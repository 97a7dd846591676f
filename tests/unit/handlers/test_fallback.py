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
        ("POST", "/v1"),
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


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/messages"),
        ("GET", "/v1/messages/1ntEPi0yk1lSbOzhhwpvUwbrDUf/events"),
        ("PUT", "/v1/messages/batch/seen"),
        ("GET", "/v1/users/user_123/feeds/4f5e3b3e-0000-4000-8000-000000000000"),
        ("GET", "/v1/users/user_123/guides/4f5e3b3e-0000-4000-8000-000000000000"),
        ("GET", "/v1/users/user_123/messages"),
        ("GET", "/v1/users/user_123/preference_center"),
        ("GET", "/v1/objects/projects/p1/messages"),
        ("GET", "/v1/providers/slack/channel_1/channels"),
        ("POST", "/v1/channels/channel_1/messages/bulk/archive"),
        ("GET", "/v1/workflow_recipient_runs"),
        ("POST", "/v1/integrations/census/custom-destination"),
    ],
)
def test_a_knock_route_this_service_does_not_serve_is_a_404_not_implemented_naming_it(
    load_event: EventLoader, lambda_context: FakeLambdaContext, method: str, path: str
) -> None:
    response = lambda_handler(load_event("fallback", path=path, method=method), lambda_context)

    body = assert_knock_error(response, 404, "not_implemented")
    assert body["message"].startswith(f"{method} {path} is part of Knock's API that this service does not implement")
    assert "Allow" not in response["headers"]


@pytest.mark.parametrize(
    "path", ["/v1/users/team/ada", "/v1/messagesx", "/v1/users/a/b/messages", "/v1/objects/projects/messages/x"]
)
def test_paths_that_only_look_like_unserved_knock_routes_stay_resource_missing(
    load_event: EventLoader, lambda_context: FakeLambdaContext, path: str
) -> None:
    response = lambda_handler(load_event("fallback", path=path, method="GET"), lambda_context)

    assert_knock_error(response, 404, "resource_missing")
