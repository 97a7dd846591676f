"""Every sample event parses as what API Gateway sends, and matches a route of the template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequestV2,
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    EventBridgeModel,
    SqsModel,
)

from local.template import http_api, resources_of_type
from recipients.auth.keys import hash_key
from recipients.auth.settings import auth_settings
from tests.conftest import (
    AUTHORIZER_EVENTS,
    EVENTS_DIR,
    BulkQueues,
    EventLoader,
    WorkflowBus,
    function_for_event,
    function_handler,
)

EVENT_FILES = sorted(EVENTS_DIR.glob("*.json"))
RECORD_EVENTS = {path.stem for path in EVENT_FILES if "Records" in json.loads(path.read_text(encoding="utf-8"))}
STREAM_EVENTS = {
    stem for stem in RECORD_EVENTS if '"aws:dynamodb"' in (EVENTS_DIR / f"{stem}.json").read_text(encoding="utf-8")
}
SQS_EVENTS = RECORD_EVENTS - STREAM_EVENTS
SCHEDULER_EVENTS = {path.stem for path in EVENT_FILES if "schedule_id" in json.loads(path.read_text(encoding="utf-8"))}
"""What EventBridge Scheduler hands the firing function: an armed occurrence's input."""
RULE_EVENTS = {path.stem for path in EVENT_FILES if "detail-type" in json.loads(path.read_text(encoding="utf-8"))}
"""What an EventBridge rule delivers to a function."""
HTTP_EVENT_FILES = [
    path for path in EVENT_FILES if path.stem not in AUTHORIZER_EVENTS | RECORD_EVENTS | SCHEDULER_EVENTS | RULE_EVENTS
]


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_events_directory_has_a_sample_for_every_function_of_the_template() -> None:
    # events/<function>[_<variant>].json, where <function> is the function's folder under functions/
    folders = {
        Path(spec["Properties"]["CodeUri"]).name for spec in resources_of_type("AWS::Serverless::Function").values()
    }
    assert {"authorizer", "identify", "get", "delete", "fallback"} <= folders
    stems = {path.stem for path in EVENT_FILES}
    missing = {folder for folder in folders if not any(s == folder or s.startswith(f"{folder}_") for s in stems)}
    assert missing == set()


@pytest.mark.parametrize("path", EVENT_FILES, ids=[path.stem for path in EVENT_FILES])
def test_event_file_parses_as_http_api_v2_payload(path: Path) -> None:
    event = read(path)
    if path.stem in SQS_EVENTS:
        assert all(record.eventSource == "aws:sqs" for record in SqsModel.model_validate(event).Records)
        return
    if path.stem in STREAM_EVENTS:
        records = DynamoDBStreamModel.model_validate(event).Records
        assert records and all(record.eventSource == "aws:dynamodb" for record in records)
        return
    if path.stem in RULE_EVENTS:
        assert EventBridgeModel.model_validate(event).detail_type.startswith("recipient.")
        return
    if path.stem in SCHEDULER_EVENTS:
        assert set(event) == {"schedule_id", "occurrence"}
        return
    if path.stem in AUTHORIZER_EVENTS:
        parsed = ApiGatewayAuthorizerRequestV2.model_validate(event)
        assert parsed.type == "REQUEST"
    else:
        parsed = APIGatewayProxyEventV2Model.model_validate(event)
    assert parsed.version == "2.0"


@pytest.mark.parametrize("path", HTTP_EVENT_FILES, ids=lambda p: p.stem)
def test_event_file_route_key_is_a_template_route_and_matches_its_path(path: Path) -> None:
    event = read(path)
    routes = {route.route_key: route for route in http_api().routes}
    assert event["routeKey"] in routes
    assert event["requestContext"]["routeKey"] == event["routeKey"]
    assert event["requestContext"]["http"]["path"] == event["rawPath"]
    route = routes[event["routeKey"]]
    if route.path is not None:
        assert route.method == event["requestContext"]["http"]["method"]
        assert route.pattern is not None
        match = route.pattern.match(event["rawPath"])
        assert match is not None
        assert match.groupdict() == (event.get("pathParameters") or {})


def test_load_event_path_variant_is_percent_encoded_like_the_sdk(load_event: EventLoader) -> None:
    event = load_event("identify", path={"user_id": "x#y/z é!@"})
    assert event["rawPath"] == "/v1/users/x%23y%2Fz%20%C3%A9!@"
    assert event["requestContext"]["http"]["path"] == event["rawPath"]
    assert event["pathParameters"] == {"user_id": "x#y/z é!@"}
    APIGatewayProxyEventV2Model.model_validate(event)


def test_load_event_raw_path_variant_derives_decoded_path_parameters(load_event: EventLoader) -> None:
    assert load_event("get", path="/v1/users/a%2Fb%20c")["pathParameters"] == {"user_id": "a/b c"}
    assert load_event("get", path="/v1/users/%FF")["pathParameters"] == {"user_id": "\udcff"}
    assert "pathParameters" not in load_event("fallback", path="/v2/anything")


def test_load_event_query_variant_rewrites_string_and_parameters(load_event: EventLoader) -> None:
    event = load_event("list", query={"page_size": "5", "include[]": ["preferences", "x"]})
    assert event["rawQueryString"] == "page_size=5&include%5B%5D=preferences&include%5B%5D=x"
    assert event["queryStringParameters"] == {"page_size": "5", "include[]": "preferences,x"}


def test_load_event_body_variant_dumps_objects_and_keeps_strings(load_event: EventLoader) -> None:
    assert load_event("identify", body={"a": "é"})["body"] == '{"a": "é"}'
    assert load_event("identify", body="[")["body"] == "["


@pytest.mark.parametrize("path", EVENT_FILES, ids=[path.stem for path in EVENT_FILES])
def test_event_file_runs_with_its_function_and_gets_no_server_error(
    path: Path,
    recipients_table: str,
    idempotency_table: str,
    bulk_queues: BulkQueues,
    workflow_bus: WorkflowBus,
    schedule_group: str,
    lambda_context: Any,
) -> None:
    # Given the sample's function, as template.yaml wires it, and the key the samples carry
    boto3.client("ssm").put_parameter(
        Name=auth_settings().api_key_hashes_parameter, Type="SecureString", Value=hash_key("sk_test_local")
    )
    event = read(path)
    handler = function_handler(function_for_event(path.stem))

    # When the function runs with the sample
    result = handler(event, lambda_context)

    # Then it answers as it should: an authorizer verdict, every message handled, or an HTTP answer below 500
    if path.stem in AUTHORIZER_EVENTS:
        assert result == {
            "isAuthorized": True,
            "context": {"verdict": "allow", "key_id": hash_key("sk_test_local")[:12]},
        }
    elif path.stem in RECORD_EVENTS:
        assert result == {"batchItemFailures": []}
    elif path.stem in SCHEDULER_EVENTS:
        assert result == {"workflow_run_id": None}  # the sample's schedule does not exist: nothing runs
    elif path.stem in RULE_EVENTS:
        assert result == {"schedules": 0}  # the sample's recipient has no schedules
    else:
        assert 200 <= result["statusCode"] < 500
