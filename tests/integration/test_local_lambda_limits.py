"""Lambda's invocation payload limits, as the emulator enforces them and the local gateway answers them.

A small function of its own (tests/integration/sized_function.py) runs through the real
`Emulator.invoke`, so the sizes measured are those of the events the gateway builds and of the
results a function returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from local.emulator import (
    MAX_REQUEST_PAYLOAD_BYTES,
    MAX_RESPONSE_PAYLOAD_BYTES,
    Emulator,
    Function,
    LocalResources,
    functions_of,
    response_payload_bytes,
)
from local.server import Gateway, GatewayResponse, IncomingRequest
from local.template import Route, load_template, resources_of_type
from tests.integration import sized_function

pytestmark = pytest.mark.integration

ROUTES = [Route("ANY", "/sized", "SizedFunction")]
RUNTIMES = ["python3.11", "python3.13"]
ESCAPES_NON_ASCII = {"python3.11": True, "python3.13": False}
"""awslambdaric's encoder: ensure_ascii up to python3.11, not from python3.12."""


def event_bytes(event: dict[str, Any]) -> int:
    """What Lambda counts for a request: the event as compact JSON, UTF-8."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


def result_bytes(result: dict[str, Any], runtime: str) -> int:
    """What Lambda counts for a response: the result as the runtime's json.dumps writes it, UTF-8."""
    return len(json.dumps(result, ensure_ascii=ESCAPES_NON_ASCII[runtime]).encode())


@pytest.fixture
def gateway() -> Callable[[str], Gateway]:
    """A gateway routing /sized to the sized function on the given runtime, through a real Emulator."""

    def make(runtime: str) -> Gateway:
        emulator = Emulator(None, "http://127.0.0.1:9", LocalResources(load_template()), "sk_test_local")
        emulator.functions["SizedFunction"] = Function(
            name="SizedFunction",
            module="tests.integration.sized_function",
            attribute="lambda_handler",
            environment={},
            memory_mb=128,
            timeout_seconds=3,
            arn="arn:aws:lambda:us-east-1:123456789012:function:SizedFunction",
            log_group="/aws/lambda/SizedFunction",
            runtime=runtime,
        )
        sized_function.EVENTS.clear()
        return Gateway(ROUTES, None, emulator)

    return make


def send(gateway: Gateway, body: bytes = b"", answer: str = "0:x") -> GatewayResponse:
    headers = [("host", "127.0.0.1:3000"), ("x-answer", answer)]
    return gateway.handle(IncomingRequest("POST", "/sized", "", headers, body, "127.0.0.1"))


def test_request_whose_event_is_at_lambdas_limit_is_served_and_one_byte_more_is_413_without_invoking(
    gateway: Callable[[str], Gateway], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the size of the event around a one-byte body (every other part of it stays the same)
    lambda_ = gateway("python3.11")
    assert send(lambda_, b"x").status == 200
    around_the_body = event_bytes(sized_function.EVENTS[-1]) - 1
    exactly_at_the_limit = b"x" * (MAX_REQUEST_PAYLOAD_BYTES - around_the_body)

    # When a body makes the event exactly 6,291,456 bytes, and then one byte more
    at_the_limit = send(lambda_, exactly_at_the_limit)
    invocations = len(sized_function.EVENTS)
    over_the_limit = send(lambda_, exactly_at_the_limit + b"x")

    # Then the first is served, and the second refused by API Gateway without invoking the function
    assert at_the_limit.status == 200
    assert event_bytes(sized_function.EVENTS[-1]) == MAX_REQUEST_PAYLOAD_BYTES
    assert (over_the_limit.status, json.loads(over_the_limit.body)) == (413, {"message": "Request Entity Too Large"})
    assert len(sized_function.EVENTS) == invocations
    assert "SizedFunction: the request payload is 6,291,457 bytes, 1 over Lambda's limit" in capsys.readouterr().err


def test_request_event_counts_non_ascii_body_characters_as_utf8_bytes(gateway: Callable[[str], Gateway]) -> None:
    # Given a body of "é", two bytes each in UTF-8 (and in the event, which carries it as text)
    lambda_ = gateway("python3.11")
    body = "\u00e9".encode() * (MAX_REQUEST_PAYLOAD_BYTES // 2)

    # When it is sent: its 6,291,456 bytes alone fill the event
    response = send(lambda_, body)

    # Then the event is over the limit: a 413, the function not invoked
    assert response.status == 413
    assert sized_function.EVENTS == []


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_response_at_lambdas_limit_is_served_and_one_character_more_is_500(
    gateway: Callable[[str], Gateway], capsys: pytest.CaptureFixture[str], runtime: str
) -> None:
    # Given the most "é" a result may hold as the runtime serializes it (6 bytes escaped, 2 in UTF-8)
    lambda_ = gateway(runtime)
    empty, one = (result_bytes(sized_function.answer(n, "\u00e9"), runtime) for n in (0, 1))
    most = (MAX_RESPONSE_PAYLOAD_BYTES - empty) // (one - empty)

    # When the function answers that many, and then one more
    at_the_limit = send(lambda_, answer=f"{most}:\u00e9")
    over_the_limit = send(lambda_, answer=f"{most + 1}:\u00e9")

    # Then the first answer arrives whole; the second, although the function ran, is API Gateway's 500
    assert at_the_limit.status == 200
    assert at_the_limit.body == "\u00e9".encode() * most
    assert len(sized_function.EVENTS) == 2
    assert (over_the_limit.status, json.loads(over_the_limit.body)) == (500, {"message": "Internal Server Error"})
    over_by = result_bytes(sized_function.answer(most + 1, "\u00e9"), runtime) - MAX_RESPONSE_PAYLOAD_BYTES
    assert f"SizedFunction: the response payload is {MAX_RESPONSE_PAYLOAD_BYTES + over_by:,} bytes" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(("runtime", "status"), [("python3.11", 500), ("python3.13", 200)])
def test_response_limit_depends_on_how_the_runtime_serializes_non_ascii(
    gateway: Callable[[str], Gateway], runtime: str, status: int
) -> None:
    # When a function answers 1,100,000 "é": 6.6 MB escaped as \u00e9 (python3.11), 2.2 MB as UTF-8 (3.12+)
    response = send(gateway(runtime), answer="1100000:\u00e9")

    # Then only the runtime that escapes it is over the limit
    assert response.status == status


def test_functions_take_their_runtime_from_the_template() -> None:
    # Given template.yaml's functions / When the emulator reads them
    template = load_template()
    functions = functions_of(LocalResources(template))

    # Then each has its own Runtime, or the Globals' one
    default = template["Globals"]["Function"]["Runtime"]
    for name, spec in resources_of_type("AWS::Serverless::Function", template).items():
        assert functions[name].runtime == spec["Properties"].get("Runtime", default)


def test_response_payload_bytes_refuses_a_runtime_that_is_not_python() -> None:
    with pytest.raises(ValueError, match="nodejs22.x"):
        response_payload_bytes({}, "nodejs22.x")
