"""schemathesis against the OpenAPI document the API itself serves at GET /openapi.json.

Every operation of the document is called with the secret key, with data schemathesis derives from
the document: its examples, boundary and invalid values (coverage), then random valid and invalid
data (fuzzing). Each answer must be below 500, have a documented status, media type and headers, and
match its documented schema; and an operation that succeeds with the key must refuse a request
without it or with a wrong one.

The run is seeded and derandomized, so it sends the same requests every time, and sized for moto
server (about 120 requests per operation, under a minute). It gets a local API of its own, so what
it writes stays out of the other tests' lists; with API_URL it fuzzes that stage instead, and what it
writes stays there.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from recipients.http.routes import API_ROUTES
from tests.integration.support import PUBLIC_ROUTES
from tests.local_api import REQUEST_TIMEOUT_SECONDS, ApiTarget, api_of_its_own

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("schemathesis")]

SEED = 20261123
MAX_EXAMPLES = 50
"""Random examples per operation in the fuzzing phase (the examples and coverage phases add their own)."""

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
)
GATEWAY_METHODS = ["get", "put", "post", "delete", "patch", "options"]
"""Wrong methods the coverage phase tries on each path: the ones an HTTP API routes (not TRACE)."""


@pytest.fixture(scope="module")
def fuzzed_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    return api_of_its_own(request, tmp_path_factory, "schemathesis-api")


def run_config(api: ApiTarget) -> dict[str, Any]:
    """schemathesis' configuration (the keys of its schemathesis.toml)."""
    return {
        "seed": SEED,
        "base-url": api.url,
        "auth": {"openapi": {"bearer": {"bearer": api.api_key}}},  # Authorization: Bearer <key>
        "request-timeout": REQUEST_TIMEOUT_SECONDS,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "coverage": {"unexpected-methods": GATEWAY_METHODS},
            "stateful": {"enabled": False},
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    }


@pytest.fixture(scope="module")
def served_schema(fuzzed_api: ApiTarget) -> OpenApiSchema:
    """The OpenAPI document as the API serves it (no key needed), not the file in the repository."""
    config = SchemathesisConfig.from_dict(run_config(fuzzed_api))
    return schemathesis.openapi.from_url(f"{fuzzed_api.url}/openapi.json", config=config, timeout=30)


def test_served_document_has_every_route_of_the_api_but_the_docs(served_schema: OpenApiSchema) -> None:
    # So the test below calls every route
    documented = {(path, method.upper()) for path, item in served_schema.raw_schema["paths"].items() for method in item}
    routed = {(path, method) for path, methods in API_ROUTES.items() for method in methods}
    assert documented == routed - PUBLIC_ROUTES


schema = schemathesis.pytest.from_fixture("served_schema")


@schema.parametrize()
def test_every_operation_answers_as_documented(case: Case) -> None:
    case.call_and_validate()
