"""schemathesis against Knock's own OpenAPI document: each answer we give has the shape Knock documents.

knock_openapi.yml is Knock's document cut down to the operations this service serves (see its header).
Every one of them is called with the secret key, with data schemathesis derives from Knock's
document: its examples, boundary and invalid values (coverage), then random valid and invalid data
(fuzzing). What is checked, and why:

- not_a_server_error: whatever Knock's document lets a client send, we answer below 500.
- response_schema_conformance: a body with a documented status matches Knock's schema for it.
  Knock's document only describes success answers (no error responses at all), so this checks every
  200 body; our error bodies ({code, message, status, type}) are not described there and not checked.
- content_type_conformance: likewise, a documented answer is application/json as documented.
- success statuses (below, not schemathesis' status_code_conformance): a 2xx must be the 2xx Knock
  documents (204 for deletes, 200 elsewhere). status_code_conformance as such would fail every 4xx,
  as Knock's document lists no 4xx status, although Knock's API answers 404, 422, etc. (the
  error codes of Knock's API reference).

The run is seeded and derandomized, and sized for moto server (well under two minutes). It gets a
local API of its own; with API_URL it runs against that stage instead, and what it writes stays there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from recipients.http.routes import API_ROUTES
from tests.integration.support import PUBLIC_ROUTES
from tests.local_api import REQUEST_TIMEOUT_SECONDS, ApiTarget, api_of_its_own

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("knock-spec")]

KNOCK_DOCUMENT = Path(__file__).with_name("knock_openapi.yml")
SEED = 20261124
MAX_EXAMPLES = 10
"""Random examples per operation in the fuzzing phase (the examples and coverage phases add their own)."""

CHECKS = ("not_a_server_error", "response_schema_conformance", "content_type_conformance")


@pytest.fixture(scope="module")
def knock_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ApiTarget:
    return api_of_its_own(request, tmp_path_factory, "knock-spec-api")


def run_config(api: ApiTarget) -> dict[str, Any]:
    """schemathesis' configuration (the keys of its schemathesis.toml)."""
    return {
        "seed": SEED,
        "base-url": api.url,
        "auth": {"openapi": {"BearerAuth": {"bearer": api.api_key}}},  # Authorization: Bearer <key>
        "request-timeout": REQUEST_TIMEOUT_SECONDS,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            # Wrong methods are our own routing (405), fuzzed against our own document already.
            "coverage": {"unexpected-methods": []},
            "stateful": {"enabled": False},
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    }


