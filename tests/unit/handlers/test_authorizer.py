"""The HTTP API Lambda authorizer with events/authorizer.json, keys checked against SSM (moto).

It always answers `isAuthorized: true`; the verdict in its context is what the API functions act on
(recipients.auth.verdicts explains why).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from functions.authorizer.app import lambda_handler
from recipients.auth.keys import hash_key
from tests.conftest import EventLoader, FakeLambdaContext


def test_authorizer_known_secret_key_is_allowed_with_key_id(
    load_event: EventLoader, lambda_context: FakeLambdaContext, api_key_parameter: str
) -> None:
    event = load_event("authorizer", headers={"authorization": f"Bearer {api_key_parameter}"})
    assert lambda_handler(event, lambda_context) == {
        "isAuthorized": True,
        "context": {"verdict": "allow", "key_id": hash_key(api_key_parameter)[:12]},
    }


def test_authorizer_sample_key_not_in_parameter_is_unauthenticated(
    load_event: EventLoader, lambda_context: FakeLambdaContext, api_key_parameter: str
) -> None:
    # events/authorizer.json carries the local dev key, which this parameter does not hold
    assert lambda_handler(load_event("authorizer"), lambda_context) == {
        "isAuthorized": True,
        "context": {"verdict": "unauthenticated"},
    }


@pytest.mark.parametrize("header", [None, "", "Bearer ", "Basic c2tfdGVzdF91bml0Og==", "Bearer sk_test_nope"])
def test_authorizer_missing_or_unknown_key_is_unauthenticated(
    load_event: EventLoader, lambda_context: FakeLambdaContext, api_key_parameter: str, header: str | None
) -> None:
    event = load_event("authorizer", headers={"authorization": header})
    assert lambda_handler(event, lambda_context)["context"] == {"verdict": "unauthenticated"}


def test_authorizer_unknown_public_key_is_unauthenticated(
    load_event: EventLoader, lambda_context: FakeLambdaContext, api_key_parameter: str
) -> None:
    event = load_event("authorizer", headers={"authorization": "Bearer pk_test_public"})
    assert lambda_handler(event, lambda_context) == {"isAuthorized": True, "context": {"verdict": "unauthenticated"}}


def test_authorizer_without_key_hash_parameter_is_unavailable_not_an_error(
    aws: None, load_event: EventLoader, lambda_context: FakeLambdaContext
) -> None:
    # Given no SSM parameter at all: the answer is a verdict, not an exception API Gateway would turn into a 500
    assert lambda_handler(load_event("authorizer"), lambda_context) == {
        "isAuthorized": True,
        "context": {"verdict": "unavailable"},
    }


def test_authorizer_logs_no_key(
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    api_key_parameter: str,
    caplog: pytest.LogCaptureFixture,
    log_output: Callable[[], str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for key in (api_key_parameter, "sk_test_local", "pk_test_public"):
        lambda_handler(load_event("authorizer", headers={"authorization": f"Bearer {key}"}), lambda_context)
    logged = caplog.text + log_output()
    assert "GetParameter" in logged  # the capture saw the SSM call...
    for key in (api_key_parameter, "sk_test_local", "pk_test_public"):
        assert key not in logged  # ...and no key
