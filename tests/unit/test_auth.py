"""Bearer secret keys checked against SHA-256 hashes in SSM (moto)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from recipients.auth.keys import authorize, check_authorization, hash_key, parse_key_hashes
from recipients.auth.verdicts import Verdict, refusal, request_verdict
from recipients.kernel.errors import ErrorKind
from tests.unit.knock import json_lines

OTHER_KEY = "sk_test_rotated"
PUBLIC_KEY = "pk_test_unit_public"


@pytest.fixture(scope="module")
def ssm_client() -> Any:
    return boto3.client("ssm")


@pytest.fixture
def set_key_hashes(api_key_parameter: str, ssm_client: Any) -> Callable[[str], None]:
    """Overwrite the parameter's value (before the first check of a test: values are cached)."""

    def put(value: str) -> None:
        ssm_client.put_parameter(
            Name=os.environ["API_KEY_HASHES_PARAMETER"], Type="SecureString", Value=value, Overwrite=True
        )

    return put


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, Verdict.UNAUTHENTICATED),
        ("", Verdict.UNAUTHENTICATED),
        ("Basic c2tfdGVzdF91bml0Og==", Verdict.UNAUTHENTICATED),
        ("Basic sk_test_unit", Verdict.UNAUTHENTICATED),
        ("Bearer", Verdict.UNAUTHENTICATED),
        ("Bearer ", Verdict.UNAUTHENTICATED),
        ("Bearer    ", Verdict.UNAUTHENTICATED),
        ("sk_test_unit", Verdict.UNAUTHENTICATED),
        ("Bearer sk_test_unknown", Verdict.UNAUTHENTICATED),
        ("Bearer sk_test_uni", Verdict.UNAUTHENTICATED),
        ("Bearer SK_TEST_UNIT", Verdict.UNAUTHENTICATED),
        ("Bearer tok_test_unit", Verdict.UNAUTHENTICATED),
        ("Bearer pk_test_unit", Verdict.UNAUTHENTICATED),
        ("Bearer pk_anything", Verdict.UNAUTHENTICATED),
    ],
    ids=[
        "missing",
        "empty",
        "basic",
        "basic-with-key",
        "bearer-no-key",
        "bearer-empty",
        "bearer-blank",
        "no-scheme",
        "unknown-sk",
        "prefix-of-key",
        "wrong-case-key",
        "other-prefix",
        "pk",
        "any-pk",
    ],
)
def test_check_authorization_rejected_header_gives_verdict_without_key_id(
    api_key_parameter: str, header: str | None, verdict: Verdict
) -> None:
    assert check_authorization(header) == (verdict, None)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sk_test_unit",
        "bearer sk_test_unit",
        "BEARER sk_test_unit",
        "Bearer  sk_test_unit ",
        " Bearer sk_test_unit",
    ],
)
def test_check_authorization_known_key_allows_with_hash_prefix(api_key_parameter: str, header: str) -> None:
    assert check_authorization(header) == (Verdict.ALLOW, hash_key(api_key_parameter)[:12])


def test_check_authorization_known_public_key_is_public_with_its_hash_prefix(
    set_key_hashes: Callable[[str], None], api_key_parameter: str
) -> None:
    # Given a secret and a public key's hashes side by side
    set_key_hashes(hash_key(api_key_parameter) + "\n" + hash_key(PUBLIC_KEY))
    # Then the public key is known as public (its user token is checked by the function), and a
    # secret key's hash never makes a pk_ key of the same text known, nor the other way round
    assert check_authorization(f"Bearer {PUBLIC_KEY}") == (Verdict.PUBLIC, hash_key(PUBLIC_KEY)[:12])
    assert check_authorization(f"Bearer {api_key_parameter}") == (Verdict.ALLOW, hash_key(api_key_parameter)[:12])
    assert check_authorization("Bearer pk_" + api_key_parameter.removeprefix("sk_")) == (Verdict.UNAUTHENTICATED, None)


