"""Shared test set-up: a fake AWS environment, moto, sample events and a Lambda context.

The environment is set and moto imported at module top, before anything imports `recipients`:
`recipients.kernel.aws` creates its clients once per process, and moto must have registered its hooks first.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote, urlencode

from local.template import (  # reads template.yaml only; no AWS
    create_table_arguments,
    handler_location,
    http_api,
    parameter_defaults,
    resources_of_type,
)
from tests import aws_calls  # noqa: F401  # before any boto3 client exists: its hook goes into every one

# When API_URL is set the integration tests talk to a deployed stage, which needs the real environment.
if not os.environ.get("API_URL"):
    for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        os.environ[_name] = "testing"
    os.environ.pop("AWS_PROFILE", None)
    # A custom endpoint would bypass moto's in-process mock and reach the network.
    for _name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[_name]
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "recipients")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Recipients")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("RECIPIENTS_TABLE_NAME", "recipients-test")
os.environ.setdefault("IDEMPOTENCY_TABLE_NAME", "idempotency-test")
os.environ.setdefault("WORKFLOW_DATA_BUCKET_NAME", "workflow-data-test")
os.environ.setdefault("API_KEY_HASHES_PARAMETER", parameter_defaults()["ApiKeyHashesParameterName"])
os.environ.setdefault("SIGNING_PUBLIC_KEYS_PARAMETER", parameter_defaults()["SigningPublicKeysParameterName"])
os.environ.setdefault("SCHEDULE_GROUP_NAME", "schedules-test")
os.environ.setdefault(
    "SCHEDULE_TARGET_ARN", "arn:aws:lambda:us-east-1:123456789012:function:recipients-test-ScheduleFiring"
)
os.environ.setdefault("SCHEDULE_ROLE_ARN", "arn:aws:iam::123456789012:role/recipients-test-scheduler")

import boto3  # noqa: E402
import pytest  # noqa: E402
from aws_lambda_powertools.utilities import parameters  # noqa: E402
from moto import mock_aws  # noqa: E402  # registers moto's botocore hooks before any client exists

from local.emulator import allow_long_update_expressions  # noqa: E402

allow_long_update_expressions()  # before any thread starts: in-process moto parses in the caller's thread

from recipients.auth.keys import hash_key  # noqa: E402
from recipients.auth.settings import auth_settings, client_settings  # noqa: E402
from recipients.bulk.settings import bulk_settings, queue_settings  # noqa: E402
from recipients.bulk.store import get_operation_store  # noqa: E402
from recipients.changes.checkpoint import get_checkpoint_store  # noqa: E402
from recipients.changes.settings import change_event_settings  # noqa: E402
from recipients.http.settings import idempotency_settings  # noqa: E402
from recipients.identity.store import get_recipient_store  # noqa: E402
from recipients.kernel.aws import events, s3, scheduler, sqs  # noqa: E402
from recipients.kernel.settings import table_settings  # noqa: E402
from recipients.kernel.table import get_table  # noqa: E402
from recipients.objects.store import get_object_store  # noqa: E402
from recipients.schedules.settings import scheduler_settings, timezone_settings  # noqa: E402
from recipients.schedules.store import get_schedule_store  # noqa: E402
from recipients.subscriptions.settings import cleanup_settings  # noqa: E402
from recipients.subscriptions.store import get_subscription_store  # noqa: E402
from recipients.users.store import get_user_store  # noqa: E402
from recipients.workflows.settings import run_data_settings, workflow_settings  # noqa: E402
from recipients.workflows.store import get_run_store  # noqa: E402

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
UNIT_API_KEY = "sk_test_unit"
PATH_SAFE = "!$&'()*+,;=:@"
"""Characters the knockapi SDK leaves literal in a path segment (RFC 3986); everything else is %XX."""

_KEEP = object()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test sees its own environment: settings, the stores and cached SSM values are rebuilt."""
    _clear_caches()
    yield
    _clear_caches()


def _clear_caches() -> None:
    table_settings.cache_clear()
    auth_settings.cache_clear()
    client_settings.cache_clear()
    queue_settings.cache_clear()
    bulk_settings.cache_clear()
    cleanup_settings.cache_clear()
    sqs.cache_clear()
    events.cache_clear()
    s3.cache_clear()
    scheduler.cache_clear()
    scheduler_settings.cache_clear()
    timezone_settings.cache_clear()
    workflow_settings.cache_clear()
    idempotency_settings.cache_clear()
    run_data_settings.cache_clear()
    change_event_settings.cache_clear()
    stores = (get_table, get_recipient_store, get_user_store, get_object_store, get_run_store, get_operation_store)
    for store in (*stores, get_subscription_store, get_checkpoint_store, get_schedule_store):
        store.cache_clear()
    parameters.clear_caches()


