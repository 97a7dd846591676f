"""Answers for requests no route matches, and the route table against template.yaml."""

from __future__ import annotations

import json

import pytest

from local.template import http_api
from recipients.http.routes import API_ROUTES, allowed_methods, unrouted_response


def test_api_routes_equal_the_http_api_routes_of_the_template() -> None:
    # Given every HttpApi event of template.yaml except the $default catch-all
    from_template: dict[str, set[str]] = {}
    for route in http_api().routes:
        if route.path is not None:
            from_template.setdefault(route.path, set()).add(route.method)
    # Then the layer's table lists exactly the same paths and methods
    assert {path: set(methods) for path, methods in API_ROUTES.items()} == from_template


def test_template_has_a_default_route_for_unrouted_requests() -> None:
    assert [route.function for route in http_api().routes if route.path is None] == ["FallbackFunction"]


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/users", {"GET"}),
        ("/v1/users/user_123", {"GET", "PUT", "DELETE"}),
        ("/v1/users/a%2Fb", {"GET", "PUT", "DELETE"}),
        ("/v1/users/a/b", set()),
        ("/v1/users/", set()),
        ("/v1/objects", set()),
        ("/v1/objects/projects", {"GET"}),
        ("/v1/objects/projects/p1", {"GET", "PUT", "DELETE"}),
        ("/v1/objects/projects/bulk", {"GET", "PUT", "DELETE"}),
        ("/v1/objects/projects/bulk/set", {"POST"}),
        ("/v1/objects/projects/bulk/delete", {"POST"}),
        ("/v1/objects/projects/p1/x", set()),
        ("/", {"GET"}),  # where the docs are
        ("/v1", set()),
        ("/openapi.json", {"GET"}),
        ("/openapi-json", set()),  # a literal segment matches only itself
    ],
)
def test_allowed_methods_match_path_patterns(path: str, methods: set[str]) -> None:
    assert allowed_methods(path) == methods


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/v1/users/user_123", "DELETE, GET, PUT"),
        ("POST", "/v1/users", "GET"),
        ("PUT", "/v1/users", "GET"),
        ("POST", "/v1/objects/projects/p1", "DELETE, GET, PUT"),
        ("PUT", "/v1/objects/projects", "GET"),
        ("GET", "/v1/objects/projects/bulk/set", "POST"),
    ],
)
def test_unrouted_response_known_path_wrong_method_is_405_with_allow(method: str, path: str, allow: str) -> None:
    response = unrouted_response(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert json.loads(response.body) == {
        "code": "method_not_allowed",
        "message": f"{method} is not allowed here; use {allow}",
        "status": 405,
        "type": "invalid_request_error",
    }


@pytest.mark.parametrize(("method", "path"), [("GET", "/v2/users"), ("POST", "/v1/users/a/b"), ("GET", "/v1")])
def test_unrouted_response_unknown_path_is_404_without_allow(method: str, path: str) -> None:
    response = unrouted_response(method, path)
    assert response.status_code == 404
    assert "Allow" not in response.headers
    body = json.loads(response.body)
    assert (body["code"], body["status"], body["type"]) == ("resource_missing", 404, "invalid_request_error")
    assert f"{method} {path}" in body["message"]
