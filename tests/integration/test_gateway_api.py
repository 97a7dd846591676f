"""What API Gateway and the template decide: authorization on every route but the docs, unrouted requests,
headers."""

from __future__ import annotations

import http.client
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from local.template import Route, http_api
from recipients.auth.client import PUBLIC_ROUTES as BROWSER_ROUTES
from recipients.http.console import CONTENT_SECURITY_POLICY
from tests.integration.support import assert_gateway_denial, assert_knock_error
from tests.local_api import ApiTarget

pytestmark = pytest.mark.integration

NewUserId = Callable[[str], str]
ROUTES = [route for route in http_api().routes if route.authorized]
PUBLIC_ROUTES = [route for route in http_api().routes if not route.authorized]
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi.json"
SDK_SAFE_CHARACTERS = "!$&'()*+,;=:@"
"""What the knockapi SDK leaves literal in a path segment (RFC 3986); everything else is %XX."""


def _request_for(route: Route, user_id: str) -> tuple[str, str]:
    """A concrete method and path for a template route; the $default route gets an unknown path.

    An object route gets the collection and object id `user_id` (see `_object_path`).
    """
    if route.path is None:
        return "GET", f"/v1/no-such-route-{user_id}"
    path = route.path.replace("{user_id}", user_id).replace("{collection}", user_id).replace("{object_id}", user_id)
    return ("GET" if route.method == "ANY" else route.method), path


def _object_path(recipient_id: str) -> str:
    return f"/v1/objects/{recipient_id}/{recipient_id}"


def _send(client: httpx.Client, method: str, path: str, authorization: str | None) -> httpx.Response:
    if authorization is not None and authorization != authorization.rstrip():
        return _send_verbatim(client, method, path, authorization)
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"json": {"name": "Auth probe"}} if method in ("PUT", "POST") else {}
    return client.request(method, path, headers=headers, **body)  # type: ignore[arg-type]


def _send_verbatim(client: httpx.Client, method: str, path: str, authorization: str) -> httpx.Response:
    """The request over http.client, which sends a header value with trailing spaces as is (httpx refuses to)."""
    url = client.base_url.join(path)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.host, url.port, timeout=30)
    try:
        body = b'{"name": "Auth probe"}' if method in ("PUT", "POST") else None
        headers = {"Authorization": authorization, "Content-Type": "application/json"}
        connection.request(method, url.raw_path.decode("ascii"), body=body, headers=headers)
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


# Authorization headers, with `{key}` standing for the API's valid secret key, and the refusal:
# API Gateway's own 401 when the header is missing or empty (the authorizer is not called), else the
# function's Knock-shaped error on the authorizer's verdict.
DENIED = [
    pytest.param(None, 401, None, id="no-header"),
    pytest.param("", 401, None, id="empty-header"),
    pytest.param("Basic x", 401, "authentication_required", id="basic"),
    pytest.param("Basic {key}", 401, "authentication_required", id="basic-with-the-key"),
    pytest.param("{key}", 401, "authentication_required", id="the-key-without-scheme"),
    pytest.param("Bearer", 401, "authentication_required", id="bearer-without-key"),
    pytest.param("Bearer   ", 401, "authentication_required", id="bearer-and-spaces"),
    pytest.param("Bearer {key}x", 401, "authentication_required", id="the-key-with-a-suffix"),
    pytest.param(f"Bearer sk_unknown_{uuid.uuid4().hex}", 401, "authentication_required", id="unknown-secret-key"),
    pytest.param(
        f"bearer sk_unknown_{uuid.uuid4().hex}", 401, "authentication_required", id="lowercase-bearer-unknown-key"
    ),
    pytest.param(f"bearer pk_{uuid.uuid4().hex}", 401, "authentication_required", id="lowercase-bearer-unknown-pk"),
]
LOCAL_PUBLIC_KEY = os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or "pk_test_local"
"""The public key the local API knows (or a deployed stage's, with API_URL)."""
ALLOWED = [
    pytest.param("Bearer {key}", id="bearer"),
    # RFC 7235: the scheme is case-insensitive (the SDKs send "Bearer"; curl users may not)
    pytest.param("bearer {key}", id="lowercase-bearer"),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.route_key)