@pytest.mark.parametrize("separator", ["\n", ",", ", ", "\r\n", "\n\n"])
def test_check_authorization_rotated_keys_are_both_valid(
    set_key_hashes: Callable[[str], None], api_key_parameter: str, separator: str
) -> None:
    # Given the old and the new key's hashes in the parameter
    set_key_hashes(hash_key(api_key_parameter) + separator + hash_key(OTHER_KEY))
    # Then both keys are allowed, each with its own key id, and others still are not
    assert check_authorization(f"Bearer {api_key_parameter}") == (Verdict.ALLOW, hash_key(api_key_parameter)[:12])
    assert check_authorization(f"Bearer {OTHER_KEY}") == (Verdict.ALLOW, hash_key(OTHER_KEY)[:12])
    assert check_authorization("Bearer sk_test_unknown") == (Verdict.UNAUTHENTICATED, None)


def test_check_authorization_upper_case_hash_in_parameter_still_matches(
    set_key_hashes: Callable[[str], None], api_key_parameter: str
) -> None:
    set_key_hashes(hash_key(api_key_parameter).upper())
    assert check_authorization(f"Bearer {api_key_parameter}")[0] is Verdict.ALLOW


@pytest.mark.parametrize("cache_seconds", ["60", "0"], ids=["cache-60-s", "cache-0-floored"])
def test_check_authorization_hashes_are_cached_between_checks(
    set_key_hashes: Callable[[str], None],
    api_key_parameter: str,
    monkeypatch: pytest.MonkeyPatch,
    cache_seconds: str,
) -> None:
    # Given ApiKeyCacheSeconds (0: API Gateway caches nothing, the floor still holds) and a first check
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", cache_seconds)
    assert check_authorization(f"Bearer {api_key_parameter}")[0] is Verdict.ALLOW
    # When the key is revoked in SSM at once
    set_key_hashes(hash_key(OTHER_KEY))
    # Then the hashes are still read from the in-process cache, not from SSM on every request
    assert check_authorization(f"Bearer {api_key_parameter}")[0] is Verdict.ALLOW


def test_parse_key_hashes_splits_trims_lowercases_and_skips_blanks() -> None:
    assert parse_key_hashes(" AB12 ,cd34\n\n ef56 \r\n,") == frozenset({"ab12", "cd34", "ef56"})


def test_hash_key_is_sha256_hex_of_utf8() -> None:
    # the FIPS 180-2 test vector for "abc"
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_check_authorization_without_parameter_is_unavailable_and_logs_what_to_do(
    aws: None, caplog: pytest.LogCaptureFixture, log_output: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a function in us-east-1 (Lambda sets AWS_REGION) and the key-hash parameter in another region only
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name=os.environ["API_KEY_HASHES_PARAMETER"], Type="SecureString", Value=hash_key(OTHER_KEY)
    )
    caplog.set_level(logging.DEBUG)

    # When a secret key is checked
    verdict = check_authorization(f"Bearer {OTHER_KEY}")

    # Then the verdict is unavailable (a 503, not a 401 the caller cannot fix), with one ERROR line
    # naming the parameter and the region, and no key
    assert verdict == (Verdict.UNAVAILABLE, None)
    errors = [line for line in json_lines(log_output()) if line.get("level") == "ERROR"]
    assert len(errors) == 1
    message = errors[0]["message"]
    assert os.environ["API_KEY_HASHES_PARAMETER"] in message
    assert "in region us-east-1" in message
    assert "create the parameter in this region" in message
    assert OTHER_KEY not in caplog.text + log_output()