def _template(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", path)


OVERLAPPING_UNIONS = {
    "ChannelData": ("data",),
    "SlackChannelData": ("connections", "items"),
    "MsTeamsChannelData": ("connections", "items"),
    "DiscordChannelData": ("connections", "items"),
    "Recipient": (),  # the schema itself
}
"""Where Knock's document says oneOf ("exactly one") of variants that overlap, so Knock's own data fails it.

The token connections (SlackTokenConnection, MsTeamsTokenConnection) have no required key and allow
any other, so every Slack connection, token or incoming webhook, is also an MS Teams connection:
`{"connections": [{"access_token": "xoxb-...", "channel_id": "C1"}]}`, the chat data of Knock's
own guides, is valid under more than one variant of ChannelData.data, and an incoming webhook is
also a token connection. Recipient (User or Object, as a schedule's recipient) is another: User allows
any other key and needs none an Object lacks, so every Object (`__typename: "Object"` and a collection)
is also a User. These unions are taken as anyOf: the data must still have one of Knock's shapes.
"""


KIND_KEYS = ("tokens", "devices", "target_arns", "player_ids", "connections", "token", "ms_teams_tenant_id")
WEBHOOK_CHANNEL_DATA = {
    "type": "object",
    "not": {"anyOf": [{"required": [key]} for key in KIND_KEYS]},
}
"""The data of a channel of none of the kinds ChannelData.data lists: answered as it was stored.

Knock's `provider` enum has `http_knock_webhook`, but ChannelData.data has no variant for it and
Knock documents no shape for it, so we accept any object without the keys that tell the other
kinds apart, and answer it as stored (a documented choice of ours). Data with one of those keys
must still match its kind's schema.
"""


def knock_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(KNOCK_DOCUMENT.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    for name, location in OVERLAPPING_UNIONS.items():
        node = schemas[name]["properties"] if location else schemas[name]
        for key in location:
            node = node[key]
        node["anyOf"] = node.pop("oneOf")
    schemas["ChannelData"]["properties"]["data"]["anyOf"].append(WEBHOOK_CHANNEL_DATA)  # an answer only
    return document


@pytest.fixture(scope="module")
def knock_schema(knock_api: ApiTarget) -> OpenApiSchema:
    return schemathesis.openapi.from_dict(knock_document(), config=SchemathesisConfig.from_dict(run_config(knock_api)))


def test_knock_document_has_every_route_of_the_api_but_the_docs(knock_schema: OpenApiSchema) -> None:
    # So the test below calls every route; path parameters match by position, not by name
    documented = {
        (_template(path), method.upper())
        for path, item in knock_schema.raw_schema["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete")
    }
    routed = {(_template(path), method) for path, methods in API_ROUTES.items() for method in methods}
    assert documented == routed - {(_template(path), method) for path, method in PUBLIC_ROUTES}


schema = schemathesis.pytest.from_fixture("knock_schema")


@schema.parametrize()
def test_every_operation_answers_as_knock_documents(case: Case) -> None:
    response = case.call_and_validate()
    if 200 <= response.status_code < 300:
        documented = set(case.operation.definition.raw["responses"])
        assert str(response.status_code) in documented, (
            f"{case.method} {case.formatted_path} answered {response.status_code}; Knock documents {sorted(documented)}"
        )


SEEDED = "knock-spec-seeded"
"""The id of every recipient, object, tenant and audience the test below writes first."""


def seeded_calls(http: httpx.Client) -> list[tuple[str, str, dict[str, str]]]:
    """The operations fuzzing rarely gets a 2xx from (random ids name nothing: 404), on resources that exist."""
    bulk = http.post("/v1/users/bulk/identify", json={"users": [{"id": f"{SEEDED}-bulk"}]})
    bulk.raise_for_status()
    assert http.put(f"/v1/users/{SEEDED}", json={"name": "Seeded"}).status_code == 200
    assert http.put(f"/v1/objects/projects/{SEEDED}", json={"name": "Seeded"}).status_code == 200
    assert http.put(f"/v1/tenants/{SEEDED}", json={"name": "Seeded"}).status_code == 200
    members = {"members": [{"user": {"id": SEEDED}}]}
    assert http.post(f"/v1/audiences/{SEEDED}/members?create_audience=true", json=members).status_code == 204
    user, target = {"user_id": SEEDED}, {"collection": "projects", "id": SEEDED}
    daily = [{"frequency": "daily", "hours": 9}]
    recipients = [SEEDED, {"collection": "projects", "id": SEEDED}]
    scheduled = http.post("/v1/schedules", json={"workflow": SEEDED, "recipients": recipients, "repeats": daily})
    assert scheduled.status_code == 200, scheduled.text
    return [
        ("/v1/users/{user_id}/schedules", "GET", user),  # a schedule in full, recipient and repeats
        ("/v1/objects/{collection}/{id}/schedules", "GET", target),
        ("/v1/users/{user_id}", "GET", user),
        ("/v1/objects/{collection}/{id}", "GET", target),
        ("/v1/tenants/{id}", "GET", {"id": SEEDED}),
        ("/v1/audiences/{key}/members", "GET", {"key": SEEDED}),
        ("/v1/bulk_operations/{id}", "GET", {"id": bulk.json()["id"]}),
        ("/v1/users/{user_id}", "DELETE", user),
        ("/v1/objects/{collection}/{id}", "DELETE", target),
        ("/v1/tenants/{id}", "DELETE", {"id": SEEDED}),
    ]


def test_operations_on_existing_resources_answer_as_knock_documents(
    knock_schema: OpenApiSchema, knock_api: ApiTarget
) -> None:
    headers = {"Authorization": f"Bearer {knock_api.api_key}"}
    with httpx.Client(base_url=knock_api.url, headers=headers, timeout=30) as http:
        calls = seeded_calls(http)
    for path, method, parameters in calls:
        case = knock_schema[path][method].Case(path_parameters=parameters, headers=headers)
        response = case.call_and_validate(base_url=knock_api.url)
        assert 200 <= response.status_code < 300, f"{method} {case.formatted_path}: {response.status_code}"
        assert str(response.status_code) in case.operation.definition.raw["responses"]
