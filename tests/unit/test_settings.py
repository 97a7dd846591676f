"""Settings come from the environment, lazily, and are validated on first use."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recipients.auth.settings import auth_settings
from recipients.kernel.settings import table_settings


def test_table_settings_read_the_table_name_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECIPIENTS_TABLE_NAME", "recipients-prod")
    assert table_settings().recipients_table_name == "recipients-prod"


def test_table_settings_are_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECIPIENTS_TABLE_NAME", "first")
    first = table_settings()
    monkeypatch.setenv("RECIPIENTS_TABLE_NAME", "second")
    assert table_settings() is first
    table_settings.cache_clear()
    assert table_settings().recipients_table_name == "second"


@pytest.mark.parametrize("value", [None, "", "ab"])
def test_table_settings_missing_or_short_table_name_fails_validation(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("RECIPIENTS_TABLE_NAME", raising=False)
    else:
        monkeypatch.setenv("RECIPIENTS_TABLE_NAME", value)
    with pytest.raises(ValidationError, match="recipients_table_name"):
        table_settings()


def test_auth_settings_default_cache_is_60_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_KEY_CACHE_SECONDS", raising=False)
    monkeypatch.setenv("API_KEY_HASHES_PARAMETER", "/recipients/api-key-hashes")
    settings = auth_settings()
    assert (settings.api_key_hashes_parameter, settings.api_key_cache_seconds) == ("/recipients/api-key-hashes", 60)


@pytest.mark.parametrize(("value", "seconds"), [("0", 0), ("3600", 3600), ("15", 15)])
def test_auth_settings_cache_seconds_in_range_are_read(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: int
) -> None:
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", value)
    assert auth_settings().api_key_cache_seconds == seconds


@pytest.mark.parametrize("value", ["-1", "3601", "soon"])
def test_auth_settings_cache_seconds_out_of_range_fail_validation(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", value)
    with pytest.raises(ValidationError, match="api_key_cache_seconds"):
        auth_settings()


def test_auth_settings_missing_parameter_name_fails_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_KEY_HASHES_PARAMETER", raising=False)
    with pytest.raises(ValidationError, match="api_key_hashes_parameter"):
        auth_settings()
