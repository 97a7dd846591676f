"""Every API function refuses a request the authorizer did not allow, before it does anything else.

The authorizer always answers `isAuthorized: true` with a verdict (recipients.auth.verdicts says why), so the
refusal is the function's: each sample of events/ for a route behind the authorizer, with every
verdict but `allow` and with authorizer contexts that are missing or malformed, through the real
handler of the function template.yaml routes it to, against moto. The request also carries a body
that is neither JSON nor declared as JSON, so a refusal that came after the media-type check or the
body parsing would show as a 415 or a 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.template import http_api
from tests.conftest import EVENTS_DIR, EventLoader, FakeLambdaContext, function_for_event, function_handler
from tests.unit.knock import assert_knock_error

ROUTES = {route.route_key: route for route in http_api().routes}


def _sample(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return event


HTTP_SAMPLES = {
    path.stem: str(event["routeKey"])
    for path in sorted(EVENTS_DIR.glob("*.json"))
    if "routeKey" in (event := _sample(path)) and "identitySource" not in event  # not the authorizer's own event
}
AUTHORIZED_SAMPLES = [sample for sample, route_key in HTTP_SAMPLES.items() if ROUTES[route_key].authorized]
PUBLIC_SAMPLES = [sample for sample, route_key in HTTP_SAMPLES.items() if not ROUTES[route_key].authorized]

REFUSED = [
    pytest.param({"lambda": {"verdict": "unauthenticated"}}, 401, "authentication_required", id="unauthenticated"),
    pytest.param({"lambda": {"verdict": "forbidden"}}, 403, "incorrect_token_type", id="forbidden"),
    pytest.param({"lambda": {"verdict": "unavailable"}}, 503, "service_unavailable", id="unavailable"),
    # fail closed: anything but an explicit allow is a 401
    pytest.param(None, 401, "authentication_required", id="no-authorizer-context"),
    pytest.param({}, 401, "authentication_required", id="empty-authorizer-context"),
    pytest.param({"lambda": {"key_id": "3f1c7e0b2a9d"}}, 401, "authentication_required", id="key-id-without-verdict"),
    pytest.param({"lambda": {"verdict": "Allow"}}, 401, "authentication_required", id="verdict-in-other-case"),
    pytest.param({"lambda": {"verdict": ["allow"]}}, 401, "authentication_required", id="verdict-not-a-string"),
    pytest.param({"lambda": "allow"}, 401, "authentication_required", id="lambda-context-not-an-object"),
]


def _with_authorizer(event: dict[str, Any], authorizer: dict[str, Any] | None) -> dict[str, Any]:
    context = dict(event["requestContext"])
    context.pop("authorizer", None)
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {**event, "requestContext": context}


def test_samples_cover_every_route_behind_the_authorizer_and_both_public_routes() -> None:
    assert {HTTP_SAMPLES[sample] for sample in AUTHORIZED_SAMPLES} == {
        key for key, route in ROUTES.items() if route.authorized
    }
    assert {HTTP_SAMPLES[sample] for sample in PUBLIC_SAMPLES} == {
        key for key, route in ROUTES.items() if not route.authorized
    }


@pytest.mark.usefixtures("idempotency_table")
@pytest.mark.parametrize(("authorizer", "status", "code"), REFUSED)
@pytest.mark.parametrize("sample", AUTHORIZED_SAMPLES)
def test_request_not_allowed_by_the_authorizer_is_refused_first_and_does_nothing(
    sample: str,
    authorizer: dict[str, Any] | None,
    status: int,
    code: str,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    nothing_published: Callable[[], None],
) -> None:
    # Given a route's sample with a body the function would refuse as 415 (or 400), and a verdict that is not allow
    event = load_event(sample, body="{not json", headers={"content-type": "text/plain"})
    event = _with_authorizer(event, authorizer)

    # When the function the template routes it to handles it
    response = function_handler(function_for_event(sample))(event, lambda_context)

    # Then it is refused with a Knock-shaped error, still tagged with the request id, and nothing happened
    assert_knock_error(response, status, code)
    assert response["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    nothing_written()
    nothing_published()


@pytest.mark.parametrize("sample", PUBLIC_SAMPLES)
def test_docs_function_serves_its_routes_without_any_verdict(
    sample: str, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given a request to a route with `Auth: Authorizer: NONE`: API Gateway sends no authorizer context
    event = _with_authorizer(load_event(sample), None)

    # When its function handles it
    response = function_handler(function_for_event(sample))(event, lambda_context)

    # Then it answers
    assert response["statusCode"] == 200, response.get("body", "")[:300]