@pytest.mark.parametrize(
    ("event", "verdict"),
    [
        ({"headers": {}}, "unauthenticated"),
        ({}, "unauthenticated"),
        ({"headers": {"authorization": "Bearer sk_test_unknown"}}, "unauthenticated"),
        ({"headers": {"authorization": "Basic sk_test_unit"}}, "unauthenticated"),
        ({"headers": {"authorization": "Bearer pk_test_unit"}}, "unauthenticated"),
    ],
    ids=["no-header", "no-headers", "unknown-key", "not-bearer", "public-key"],
)
def test_authorize_refused_key_is_authorized_with_its_verdict_and_no_key_id(
    api_key_parameter: str, event: dict[str, Any], verdict: str
) -> None:
    # HTTP APIs document no 401 from an authorizer: the function refuses the request on this verdict
    assert authorize(event) == {"isAuthorized": True, "context": {"verdict": verdict}}


def test_authorize_known_key_is_authorized_with_allow_and_key_id(api_key_parameter: str) -> None:
    assert authorize({"headers": {"authorization": f"Bearer {api_key_parameter}"}}) == {
        "isAuthorized": True,
        "context": {"verdict": "allow", "key_id": hash_key(api_key_parameter)[:12]},
    }


def test_authorize_unreadable_parameter_is_authorized_with_unavailable(aws: None) -> None:
    assert authorize({"headers": {"authorization": "Bearer sk_test_unit"}}) == {
        "isAuthorized": True,
        "context": {"verdict": "unavailable"},
    }


@pytest.mark.parametrize(
    ("request_context", "verdict"),
    [
        ({"authorizer": {"lambda": {"verdict": "allow", "key_id": "3f1c7e0b2a9d"}}}, Verdict.ALLOW),
        ({"authorizer": {"lambda": {"verdict": "unauthenticated"}}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": {"verdict": "forbidden"}}}, Verdict.FORBIDDEN),
        ({"authorizer": {"lambda": {"verdict": "unavailable"}}}, Verdict.UNAVAILABLE),
        # anything else fails closed
        (None, Verdict.UNAUTHENTICATED),
        ({}, Verdict.UNAUTHENTICATED),
        ({"authorizer": None}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": None}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": "allow"}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": {"key_id": "3f1c7e0b2a9d"}}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": {"verdict": "ALLOW"}}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": {"verdict": ["allow"]}}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"lambda": {"verdict": True}}}, Verdict.UNAUTHENTICATED),
        ({"authorizer": {"iam": {"accessKey": "AKIA"}}}, Verdict.UNAUTHENTICATED),
        ("allow", Verdict.UNAUTHENTICATED),
    ],
)
def test_request_verdict_reads_the_authorizer_context_and_fails_closed(request_context: Any, verdict: Verdict) -> None:
    event = {} if request_context is None else {"requestContext": request_context}
    assert request_verdict(event) is verdict


@pytest.mark.parametrize(
    ("verdict", "status_code"),
    [
        ("unauthenticated", ("authentication_required", ErrorKind.UNAUTHENTICATED)),
        ("forbidden", ("incorrect_token_type", ErrorKind.FORBIDDEN)),
        ("unavailable", ("service_unavailable", ErrorKind.UNAVAILABLE)),
    ],
)
def test_refusal_of_each_verdict_but_allow_is_a_recipients_error(
    verdict: str, status_code: tuple[str, ErrorKind]
) -> None:
    refused = refusal({"requestContext": {"authorizer": {"lambda": {"verdict": verdict}}}})
    assert refused is not None
    assert (refused.code, refused.kind) == status_code
    assert refusal({"requestContext": {"authorizer": {"lambda": {"verdict": "allow"}}}}) is None


def test_authorize_never_logs_keys(
    api_key_parameter: str,
    caplog: pytest.LogCaptureFixture,
    log_output: Callable[[], str],
) -> None:
    # Given every log record at DEBUG, from our logger and from boto3/botocore
    caplog.set_level(logging.DEBUG)
    # When keys of every kind are checked
    for key in (api_key_parameter, "sk_test_unknown", "pk_test_public"):
        authorize({"headers": {"authorization": f"Bearer {key}"}})
    # Then the logs (which did capture the SSM call) hold none of them
    logged = caplog.text + log_output()
    assert "GetParameter" in logged
    for key in (api_key_parameter, "sk_test_unknown", "pk_test_public"):
        assert key not in logged