@cache
def _client(service: str) -> Any:
    """One boto3 client per service for the whole run: building one costs ~50 ms, and moto's hooks
    answer every client's requests whenever a mock is active."""
    return boto3.client(service)


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-process AWS for the duration of one test."""
    with mock_aws():
        yield


def _create_table(logical_id: str, name: str) -> str:
    """A table of template.yaml, created in moto from its Properties."""
    properties = resources_of_type("AWS::DynamoDB::Table")[logical_id]["Properties"]
    _client("dynamodb").create_table(TableName=name, **create_table_arguments(properties))
    return name


@pytest.fixture
def recipients_table(aws: None, cleanup_queues: CleanupQueues) -> str:
    """The recipients table, created from RecipientsTable's Properties in template.yaml (with the queue
    every delete of a recipient sends its subscriptions' clean-up to)."""
    return _create_table("RecipientsTable", os.environ["RECIPIENTS_TABLE_NAME"])


@dataclass(frozen=True)
class CleanupQueues:
    url: str
    dead_letter_url: str


@pytest.fixture
def cleanup_queues(aws: None, monkeypatch: pytest.MonkeyPatch) -> CleanupQueues:
    """SubscriptionCleanupQueue and its dead-letter queue, without the template's delay (tests drain at once)."""
    properties = resources_of_type("AWS::SQS::Queue")["SubscriptionCleanupQueue"]["Properties"]
    client = _client("sqs")
    dead = client.create_queue(QueueName="subscription-cleanup-dead-letter-test")["QueueUrl"]
    dead_arn = client.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": properties["RedrivePolicy"]["maxReceiveCount"]}
    url = client.create_queue(
        QueueName="subscription-cleanup-test",
        Attributes={"VisibilityTimeout": str(properties["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    monkeypatch.setenv("SUBSCRIPTION_CLEANUP_QUEUE_URL", url)
    return CleanupQueues(url=url, dead_letter_url=dead)


@pytest.fixture
def schedule_group(aws: None) -> str:
    """The stack's EventBridge Scheduler group (ScheduleGroup in template.yaml), where occurrences are armed."""
    name = os.environ["SCHEDULE_GROUP_NAME"]
    _client("scheduler").create_schedule_group(Name=name)
    return name


def armed_schedules(group: str) -> dict[str, dict[str, Any]]:
    """The one-time schedules armed in the group, by name, each as GetSchedule answers it."""
    client = _client("scheduler")
    names = [entry["Name"] for entry in client.list_schedules(GroupName=group).get("Schedules", [])]
    return {name: client.get_schedule(Name=name, GroupName=group) for name in names}


@pytest.fixture
def idempotency_table(aws: None) -> str:
    """The table of Idempotency-Key records, created from IdempotencyTable's Properties in template.yaml."""
    return _create_table("IdempotencyTable", os.environ["IDEMPOTENCY_TABLE_NAME"])


@dataclass(frozen=True)
class BulkQueues:
    url: str
    dead_letter_url: str


@pytest.fixture
def bulk_queues(aws: None, monkeypatch: pytest.MonkeyPatch) -> BulkQueues:
    """BulkQueue and its dead-letter queue, from template.yaml (redrive after BulkMaxReceiveCount)."""
    queues = resources_of_type("AWS::SQS::Queue")
    client = _client("sqs")
    dead = client.create_queue(QueueName="bulk-dead-letter-test")["QueueUrl"]
    dead_arn = client.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": parameter_defaults()["BulkMaxReceiveCount"]}
    properties = queues["BulkQueue"]["Properties"]
    url = client.create_queue(
        QueueName="bulk-test",
        Attributes={"VisibilityTimeout": str(properties["VisibilityTimeout"]), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    monkeypatch.setenv("BULK_QUEUE_URL", url)
    return BulkQueues(url=url, dead_letter_url=dead)


@dataclass(frozen=True)
class WorkflowBus:
    name: str
    queue_url: str
    fanout_url: str
    """FanoutQueue: the fan-outs of runs with objects, which tests hand to the expander."""

    def received(self) -> list[dict[str, Any]]:
        """Every event the bus delivered so far, in order: what a downstream consumer would see."""
        client = _client("sqs")
        received: list[dict[str, Any]] = []
        while True:
            messages = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(json.loads(message["Body"]))
                client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def workflow_bus(aws: None, monkeypatch: pytest.MonkeyPatch) -> WorkflowBus:
    """The workflow event bus, with a rule sending every event of the service to a queue tests read."""
    bus_client, sqs_client = _client("events"), _client("sqs")
    name = "workflows-test"
    bus_client.create_event_bus(Name=name)
    queue_url = sqs_client.create_queue(QueueName="workflow-events-test")["QueueUrl"]
    queue_arn = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus_client.put_rule(Name="all-runs", EventBusName=name, EventPattern=json.dumps({"source": ["recipients"]}))
    bus_client.put_targets(Rule="all-runs", EventBusName=name, Targets=[{"Id": "tests", "Arn": queue_arn}])
    monkeypatch.setenv("WORKFLOW_EVENT_BUS_NAME", name)
    fanout_url = sqs_client.create_queue(QueueName="fanout-test")["QueueUrl"]
    monkeypatch.setenv("FANOUT_QUEUE_URL", fanout_url)
    return WorkflowBus(name=name, queue_url=queue_url, fanout_url=fanout_url)


@pytest.fixture
def workflow_data_bucket(aws: None) -> str:
    """The bucket for run data too large for an event (WorkflowDataBucket in template.yaml)."""
    name = os.environ["WORKFLOW_DATA_BUCKET_NAME"]
    _client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def api_key_parameter(aws: None) -> str:
    """The SSM SecureString of key hashes, holding the hash of one secret key; returns that key."""
    _client("ssm").put_parameter(
        Name=os.environ["API_KEY_HASHES_PARAMETER"], Type="SecureString", Value=hash_key(UNIT_API_KEY)
    )
    return UNIT_API_KEY


UNIT_PUBLIC_KEY = "pk_test_unit"


@dataclass(frozen=True)
class UserTokens:
    """A signing key pair whose public key the API holds (SSM), and the public key whose hash it knows."""

    public_api_key: str
    private_pem: bytes
    public_pem: str

    def sign(self, sub: Any, *, expires_in: int = 3600, private_pem: bytes | None = None, **claims: Any) -> str:
        import time

        import jwt

        now = int(time.time())
        payload = {"sub": sub, "iat": now, "exp": now + expires_in, **claims}
        return jwt.encode({k: v for k, v in payload.items() if v is not None}, private_pem or self.private_pem, "RS256")

    def headers(self, token: str | None) -> dict[str, str | None]:
        """The headers of a request made with the public key and `token` (None: no user token)."""
        return {"authorization": f"Bearer {self.public_api_key}", "x-knock-user-token": token}


def new_rsa_key_pair() -> tuple[bytes, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


@cache
def _unit_key_pair() -> tuple[bytes, str]:
    return new_rsa_key_pair()  # 2048-bit keys take a moment to make: one per test process


@pytest.fixture
def user_tokens(api_key_parameter: str) -> UserTokens:
    """The secret and the public key's hashes, and the signing public key, in SSM; a way to sign tokens."""
    private, public = _unit_key_pair()
    ssm = _client("ssm")
    ssm.put_parameter(
        Name=os.environ["API_KEY_HASHES_PARAMETER"],
        Type="SecureString",
        Value=f"{hash_key(api_key_parameter)}\n{hash_key(UNIT_PUBLIC_KEY)}",
        Overwrite=True,
    )
    ssm.put_parameter(Name=os.environ["SIGNING_PUBLIC_KEYS_PARAMETER"], Type="String", Value=public, Overwrite=True)
    return UserTokens(UNIT_PUBLIC_KEY, private, public)


@dataclass
class FakeLambdaContext:
    function_name: str = "recipients-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:recipients-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


EventLoader = Callable[..., dict[str, Any]]


def _load_event(
    name: str,
    *,
    body: Any = _KEEP,
    path: dict[str, str] | str | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str | None] | None = None,
    method: str | None = None,
) -> dict[str, Any]:
    """events/<name>.json, with variants derived the way API Gateway would build them.

    body: a dict or list is sent as JSON, a str as is (so '[', 'null' and '"x"' are possible).
    path: {"user_id": "x#y"} fills the route's template, percent-encoding each value like the SDK;
          a str replaces the raw path as given (already encoded).
    query: {"page_size": "5", "include[]": ["a", "b"]} rewrites the query string and its parameters.
    headers: merged in (lower-case names); a None value removes that header.
    Like API Gateway and the knockapi SDK, each call gets its own request id and Idempotency-Key.
    """
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    if "idempotency-key" in event["headers"]:
        event["headers"]["idempotency-key"] = f"stainless-python-retry-{uuid.uuid4()}"
    if body is not _KEEP:
        event["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        event["isBase64Encoded"] = False
        if "content-length" in event.get("headers", {}):
            event["headers"]["content-length"] = str(len(event["body"].encode("utf-8", "surrogatepass")))
    if method is not None:
        event["requestContext"]["http"]["method"] = method.upper()
    if isinstance(path, str):
        _set_raw_path(event, path)
        _set_path_parameters_from_raw_path(event)
    elif path is not None:
        template = event["routeKey"].split(" ", 1)[1]
        raw_path = template
        for key, value in path.items():
            raw_path = raw_path.replace("{" + key + "}", quote(value, safe=PATH_SAFE))
        _set_raw_path(event, raw_path)
        event["pathParameters"] = {**event.get("pathParameters", {}), **path}
    if query is not None:
        pairs = [
            (key, item) for key, value in query.items() for item in (value if isinstance(value, list) else [value])
        ]
        event["rawQueryString"] = urlencode(pairs)
        event.pop("queryStringParameters", None)
        if query:
            event["queryStringParameters"] = {
                key: ",".join(value) if isinstance(value, list) else value for key, value in query.items()
            }
    for key, value in (headers or {}).items():
        if value is None:
            event["headers"].pop(key.lower(), None)
        else:
            event["headers"][key.lower()] = value
    return event


def _set_path_parameters_from_raw_path(event: dict[str, Any]) -> None:
    """pathParameters as API Gateway fills them: matched on the route, percent-decoded (invalid UTF-8
    bytes kept as surrogate escapes)."""
    template = event["routeKey"].partition(" ")[2]
    names = re.findall(r"\{([^}/]+)\}", template)
    event.pop("pathParameters", None)
    if not names:
        return
    pattern = re.sub(r"\\\{[^}/]+\\\}", "([^/]+)", re.escape(template))
    match = re.fullmatch(pattern, event["rawPath"])
    if match:
        event["pathParameters"] = {
            name: unquote(value, errors="surrogateescape") for name, value in zip(names, match.groups(), strict=True)
        }


def _set_raw_path(event: dict[str, Any], raw_path: str) -> None:
    event["rawPath"] = raw_path
    event["requestContext"]["http"]["path"] = raw_path
    if "routeArn" in event:
        api_and_stage = event["routeArn"].split("/", 2)[:2]
        event["routeArn"] = "/".join([*api_and_stage, event["requestContext"]["http"]["method"] + raw_path])


@pytest.fixture
def load_event() -> EventLoader:
    return _load_event


AUTHORIZER_EVENTS = frozenset({"authorizer"})
"""The samples that are authorizer requests rather than HTTP API or SQS events."""


def function_for_event(name: str) -> str:
    """The logical id of the function events/<name>.json is for.

    An HTTP sample is for its route's function, the authorizer sample for the API's authorizer, and
    any other <folder>[_<variant>] for the function whose CodeUri is functions/<folder>/.
    """
    api = http_api()
    if name in AUTHORIZER_EVENTS and api.authorizer is not None:
        return api.authorizer.function
    event = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if "routeKey" in event:
        return next(route.function for route in api.routes if route.route_key == event["routeKey"])
    functions = resources_of_type("AWS::Serverless::Function")
    folders = {Path(spec["Properties"]["CodeUri"]).name: logical_id for logical_id, spec in functions.items()}
    matching = [folder for folder in folders if name == folder or name.startswith(f"{folder}_")]
    return folders[max(matching, key=len)]


def function_handler(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
    """The handler template.yaml gives a function (its CodeUri and Handler), imported as Lambda would."""
    module, attribute = handler_location(resources_of_type("AWS::Serverless::Function")[logical_id]["Properties"])
    return cast(Callable[[dict[str, Any], Any], Any], getattr(importlib.import_module(module), attribute))
