"""The local server's API Gateway rules, with a scripted stand-in for Lambda (no moto, no sockets).

The HTTP tests show the whole chain works; these pin down the rules the local server copies from
API Gateway where the real functions can't provoke them: authorizer failures, verdict caching,
route precedence, event and response mapping.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.server import Gateway, GatewayResponse, IncomingRequest, gateway_server
from local.template import Authorizer, Route, http_api

pytestmark = pytest.mark.integration

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
ROUTES = [
    Route("GET", "/v1/users/{user_id}", "GetFunction"),
    Route("GET", "/v1/users/me", "MeFunction"),
    Route("ANY", "/v1/users/{user_id}", "AnyFunction"),
    Route("ANY", None, "FallbackFunction"),
]
AUTHORIZER = Authorizer("AuthorizerFunction", ("authorization",), ttl_seconds=60)
ALLOW = {"isAuthorized": True, "context": {"verdict": "allow", "key_id": "3f1c7e0b2a9d"}}
UNAUTHENTICATED = {"isAuthorized": True, "context": {"verdict": "unauthenticated"}}
OK = {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
Behaviour = Callable[[dict[str, Any]], Any] | dict[str, Any]


class ScriptedLambda:
    """Answers each function with a scripted result (or raises it) and records every invocation."""

    def __init__(self, authorizer: Behaviour = ALLOW, function: Behaviour = OK) -> None:
        self.behaviour = {"AuthorizerFunction": authorizer}
        self.default = function
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        self.calls.append((function_name, event))
        behaviour = self.behaviour.get(function_name, self.default)
        return behaviour(event) if callable(behaviour) else behaviour

    def invoked(self, function_name: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == function_name]


def request(
    method: str = "GET",
    target: str = "/v1/users/user_123",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> IncomingRequest:
    raw_path, _, raw_query = target.partition("?")
    sent = {"host": "127.0.0.1:3000", "authorization": "Bearer sk_test_local", **(headers or {})}
    return IncomingRequest(method, raw_path, raw_query, list(sent.items()), body, "127.0.0.1")


def raise_(exception: Exception) -> Callable[[dict[str, Any]], Any]:
    def behaviour(event: dict[str, Any]) -> Any:
        raise exception

    return behaviour


def test_gateway_event_has_the_shape_of_the_sample_events() -> None:
    # Given the request events/get.json was captured from
    sample = json.loads((EVENTS_DIR / "get.json").read_text(encoding="utf-8"))
    functions = ScriptedLambda()
    headers = {name: value for name, value in sample["headers"].items() if name != "host"}

    # When the gateway handles it
    Gateway(ROUTES, AUTHORIZER, functions).handle(request(headers={**headers, "host": sample["headers"]["host"]}))

    # Then the function's event is the sample's, apart from the per-request values
    (event,) = functions.invoked("GetFunction")
    context = event["requestContext"]
    assert event["headers"].pop("x-forwarded-for") == "127.0.0.1"
    assert event["headers"].pop("x-forwarded-port") == "3000"
    for name in ("requestId", "time", "timeEpoch"):
        assert context[name]
        context[name] = sample["requestContext"][name]
    assert event == sample


@pytest.mark.parametrize(
    ("method", "target", "function"),
    [
        ("GET", "/v1/users/me", "MeFunction"),  # a literal segment beats a {variable}
        ("GET", "/v1/users/ada", "GetFunction"),  # the method's own route beats ANY
        ("PUT", "/v1/users/ada", "AnyFunction"),  # ANY beats $default
        ("GET", "/v1/users/ada/extra", "FallbackFunction"),  # a variable is one segment
        ("GET", "/nowhere", "FallbackFunction"),
    ],
)
def test_gateway_route_precedence_matches_api_gateway(method: str, target: str, function: str) -> None:
    # Given routes that overlap
    functions = ScriptedLambda()

    # When a request is routed
    Gateway(ROUTES, AUTHORIZER, functions).handle(request(method, target))

    # Then the most specific route wins
    assert [name for name, _ in functions.calls] == ["AuthorizerFunction", function]


def test_gateway_without_default_route_returns_gateway_404() -> None:
    # Given no $default route
    functions = ScriptedLambda()

    # When nothing matches
    response = Gateway(ROUTES[:1], AUTHORIZER, functions).handle(request(target="/nowhere"))

    # Then API Gateway answers itself
    assert (response.status, json.loads(response.body)) == (404, {"message": "Not Found"})
    assert functions.calls == []


@pytest.mark.parametrize("target", ["host.example:443", "*", "http://127.0.0.1:3000/v1/users/ada"])
def test_gateway_request_target_that_is_not_a_path_returns_400_without_invoking(target: str) -> None:
    # Given a request whose target is not a path (CONNECT's authority, OPTIONS *, an absolute URL)
    functions = ScriptedLambda()

    # When it arrives
    response = Gateway(ROUTES, AUTHORIZER, functions).handle(request("CONNECT", target))

    # Then no route can match it: API Gateway answers itself, in JSON
    assert (response.status, json.loads(response.body)) == (400, {"message": "Bad Request"})
    assert functions.calls == []


def test_gateway_event_decodes_path_and_parameters_like_http_api() -> None:
    # Given a percent-encoded path and a query with a repeated parameter
    functions = ScriptedLambda()
    target = "/v1/users/caf%C3%A9%2Fx?include%5B%5D=a&include%5B%5D=b&empty="

    # When the gateway builds the event
    Gateway(ROUTES, AUTHORIZER, functions).handle(request(target=target, headers={"Cookie": "a=1; b=2"}))

    # Then the route matched the path as sent, but rawPath and parameters arrive decoded (as HTTP
    # APIs deliver them), repeated query parameters are joined and cookies split out
    (event,) = functions.invoked("GetFunction")
    assert event["rawPath"] == "/v1/users/caf\u00e9/x"
    assert event["requestContext"]["http"]["path"] == "/v1/users/caf\u00e9/x"
    assert event["pathParameters"] == {"user_id": "caf\u00e9/x"}
    assert event["rawQueryString"] == "include%5B%5D=a&include%5B%5D=b&empty="
    assert event["queryStringParameters"] == {"include[]": "a,b", "empty": ""}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]


@pytest.mark.parametrize(
    ("body", "expected_body", "base64_encoded"),
    [(b'{"name":"\xc3\xa9"}', '{"name":"\u00e9"}', False), (b"\xff\xfe", "//4=", True)],
)
def test_gateway_event_body_is_text_or_base64(body: bytes, expected_body: str, base64_encoded: bool) -> None:
    # Given a request with a body
    functions = ScriptedLambda()

    # When the gateway builds the event
    Gateway(ROUTES, AUTHORIZER, functions).handle(request("PUT", body=body))

    # Then UTF-8 stays text and anything else is base64
    (event,) = functions.invoked("AnyFunction")
    assert (event["body"], event["isBase64Encoded"]) == (expected_body, base64_encoded)


@pytest.mark.parametrize("headers", [{"authorization": ""}, {"authorization": "   "}])
def test_gateway_missing_identity_returns_401_without_invoking(headers: dict[str, str]) -> None:
    # Given a request whose identity source is empty
    functions = ScriptedLambda()

    # When it arrives
    response = Gateway(ROUTES, AUTHORIZER, functions).handle(request(headers=headers))

    # Then API Gateway answers 401 itself
    assert (response.status, json.loads(response.body)) == (401, {"message": "Unauthorized"})
    assert functions.calls == []


@pytest.mark.parametrize(
    ("authorizer", "status", "message"),
    [
        ({"isAuthorized": False}, 403, "Forbidden"),
        # raising "Unauthorized" is a 401 on REST APIs only; HTTP APIs document no such answer
        (raise_(Exception("Unauthorized")), 500, "Internal Server Error"),
        (raise_(ValueError("boom")), 500, "Internal Server Error"),
        ({"allow": True}, 500, "Internal Server Error"),
        ({"isAuthorized": "yes"}, 500, "Internal Server Error"),
        ({"isAuthorized": True, "context": ["not", "an", "object"]}, 500, "Internal Server Error"),
    ],
)
def test_gateway_authorizer_denial_returns_gateway_error(authorizer: Behaviour, status: int, message: str) -> None:
    # Given an authorizer that denies, fails or answers nonsense
    functions = ScriptedLambda(authorizer=authorizer)

    # When a request arrives
    response = Gateway(ROUTES, AUTHORIZER, functions).handle(request())

    # Then API Gateway answers itself and the route's function never runs
    assert (response.status, json.loads(response.body)) == (status, {"message": message})
    assert [name for name, _ in functions.calls] == ["AuthorizerFunction"]


def test_gateway_authorizer_event_is_a_v2_request_event() -> None:
    # Given an authorizer
    functions = ScriptedLambda()

    # When a request arrives
    Gateway(ROUTES, AUTHORIZER, functions).handle(request("GET", "/v1/users/ada?x=1", body=b""))

    # Then it gets a payload 2.0 REQUEST event with the identity source, and the function gets its context
    (event,) = functions.invoked("AuthorizerFunction")
    assert event["version"] == "2.0"
    assert event["type"] == "REQUEST"
    assert event["identitySource"] == ["Bearer sk_test_local"]
    assert event["routeKey"] == "GET /v1/users/{user_id}"
    assert event["routeArn"].endswith(":local/$default/GET/v1/users/ada")
    assert event["queryStringParameters"] == {"x": "1"}
    assert "authorizer" not in event["requestContext"]
    (function_event,) = functions.invoked("GetFunction")
    assert function_event["requestContext"]["authorizer"] == {"lambda": ALLOW["context"]}


def test_gateway_route_without_authorizer_is_served_without_invoking_it() -> None:
    # Given a route that opts out of the API's authorizer
    functions = ScriptedLambda(authorizer=raise_(Exception("Unauthorized")))
    routes = [Route("GET", "/health", "HealthFunction", authorized=False)]

    # When a request without any key arrives
    response = Gateway(routes, AUTHORIZER, functions).handle(request(target="/health", headers={"authorization": ""}))

    # Then only the route's function runs, as API Gateway would do it
    assert response.status == 200
    assert [name for name, _ in functions.calls] == ["HealthFunction"]


def _template_with_route_auth(auth: dict[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"ApiId": {"Ref": "Api"}, "Method": "GET", "Path": "/health"}
    if auth is not None:
        event["Auth"] = auth
    return {
        "Parameters": {},
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {
                    "Auth": {
                        "DefaultAuthorizer": "Keys",
                        "Authorizers": {"Keys": {"FunctionArn": {"Fn::GetAtt": ["AuthFunction", "Arn"]}}},
                    }
                },
            },
            "HealthFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Events": {"Health": {"Type": "HttpApi", "Properties": event}}},
            },
        },
    }


@pytest.mark.parametrize(
    ("auth", "authorized"),
    [(None, True), ({"Authorizer": "Keys"}, True), ({"Authorizer": "NONE"}, False)],
)
def test_http_api_reads_each_routes_authorizer_from_the_template(auth: dict[str, Any] | None, authorized: bool) -> None:
    # When the routes of a template are read
    (route,) = http_api(_template_with_route_auth(auth)).routes

    # Then a route uses the API's default authorizer unless its event says Authorizer: NONE
    assert route == Route("GET", "/health", "HealthFunction", authorized=authorized)


def test_http_api_route_with_another_authorizer_is_refused() -> None:
    # A route naming an authorizer the local API does not run must not be served as if it were checked
    with pytest.raises(ValueError, match="HealthFunction.Events.Health"):
        http_api(_template_with_route_auth({"Authorizer": "OtherKeys"}))


@pytest.mark.parametrize(
    ("authorizer", "invocations"),
    [
        (ALLOW, 1),
        (UNAUTHENTICATED, 1),
        ({"isAuthorized": False}, 1),
        (raise_(Exception("Unauthorized")), 2),
        (raise_(ValueError()), 2),
    ],
)
def test_gateway_caches_verdicts_but_not_failures(authorizer: Behaviour, invocations: int) -> None:
    # Given a gateway whose authorizer answers the same way every time
    functions = ScriptedLambda(authorizer=authorizer)
    gateway = Gateway(ROUTES, AUTHORIZER, functions)

    # When the same key is used twice
    first, second = gateway.handle(request()), gateway.handle(request())

    # Then allow and deny verdicts are reused for the TTL; a failed authorizer runs again
    assert first.status == second.status
    assert len(functions.invoked("AuthorizerFunction")) == invocations


def test_gateway_cached_verdict_is_never_reused_for_another_identity() -> None:
    # Given a gateway that has just authorized one key
    functions = ScriptedLambda()
    gateway = Gateway(ROUTES, AUTHORIZER, functions)
    gateway.handle(request())

    # When a request with another key arrives within the TTL
    gateway.handle(request(headers={"authorization": "Bearer sk_other"}))

    # Then the authorizer runs again, for that key
    assert [event["identitySource"] for event in functions.invoked("AuthorizerFunction")] == [
        ["Bearer sk_test_local"],
        ["Bearer sk_other"],
    ]


def test_gateway_passes_any_verdict_of_an_authorized_answer_to_the_function() -> None:
    # Given an authorizer that authorizes with a verdict the function will refuse
    functions = ScriptedLambda(authorizer=UNAUTHENTICATED)

    # When a request arrives
    Gateway(ROUTES, AUTHORIZER, functions).handle(request())

    # Then API Gateway invokes the function with that context: the refusal is the function's
    (event,) = functions.invoked("GetFunction")
    assert event["requestContext"]["authorizer"] == {"lambda": {"verdict": "unauthenticated"}}


def test_gateway_function_exception_returns_500() -> None:
    # Given a function that raises
    functions = ScriptedLambda(function=raise_(RuntimeError("bug")))

    # When it is invoked
    response = Gateway(ROUTES, AUTHORIZER, functions).handle(request())

    # Then API Gateway answers 500 with its own body
    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            {
                "statusCode": 201,
                "headers": {"x-one": "1", "content-length": "999"},
                "multiValueHeaders": {"x-many": ["a", "b"]},
                "cookies": ["c=1; Path=/"],
                "body": base64.b64encode(b"\x00\x01").decode(),
                "isBase64Encoded": True,
            },
            GatewayResponse(
                201, [("x-one", "1"), ("x-many", "a"), ("x-many", "b"), ("set-cookie", "c=1; Path=/")], b"\x00\x01"
            ),
        ),
        ({"statusCode": 204}, GatewayResponse(204, [], b"")),
        ({"id": "ada"}, GatewayResponse(200, [("content-type", "application/json")], b'{"id": "ada"}')),
        ("plain", GatewayResponse(200, [("content-type", "application/json")], b"plain")),
    ],
)
def test_gateway_maps_function_result_to_http_response(result: Any, expected: GatewayResponse) -> None:
    # Given a function returning a payload 2.0 result (or a bare value, which API Gateway infers)
    functions = ScriptedLambda(function=result)

    # When its answer is turned into the HTTP response
    response = Gateway(ROUTES, AUTHORIZER, functions).handle(request())

    # Then status, headers and body are API Gateway's, plus its request id
    name, request_id = response.headers.pop()
    assert name == "apigw-requestid"
    assert request_id == functions.invoked("GetFunction")[0]["requestContext"]["requestId"]
    assert response == expected


# --- over HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Served:
    """A Gateway over ROUTES and AUTHORIZER, served over HTTP on a free port by the local server's code."""

    def __init__(self, functions: ScriptedLambda) -> None:
        self.httpd = gateway_server(Gateway(ROUTES, AUTHORIZER, functions))
        self.httpd.daemon_threads = False  # server_close() waits for them: their log lines stay in the test's capture
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def send(self, method: str, target: str, headers: dict[str, str | bytes] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, target, headers={"Authorization": "Bearer sk_test_local", **(headers or {})})
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def send_bytes(self, data: bytes) -> Answer:
        """`data` as the whole request, then everything the server sends until it closes the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(data)
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines)
        return Answer(int(status_line.split()[1]), headers, body)


@pytest.fixture
def serve() -> Iterator[Callable[[ScriptedLambda], Served]]:
    """Starts Served gateways; each is shut down after the test."""
    started: list[Served] = []

    def start(functions: ScriptedLambda) -> Served:
        started.append(Served(functions))
        return started[-1]

    yield start
    for served in started:
        served.httpd.shutdown()
        served.httpd.server_close()


def test_local_server_hands_header_values_decoded_from_utf8_to_authorizer_and_function(
    serve: Callable[[ScriptedLambda], Served],
) -> None:
    # Given header values sent as UTF-8 bytes, one with a byte that is not UTF-8
    functions = ScriptedLambda()
    headers: dict[str, str | bytes] = {
        "Authorization": "Bearer sk_\u00e9t\u00e9".encode(),
        "Idempotency-Key": ("\u00e9" * 3 + "\U0001f600").encode(),
        "X-Broken": b"ok\xff",
    }

    # When they reach the local server
    answer = serve(functions).send("PUT", "/v1/users/ada", headers)

    # Then the authorizer and the function get the text as API Gateway decodes it, U+FFFD for the bad byte
    assert answer.status == 200, answer.body
    (authorizer_event,) = functions.invoked("AuthorizerFunction")
    assert authorizer_event["identitySource"] == ["Bearer sk_\u00e9t\u00e9"]
    (event,) = functions.invoked("AnyFunction")
    assert event["headers"]["authorization"] == "Bearer sk_\u00e9t\u00e9"
    assert event["headers"]["idempotency-key"] == "\u00e9\u00e9\u00e9\U0001f600"
    assert event["headers"]["x-broken"] == "ok\ufffd"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "PURGE", "X-ANY_token!", "get"])
def test_local_server_hands_any_method_to_the_gateway(serve: Callable[[ScriptedLambda], Served], method: str) -> None:
    # Given a method http.server has no handler for (any token is a method)
    functions = ScriptedLambda()

    # When a request with it arrives
    answer = serve(functions).send(method, "/v1/users/ada")

    # Then it is routed like any other (here to the path's ANY route) and answered by the function
    assert (answer.status, answer.body) == (200, b"{}")
    (event,) = functions.invoked("AnyFunction")
    assert event["requestContext"]["http"]["method"] == method
    assert event["routeKey"] == "ANY /v1/users/{user_id}"


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"CONNECT host.example:443 HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "Bad Request"),
        (b"OPTIONS * HTTP/1.1\r\nConnection: close\r\n\r\n", 400, "Bad Request"),
        (b"GET /v1/users/ada HTTP/9.9\r\n\r\n", 505, "HTTP Version Not Supported"),
        (b"GET /v1/users/ada HTTP/1.1 extra\r\n\r\n", 400, "Bad Request"),
        (b"PUT /v1/users/ada HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400, "Bad Request"),
        (b"PUT /v1/users/ada HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Bad Request"),
        (b"PUT /v1/users/ada HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "Bad Request"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "URI Too Long"),  # 3.11: "Request-URI Too Long"
    ],
    ids=[
        "connect-authority",
        "options-asterisk",
        "http-9.9",
        "four-words",
        "length-not-a-number",
        "negative-length",
        "negative-chunk-size",
        "target-too-long",
    ],
)
def test_local_server_request_without_a_path_or_unreadable_gets_a_json_error_without_invoking(
    serve: Callable[[ScriptedLambda], Served], data: bytes, status: int, message: str
) -> None:
    # Given a request no route can serve, or one http.server cannot read
    functions = ScriptedLambda()

    # When it arrives
    answer = serve(functions).send_bytes(data)

    # Then the answer is API Gateway-style JSON, never http.server's HTML page, and nothing ran
    assert answer.status == status
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == {"message": message}
    assert functions.calls == []
