"""`make run`: the API on http://127.0.0.1:$PORT, routed the way API Gateway's HTTP API routes it.

Each request is matched to a route of template.yaml, checked by the Lambda authorizer (its verdict
cached per identity header, as API Gateway does), turned into an HTTP API payload 2.0 event and
handed to the function's real handler, running against moto server (see `local/emulator.py`).
Bodies over API Gateway's 10 MB are refused with 413 before anything else. An event over Lambda's
invocation payload limit is a 413 too, without invoking the function; a result over it is a 500 (an
integration failure). Both print on stderr which limit was passed and by how much.

Header names and values reach the authorizer and the functions as text decoded from UTF-8, as API
Gateway hands them over (http.server alone decodes them as latin-1, so "é" would arrive as "Ã©");
bytes that are not UTF-8 become U+FFFD. Any method goes to the gateway, as HTTP APIs route every
method (one no route names reaches `$default`). A request target that is not a path (`CONNECT
host:443`, `OPTIONS *`) and a request http.server cannot parse get API Gateway-style JSON errors,
never http.server's HTML pages.

Like Lambda's event source mappings, it also polls the template's SQS queues and feeds each one's
function (see `local/queues.py`), reads the template's DynamoDB streams into theirs (`local/streams.py`),
and prints the events that reach the template's buses (see `local/bus.py`). The functions' EventBridge
rules get the bus events their patterns match (see `local/rules.py`), and EventBridge Scheduler's due
one-time schedules fire (see `local/scheduler.py`).

It prints one line per request; the functions' JSON logs and metric lines only with `--log json`
(`make run LOG=json`), and each event's full JSON only with `--events json` (`make run EVENTS=json`):
see `local/console.py`. The environment's RECIPIENTS_LOG and RECIPIENTS_EVENTS are their defaults.

Tests start it with `start_local_api()`; run it with `python -m local.server`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.bus import EventPrinter, watch_event_buses
from local.console import EVENT_MODES, LOG_MODES, FunctionOutputFilter, request_line
from local.cors import LOCAL_ORIGINS, CorsRules, cors_rules, is_preflight
from local.emulator import ACCOUNT_ID, Emulator, Invoker, RequestTooLarge, ResponseTooLarge, region
from local.pollers import BackgroundLoop
from local.queues import QueuePollers, start_queue_pollers
from local.rules import RuleDelivery, deliver_rules
from local.scheduler import LocalScheduler
from local.streams import StreamPollers, start_stream_pollers
from local.template import Authorizer, Route, http_api, http_api_cors

DEFAULT_PORT = 3000
API_ID = "local"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_DROPPED_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "connection", "date"}


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def gateway_error(status: int, message: str) -> GatewayResponse:
    """An answer from API Gateway itself (not from a function): `{"message": ...}`."""
    body = json.dumps({"message": message}).encode()
    return GatewayResponse(status, [("content-type", "application/json")], body)


# --- routing ---------------------------------------------------------------------------------------


def _specificity(route: Route) -> tuple[int, ...]:
    """Literal segments beat {variables}, which beat {greedy+} ones, from left to right."""
    segments = (route.path or "").strip("/").split("/")
    return tuple(2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0 for segment in segments)


class Router:
    """API Gateway's order: routes with the request's method, then ANY routes, then `$default`."""

    def __init__(self, routes: list[Route]) -> None:
        with_path = sorted((route for route in routes if route.path is not None), key=_specificity)
        self._by_method = [route for route in with_path if route.method != "ANY"]
        self._any = [route for route in with_path if route.method == "ANY"]
        self._default = next((route for route in routes if route.path is None), None)

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        candidates = [route for route in self._by_method if route.method == method] + self._any
        for route in candidates:
            found = route.pattern.match(raw_path) if route.pattern else None
            if found:
                return route, {name: _decode(value) for name, value in found.groupdict().items()}
        return (self._default, {}) if self._default else None


# --- events ----------------------------------------------------------------------------------------


def _headers_and_cookies(raw_headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Lower-cased headers, repeats joined with ','; the Cookie header becomes the `cookies` list."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in raw_headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers, cookies


def _decode(text: str) -> str:
    """Percent-decode without losing bytes that are not UTF-8, so the function can still refuse them."""
    return unquote(text, errors="surrogateescape")


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def http_event(
    request: IncomingRequest, route_key: str, path_parameters: dict[str, str], request_id: str, now: float
) -> dict[str, Any]:
    """The HTTP API payload format 2.0 event, without body and authorizer context."""
    headers, cookies = _headers_and_cookies(request.headers)
    host = headers.get("host", "127.0.0.1")
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
    headers.setdefault("x-forwarded-proto", "http")
    # HTTP APIs match routes on the path as sent but hand it to the function percent-decoded.
    decoded_path = _decode(request.raw_path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": decoded_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": decoded_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["isBase64Encoded"] = False
    return event


def with_body(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Text bodies as they are; anything that is not UTF-8 base64-encoded, as API Gateway does."""
    if not body:
        return event
    try:
        return {**event, "body": body.decode("utf-8"), "isBase64Encoded": False}
    except UnicodeDecodeError:
        return {**event, "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def authorizer_event(event: dict[str, Any], identity: list[str]) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0) for a request's event."""
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    fields = {key: value for key, value in event.items() if key not in ("body", "isBase64Encoded")}
    return {
        **fields,
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{region()}:{ACCOUNT_ID}:{API_ID}/$default/{method}{path}",
        "identitySource": identity,
    }


def http_response(result: Any) -> GatewayResponse:
    """A payload 2.0 function result as an HTTP response; a result without statusCode is JSON, as AWS infers."""
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return GatewayResponse(200, [("content-type", "application/json")], text.encode())
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    headers = [(name, value) for name, value in headers if name.lower() not in _DROPPED_RESPONSE_HEADERS]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return GatewayResponse(int(result["statusCode"]), headers, data)


# --- the gateway -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """An authorizer's answer: allowed with a context, or denied with API Gateway's status."""

    status: int
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.status == 200


_DENIAL_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


class Gateway:
    """What API Gateway does for one request: route, authorize, build the event, invoke, respond."""

    def __init__(
        self, routes: list[Route], authorizer: Authorizer | None, functions: Invoker, cors: CorsRules | None = None
    ) -> None:
        self.router = Router(routes)
        self.authorizer = authorizer
        self.functions = functions
        self.cors = cors
        self._verdicts: dict[tuple[str, ...], tuple[float, Verdict]] = {}

    def handle(self, request: IncomingRequest) -> GatewayResponse:
        request_id = str(uuid.uuid4())
        headers = {name.lower(): value for name, value in request.headers}
        if self.cors is not None and is_preflight(request.method, headers):
            response = GatewayResponse(204, self.cors.preflight(headers), b"")  # answered by API Gateway itself
        else:
            response = self._respond(request, request_id)
            if self.cors is not None:
                response.headers.extend(self.cors.response_headers(headers))
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _respond(self, request: IncomingRequest, request_id: str) -> GatewayResponse:
        if not request.raw_path.startswith("/"):  # CONNECT host:443, OPTIONS *, http://host/path
            return gateway_error(400, "Bad Request")
        matched = self.router.match(request.method, request.raw_path)
        if matched is None:
            return gateway_error(404, "Not Found")
        route, path_parameters = matched
        event = http_event(request, route.route_key, path_parameters, request_id, time.time())
        if self.authorizer is not None and route.authorized:
            verdict = self._authorize(self.authorizer, event, request_id)
            if not verdict.allowed:
                return gateway_error(verdict.status, _DENIAL_MESSAGES[verdict.status])
            event = {**event, "requestContext": {**event["requestContext"], "authorizer": {"lambda": verdict.context}}}
        try:
            return http_response(self.functions.invoke(route.function, with_body(event, request.body), request_id))
        except RequestTooLarge as exc:
            print(f"local API: 413, {exc}", file=sys.stderr)
            return gateway_error(413, "Request Entity Too Large")
        except ResponseTooLarge as exc:  # an integration failure, as HTTP APIs answer it
            print(f"local API: 500, {exc}", file=sys.stderr)
            return gateway_error(500, "Internal Server Error")
        except Exception:
            print(f"{route.function} failed:", file=sys.stderr)
            traceback.print_exc()
            return gateway_error(500, "Internal Server Error")

    def _authorize(self, authorizer: Authorizer, event: dict[str, Any], request_id: str) -> Verdict:
        """401 without calling the authorizer when the identity source is missing; otherwise the
        authorizer's answer, cached per identity source for the TTL (failures are not cached)."""
        identity = [event["headers"].get(name, "") for name in authorizer.identity_headers]
        if not all(value.strip() for value in identity):
            return Verdict(401)
        key = tuple(identity)
        cached = self._verdicts.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        verdict = self._run_authorizer(authorizer.function, authorizer_event(event, identity), request_id)
        if verdict.status != 500 and authorizer.ttl_seconds > 0:
            if len(self._verdicts) > 10_000:
                self._verdicts.clear()
            self._verdicts[key] = (time.monotonic() + authorizer.ttl_seconds, verdict)
        return verdict

    def _run_authorizer(self, function: str, event: dict[str, Any], request_id: str) -> Verdict:
        """Simple responses as HTTP APIs document them: `isAuthorized` true or false (403), anything else
        (an exception, a malformed answer) a 500. A raised "Unauthorized" is a 401 only on REST APIs."""
        try:
            result = self.functions.invoke(function, event, request_id)
        except Exception:
            print(f"{function} failed:", file=sys.stderr)
            traceback.print_exc()
            return Verdict(500)
        if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
            print(f"{function} returned a malformed simple response: {result!r:.200}", file=sys.stderr)
            return Verdict(500)
        context = result.get("context") or {}
        if not isinstance(context, dict):
            print(f"{function} returned a context that is not an object", file=sys.stderr)
            return Verdict(500)
        return Verdict(200, context) if result["isAuthorized"] else Verdict(403)


# --- HTTP ------------------------------------------------------------------------------------------


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like API Gateway
    server_version = "recipients-local"
    gateway: Gateway

    def _serve(self) -> None:
        started = time.perf_counter()
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = self._read_body()
        except ValueError as exc:  # a length that is not a number: the body cannot be found
            self.send_error(400, str(exc))
            return
        if body is None:
            response = gateway_error(413, "Request Entity Too Large")
            self.close_connection = True
        else:
            request = IncomingRequest(
                method=self.command,
                raw_path=raw_path,
                raw_query=raw_query,
                headers=[(_utf8(name), _utf8(value)) for name, value in self.headers.items()],
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            response = self.gateway.handle(request)
        self._write(response)
        elapsed_ms = (time.perf_counter() - started) * 1000
        sys.stderr.write(request_line(self.command, raw_path, response.status, elapsed_ms, response.body) + "\n")

    def _read_body(self) -> bytes | None:
        """The request body; None when it is over API Gateway's 10 MB limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        text = self.headers.get("Content-Length") or "0"
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"bad Content-Length {text!r}")
        length = int(text)
        return None if length > MAX_BODY_BYTES else self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)  # ValueError if not hex
            if size < 0:
                raise ValueError(f"bad chunk size {size}")
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(chunks)
            chunks += self.rfile.read(size)
            self.rfile.readline()
            if len(chunks) > MAX_BODY_BYTES:
                self.close_connection = True
                return None

    def _write(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        """One line per request is written by `_serve`; silence the default access log."""

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        sys.stderr.write(f"local API: {format % args}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a request line or headers it cannot parse) as JSON, not HTML."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        self.request_version = self.protocol_version  # unread, it stays HTTP/0.9, which gets no status line
        self._write(gateway_error(code, HTTPStatus(code).phrase))

    def __getattr__(self, name: str) -> Any:
        """http.server calls do_<METHOD>: serve every method, not only those it defines."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


def _utf8(header: str) -> str:
    """A header as http.server read it (each byte a latin-1 character), decoded from UTF-8 instead."""
    return header.encode("latin-1").decode("utf-8", errors="replace")


def gateway_server(gateway: Gateway, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (port 0: any free port) handing every request to `gateway`; not serving yet."""
    handler = type("RequestHandler", (_RequestHandler,), {"gateway": gateway})
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    return httpd


@dataclass
class LocalApi:
    """A running local API: the HTTP server, the SQS pollers and the emulator behind them."""

    url: str
    api_key: str
    emulator: Emulator
    httpd: ThreadingHTTPServer
    thread: threading.Thread
    pollers: QueuePollers
    event_printers: list[EventPrinter]
    stream_pollers: StreamPollers
    scheduler: LocalScheduler | None = None
    rule_deliveries: list[RuleDelivery] = field(default_factory=list)

    def stop(self) -> None:
        # Every thread is told at once, so stopping takes one long-poll, not one per thread. Moto server
        # stops last: a batch in flight may still need it.
        loops: list[BackgroundLoop] = [*self.event_printers, *self.rule_deliveries]
        loops += [self.scheduler] if self.scheduler is not None else []
        for loop in loops:
            loop.request_stop()
        self.pollers.request_stop()
        self.stream_pollers.request_stop()
        self.httpd.shutdown()
        self.pollers.stop()
        self.stream_pollers.stop()
        for loop in loops:
            loop.stop()
        self.httpd.server_close()
        self.thread.join(timeout=10)
        self.emulator.stop()


def start_local_api(port: int = 0, api_key: str | None = None, events_json: bool = False) -> LocalApi:
    """Start moto server, the template's resources, the API and the SQS pollers in background threads;
    `events_json`: the event printers print each event's JSON under its line.

    Once per process, and before anything imports `recipients`: its boto3 clients are created at
    import time and must see the emulator's endpoint.
    """
    emulator = Emulator.start(api_key=api_key)
    api = http_api()
    try:
        cors = cors_rules(http_api_cors(), LOCAL_ORIGINS)
        httpd = gateway_server(Gateway(api.routes, api.authorizer, emulator, cors), port)
    except OSError:
        emulator.stop()
        raise
    try:
        pollers = start_queue_pollers(emulator)
        stream_pollers = start_stream_pollers(emulator)
        event_printers = watch_event_buses(emulator, events_json)
        rule_deliveries = [delivery.start() for delivery in deliver_rules(emulator.resources, emulator)]
        scheduler = LocalScheduler(emulator).start()  # fires due occurrences on the wall clock
    except Exception:
        httpd.server_close()
        emulator.stop()
        raise
    thread = threading.Thread(target=httpd.serve_forever, name="local-api", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    return LocalApi(
        url=url,
        api_key=emulator.api_key,
        emulator=emulator,
        httpd=httpd,
        thread=thread,
        pollers=pollers,
        event_printers=event_printers,
        stream_pollers=stream_pollers,
        scheduler=scheduler,
        rule_deliveries=rule_deliveries,
    )


def _log_line(mode: str) -> str:
    if mode == "json":
        return "one line per request, and the functions' JSON logs and EMF metric lines"
    return "one line per request, and the functions' warnings and errors (LOG=json: all their logs and metrics)"


def _events_line(mode: str) -> str:
    if mode == "json":
        return "one line per event that reaches the bus, and its JSON as a consumer gets it"
    return "one line per event that reaches the bus (EVENTS=json: each event's JSON too)"


def _signing_line(emulator: Emulator) -> str:
    if emulator.signing_private_key is None:
        return "verified with RECIPIENTS_SIGNING_PUBLIC_KEY"
    return f"sign with {emulator.signing_private_key} (recipients sign-user-token USER_ID --key <that file>)"


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.server", description="make run: the API on moto server")
    parser.add_argument(
        "--log",
        choices=LOG_MODES,
        default=os.environ.get("RECIPIENTS_LOG") or "lines",
        help="lines: one line per request (and the functions' warnings and errors); json: the functions' "
        "JSON logs and EMF metric lines too (default: $RECIPIENTS_LOG, else lines)",
    )
    parser.add_argument(
        "--events",
        choices=EVENT_MODES,
        default=os.environ.get("RECIPIENTS_EVENTS") or "lines",
        help="lines: one line per event on the bus; json: each event's full JSON too, as a consumer "
        "gets it (default: $RECIPIENTS_EVENTS, else lines)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _options(argv)
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    # Before any function is imported: Powertools' Logger keeps the stream it finds at import.
    sys.stdout = FunctionOutputFilter(sys.stdout, show_all=options.log == "json")
    try:
        api = start_local_api(port, events_json=options.events == "json")
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"local API: cannot start: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    queues = ", ".join(f"{p.source.queue} -> {p.source.function}" for p in api.pollers.pollers)
    streams = ", ".join(f"{p.source.table} -> {p.source.function}" for p in api.stream_pollers.pollers)
    rules = ", ".join(f"{d.source.event} -> {d.source.function}" for d in api.rule_deliveries)
    print(
        f"Recipients local API: {api.url}\n"
        f"  secret key:  {api.api_key}  (Authorization: Bearer {api.api_key})\n"
        f"  public key:  {api.emulator.public_api_key}  (for browsers, with X-Knock-User-Token)\n"
        f"  user tokens: {_signing_line(api.emulator)}\n"
        f"  CORS:        {', '.join(LOCAL_ORIGINS)}\n"
        f"  moto server: {api.emulator.endpoint_url}\n"
        f"  queues:      {queues or 'none'}\n"
        f"  streams:     {streams or 'none'}\n"
        f"  bus rules:   {rules or 'none'}\n"
        f"  log:         {_log_line(options.log)}\n"
        f"  events:      {_events_line(options.events)}\n"
        f"  try:         curl -H 'Authorization: Bearer {api.api_key}' {api.url}/v1/users\n"
        "Ctrl-C to stop.",
        flush=True,
    )
    while not stop.wait(0.2):
        pass
    print("local API: stopping", file=sys.stderr)
    api.stop()
    return 0


if __name__ == "__main__":
    code = main()
    # Skips the interpreter's teardown, which takes seconds (moto and every function's modules are
    # loaded) and frees nothing the stopped server still holds: its threads are joined, moto stopped.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
