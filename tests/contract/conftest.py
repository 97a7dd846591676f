"""Contract tests: the official knockapi SDK against the local API (or a deployed stage)."""

from collections.abc import Iterator

import pytest
from knockapi import Knock

from tests.local_api import ApiTarget, api, http, new_collection, new_user_id  # noqa: F401


@pytest.fixture(scope="session")
def knock(api: ApiTarget) -> Iterator[Knock]:  # noqa: F811
    """The SDK as an application would build it; no retries, so a 5xx or 409 fails at once."""
    with Knock(api_key=api.api_key, base_url=api.url, max_retries=0) as client:
        yield client
