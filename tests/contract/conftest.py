"""Contract tests: the official knockapi and @knocklabs/node SDKs against the local API (or a deployed stage)."""

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from knockapi import Knock

from tests.contract.node_sdk import run_node_scenario
from tests.local_api import ApiTarget, api, http, new_collection, new_user_id  # noqa: F401


@pytest.fixture(scope="session")
def knock(api: ApiTarget) -> Iterator[Knock]:  # noqa: F811
    """The SDK as an application would build it; no retries, so a 5xx or 409 fails at once."""
    with Knock(api_key=api.api_key, base_url=api.url, max_retries=0) as client:
        yield client


@pytest.fixture(scope="session")
def node_sdk(api: ApiTarget) -> Callable[..., Any]:  # noqa: F811
    """`node_sdk(scenario, payload, env=...)`: a Node SDK scenario run against the API (tests/contract/node_sdk.py)."""
    return partial(run_node_scenario, api)
