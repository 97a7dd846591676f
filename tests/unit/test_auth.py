"""Bearer secret keys checked against SHA-256 hashes in SSM (moto)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from recipients.auth import Unauthorized, Verdict, authorize, check_authorization, hash_key, parse_key_hashes

OTHER_KEY = "sk_test_rotated"


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
        ("Bearer pk_test_unit", Verdict.PUBLIC_KEY),
        ("Bearer pk_anything", Verdict.PUBLIC_KEY),
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


def test_check_authorization_hashes_are_cached_between_checks(
    set_key_hashes: Callable[[str], None], api_key_parameter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", "60")
    # Given a first check that loads the hashes
    assert check_authorization(f"Bearer {api_key_parameter}")[0] is Verdict.ALLOW
    # When the key is revoked in SSM
    set_key_hashes(hash_key(OTHER_KEY))
    # Then the cached hashes still answer within the cache window (no SSM call per request)
    assert check_authorization(f"Bearer {api_key_parameter}")[0] is Verdict.ALLOW


def test_parse_key_hashes_splits_trims_lowercases_and_skips_blanks() -> None:
    assert parse_key_hashes(" AB12 ,cd34\n\n ef56 \r\n,") == frozenset({"ab12", "cd34", "ef56"})


def test_hash_key_is_sha256_hex_of_utf8() -> None:
    # the FIPS 180-2 test vector for "abc"
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_authorize_missing_key_raises_unauthorized_with_exact_message(api_key_parameter: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        authorize({"headers": {}})
    assert str(caught.value) == "Unauthorized"


def test_authorize_unknown_key_raises_unauthorized(api_key_parameter: str) -> None:
    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        authorize({"headers": {"authorization": "Bearer sk_test_unknown"}})


def test_authorize_event_without_headers_raises_unauthorized(api_key_parameter: str) -> None:
    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        authorize({})


def test_authorize_public_key_returns_not_authorized(api_key_parameter: str) -> None:
    assert authorize({"headers": {"authorization": "Bearer pk_test_unit"}}) == {"isAuthorized": False}


def test_authorize_known_key_returns_authorized_with_key_id(api_key_parameter: str) -> None:
    assert authorize({"headers": {"authorization": f"Bearer {api_key_parameter}"}}) == {
        "isAuthorized": True,
        "context": {"key_id": hash_key(api_key_parameter)[:12]},
    }


def test_authorize_never_logs_keys(
    api_key_parameter: str,
    caplog: pytest.LogCaptureFixture,
    log_output: Callable[[], str],
) -> None:
    # Given every log record at DEBUG, from our logger and from boto3/botocore
    caplog.set_level(logging.DEBUG)
    # When keys of every kind are checked
    for key in (api_key_parameter, "sk_test_unknown", "pk_test_public"):
        with contextlib.suppress(Unauthorized):
            authorize({"headers": {"authorization": f"Bearer {key}"}})
    # Then the logs (which did capture the SSM call) hold none of them
    logged = caplog.text + log_output()
    assert "GetParameter" in logged
    for key in (api_key_parameter, "sk_test_unknown", "pk_test_public"):
        assert key not in logged