@pytest.mark.parametrize(("authorization", "status", "code"), DENIED)
def test_request_without_valid_secret_key_is_refused_and_does_nothing(
    anonymous_http: httpx.Client,
    http: httpx.Client,
    api_key: str,
    new_user_id: NewUserId,
    route: Route,
    authorization: str | None,
    status: int,
    code: str | None,
) -> None:
    # Given a route of the template and a request to it
    user_id = new_user_id("auth")
    method, path = _request_for(route, user_id)

    # When it is sent without a valid secret key
    response = _send(anonymous_http, method, path, _header(authorization, api_key))

    # Then API Gateway (no header) or the function (on the authorizer's verdict) refuses it, and
    # nothing was done (a PUT wrote nothing)
    if code is None:
        assert_gateway_denial(response, status)
    else:
        assert_knock_error(response, status, code)
    assert http.get(f"/v1/users/{user_id}").status_code == 404
    assert http.get(_object_path(user_id)).status_code == 404


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.route_key)
def test_public_key_without_a_user_token_is_refused_and_does_nothing(
    anonymous_http: httpx.Client, http: httpx.Client, new_user_id: NewUserId, route: Route
) -> None:
    # Given a route and the local API's public key, without the user token a browser would add
    user_id = new_user_id("auth-pk")
    method, path = _request_for(route, user_id)

    # When it is sent
    response = _send(anonymous_http, method, path, f"Bearer {LOCAL_PUBLIC_KEY}")

    # Then a route browsers call asks for the user token, and every other route refuses public keys
    if route.route_key in BROWSER_ROUTES:
        assert_knock_error(response, 401, "missing_user_token")
    else:
        assert_knock_error(response, 403, "incorrect_token_type")
    assert http.get(f"/v1/users/{user_id}").status_code == 404


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.route_key)
@pytest.mark.parametrize("authorization", ALLOWED)
def test_request_with_valid_secret_key_reaches_the_function_without_server_error(
    anonymous_http: httpx.Client,
    http: httpx.Client,
    api_key: str,
    new_user_id: NewUserId,
    route: Route,
    authorization: str,
) -> None:
    # Given a route of the template and a request to it
    recipient_id = new_user_id("auth-ok")
    method, path = _request_for(route, recipient_id)

    # When it is sent with the secret key
    try:
        response = _send(anonymous_http, method, path, _header(authorization, api_key))
    finally:
        http.delete(_object_path(recipient_id))  # a PUT to an object route set one

    # Then the function answered (its answers always carry x-request-id; API Gateway's never do),
    # with anything but a refusal or a server error
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text
    assert "x-request-id" in response.headers


def test_every_route_of_the_template_but_the_docs_is_behind_the_authorizer() -> None:
    # Given the routes and authorizer the local API serves from template.yaml
    api = http_api()

    # Then there is an authorizer and only the OpenAPI document, its UI and the console opt out of it
    assert api.authorizer is not None
    assert sorted(route.route_key for route in api.routes if not route.authorized) == [
        "GET /",
        "GET /console",
        "GET /console/{asset}",
        "GET /docs",
        "GET /openapi.json",
    ]


def _header(authorization: str | None, api_key: str) -> str | None:
    return None if authorization is None else authorization.replace("{key}", api_key)


@pytest.fixture(scope="session")
def api_key(api: ApiTarget) -> str:
    return api.api_key


def test_only_the_docs_and_console_routes_are_public() -> None:
    functions = {route.route_key: route.function for route in PUBLIC_ROUTES}
    assert functions == {
        "GET /": "DocsFunction",
        "GET /openapi.json": "DocsFunction",
        "GET /docs": "DocsFunction",
        "GET /console": "ConsoleFunction",
        "GET /console/{asset}": "ConsoleFunction",
    }


@pytest.mark.parametrize("authorization", [None, "Bearer pk_test_local", "Bearer sk_unknown"])
def test_openapi_document_is_served_without_a_key_exactly_as_generated(
    anonymous_http: httpx.Client, authorization: str | None
) -> None:
    # When the OpenAPI document is fetched with no key, or with one the authorizer would refuse
    headers = {} if authorization is None else {"Authorization": authorization}
    response = anonymous_http.get("/openapi.json", headers=headers)

    # Then the docs function answers with the committed openapi.json, its servers the API as it was reached
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "x-request-id" in response.headers
    served, committed = response.json(), json.loads(OPENAPI_PATH.read_text())
    assert [server["url"] for server in served.pop("servers")] == [str(anonymous_http.base_url).rstrip("/")]
    committed.pop("servers")
    assert served == committed


def test_the_root_points_at_the_docs_without_a_key(anonymous_http: httpx.Client) -> None:
    response = anonymous_http.get("/")
    assert response.status_code == 200, response.text
    base = str(anonymous_http.base_url).rstrip("/")
    assert response.json()["docs"] == f"{base}/docs"
    assert anonymous_http.get(response.json()["openapi"]).status_code == 200


def test_swagger_ui_is_served_without_a_key_and_loads_the_served_document(anonymous_http: httpx.Client) -> None:
    # When a browser asks for /docs without a key, accepting gzip
    response = anonymous_http.get("/docs", headers={"Accept-Encoding": "gzip"})

    # Then it gets a compressed, self-contained Swagger UI page pointed at openapi.json beside it
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2  # what was sent is compressed
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert 'SwaggerUIBundle({"url": "openapi.json"' in page
    assert "<script src=" not in page and "<link " not in page  # nothing fetched from elsewhere


@pytest.mark.parametrize("path", ["/console", "/console/app.js", "/console/app.css"])
def test_console_is_served_without_a_key_with_its_security_headers(anonymous_http: httpx.Client, path: str) -> None:
    # When a browser loads the console or one of its assets without a key
    response = anonymous_http.get(path, headers={"Accept-Encoding": "gzip"})

    # Then the console function answers it, compressed, under a policy that runs only its own scripts
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    etag = response.headers["etag"]

    # And asking again with its ETag is a 304
    again = anonymous_http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/openapi.json"), ("DELETE", "/docs"), ("GET", "/docs/"), ("POST", "/console"), ("GET", "/console/a/b")],
)
def test_other_requests_near_the_docs_still_need_a_key(anonymous_http: httpx.Client, method: str, path: str) -> None:
    # Only the docs and console GET routes are public: anything else goes to the $default route, behind the authorizer
    assert_gateway_denial(anonymous_http.request(method, path), 401)


@pytest.mark.parametrize(
    "path", ["/v2/users", "/v1/objects", "/v1/objects/projects/p1/x", "/v1/users/a/b", "/v1/users/"]
)
def test_request_unknown_route_returns_404_knock_error(http: httpx.Client, path: str) -> None:
    # When a path no route serves is requested
    response = http.get(path)

    # Then the $default route answers with a Knock-shaped 404
    assert_knock_error(response, 404, "resource_missing")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/v1/users/{id}", "DELETE, GET, PUT"),
        ("POST", "/v1/users/{id}", "DELETE, GET, PUT"),
        ("POST", "/v1/users", "GET"),
        ("DELETE", "/v1/users", "GET"),
        ("POST", "/v1/objects/projects/{id}", "DELETE, GET, PUT"),
        ("DELETE", "/v1/objects/projects", "GET"),
        ("GET", "/v1/objects/projects/bulk/set", "POST"),
        ("POST", "/openapi.json", "GET"),
        ("PUT", "/docs", "GET"),
    ],
)
def test_request_wrong_method_on_known_path_returns_405_with_allow(
    http: httpx.Client, new_user_id: NewUserId, method: str, path: str, allowed: str
) -> None:
    # When a known path is requested with a method it does not serve
    response = http.request(method, path.replace("{id}", new_user_id("method")), json={})

    # Then the answer is a Knock-shaped 405 listing the allowed methods
    assert_knock_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_identify_with_idempotency_key_returns_200(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given the header the SDK sends on every PUT
    user_id = new_user_id("idempotent-put")
    headers = {"Idempotency-Key": f"stainless-python-retry-{uuid.uuid4()}"}

    # When an identify carries it
    response = http.put(f"/v1/users/{user_id}", json={"name": "Ada"}, headers=headers)

    # Then it is accepted like any identify
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Ada"


def test_delete_with_idempotency_key_returns_204(http: httpx.Client, new_user_id: NewUserId) -> None:
    # Given an identified user and the header the SDK sends on every DELETE
    user_id = new_user_id("idempotent-delete")
    assert http.put(f"/v1/users/{user_id}", json={}).status_code == 200
    headers = {"Idempotency-Key": f"stainless-python-retry-{uuid.uuid4()}", "Content-Type": "application/json"}

    # When the delete carries it
    response = http.delete(f"/v1/users/{user_id}", headers=headers)

    # Then the user is deleted
    assert response.status_code == 204
    assert http.get(f"/v1/users/{user_id}").status_code == 404


def test_request_to_a_function_returns_matching_request_id_headers(http: httpx.Client, new_user_id: NewUserId) -> None:
    # When any routed request is answered
    response = http.get(f"/v1/users/{new_user_id('request-id')}")

    # Then x-request-id is API Gateway's request id
    assert response.headers["x-request-id"]
    assert response.headers["x-request-id"] == response.headers["apigw-requestid"]


@pytest.mark.parametrize("user_id", ["\u00fc ser:@+!$&'()*,;=", "%25", "caf\u00e9 \U0001f600"])
def test_identify_percent_encoded_id_decodes_exactly_once(http: httpx.Client, user_id: str) -> None:
    # Given an id sent percent-encoded the way the SDK encodes path segments
    path = "/v1/users/" + quote(user_id, safe=SDK_SAFE_CHARACTERS)

    # When it is identified and read back
    try:
        identified = http.put(path, json={"name": "Encoded"})
        read = http.get(path)
    finally:
        http.delete(path)

    # Then the stored id is the decoded segment, decoded once
    assert identified.status_code == 200, identified.text
    assert identified.json()["id"] == user_id
    assert read.json()["id"] == user_id
