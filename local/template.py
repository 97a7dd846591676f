"""Reads template.yaml: the resources to create locally and the HTTP routes to serve.

Everything the local server and the tests know about the infrastructure comes from here, so a
function or resource added to the template is picked up without editing them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads short-form intrinsics (!Ref, !GetAtt, !Sub...) as their long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@lru_cache(maxsize=4)
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


def resources_of_type(resource_type: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    resources = (template or load_template())["Resources"]
    return {name: spec for name, spec in resources.items() if spec["Type"] == resource_type}


_TABLE_ARGUMENTS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
)


def create_table_arguments(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable's arguments for the Properties of an AWS::DynamoDB::Table (the name is the caller's)."""
    arguments = {key: copy.deepcopy(properties[key]) for key in _TABLE_ARGUMENTS if key in properties}
    if "StreamSpecification" in properties:  # CloudFormation's has only the view type; CreateTable's says it is on
        arguments["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    return {"BillingMode": properties.get("BillingMode", "PROVISIONED"), **arguments}


def parameter_defaults(template: dict[str, Any] | None = None) -> dict[str, Any]:
    parameters = (template or load_template()).get("Parameters", {})
    return {name: spec.get("Default") for name, spec in parameters.items()}


def handler_location(properties: dict[str, Any]) -> tuple[str, str]:
    """`functions/identify/` + `app.lambda_handler` -> ("functions.identify.app", "lambda_handler")."""
    module, _, attribute = str(properties["Handler"]).rpartition(".")
    package = str(properties["CodeUri"]).strip("/").replace("/", ".")
    return f"{package}.{module}", attribute


@dataclass(frozen=True)
class Route:
    """One HttpApi route: `method` is upper-case or ANY; `path` is None for the $default route.

    `authorized` is False only for a route that opts out of the API's authorizer (`Auth: {Authorizer: NONE}`).
    """

    method: str
    path: str | None
    function: str
    authorized: bool = True

    @property
    def route_key(self) -> str:
        return "$default" if self.path is None else f"{self.method} {self.path}"

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self.path is None:
            return None
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Authorizer:
    function: str
    identity_headers: tuple[str, ...]
    ttl_seconds: int


@dataclass(frozen=True)
class Api:
    routes: list[Route] = field(default_factory=list)
    authorizer: Authorizer | None = None


def http_api(template: dict[str, Any] | None = None) -> Api:
    """The routes of the template's HttpApi events and the API's default Lambda authorizer."""
    template = template or load_template()
    authorizer = None
    default_name = None
    for api in resources_of_type("AWS::Serverless::HttpApi", template).values():
        auth = api.get("Properties", {}).get("Auth") or {}
        default_name = auth.get("DefaultAuthorizer")
        if default_name:
            spec = auth["Authorizers"][default_name]
            function = _resolve(spec["FunctionArn"], template)["Fn::GetAtt"][0]
            identity = spec.get("Identity") or {}
            ttl = _resolve_number(identity.get("ReauthorizeEvery", 300), template)
            authorizer = Authorizer(function, tuple(h.lower() for h in identity.get("Headers", [])), ttl)
    routes = []
    for name, event_name, props in _function_events("HttpApi", template):
        path = props.get("Path")
        method = str(props.get("Method", "ANY")).upper()
        chosen = (props.get("Auth") or {}).get("Authorizer", default_name)
        if chosen not in (default_name, "NONE"):
            raise ValueError(f"{name}.Events.{event_name}: only the API's default authorizer or NONE is served")
        authorized = chosen != "NONE"
        routes.append(Route("ANY" if path is None else method, path, name, authorized=authorized))
    return Api(routes=routes, authorizer=authorizer)


def http_api_cors(template: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The HttpApi's CorsConfiguration as it is when CORS is on (the true branch of its Fn::If), its
    AllowOrigins resolved to the parameter's default (none: `make run` sets its own)."""
    template = template or load_template()
    for api in resources_of_type("AWS::Serverless::HttpApi", template).values():
        configuration = api.get("Properties", {}).get("CorsConfiguration")
        if isinstance(configuration, dict) and "Fn::If" in configuration:
            configuration = configuration["Fn::If"][1]
        if isinstance(configuration, dict):
            origins = _resolve(configuration.get("AllowOrigins", []), template)
            if isinstance(origins, str):
                origins = [origin for origin in origins.split(",") if origin]
            return {**configuration, "AllowOrigins": origins}
    return None


@dataclass(frozen=True)
class SqsEventSource:
    """One `Type: SQS` event of a function: Lambda's event source mapping from a queue of the template.

    `queue` is the queue's logical id; `maximum_concurrency` (ScalingConfig) is informational locally.
    """

    function: str
    queue: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None
    enabled: bool = True


def sqs_event_sources(template: dict[str, Any] | None = None) -> list[SqsEventSource]:
    """Every function's SQS events, with parameter Refs resolved to their defaults."""
    template = template or load_template()
    sources = []
    for name, event_name, props in _function_events("SQS", template):
        scaling = props.get("ScalingConfig") or {}
        concurrency = scaling.get("MaximumConcurrency")
        sources.append(
            SqsEventSource(
                function=name,
                queue=_queue_logical_id(props.get("Queue"), f"{name}.Events.{event_name}", template),
                batch_size=_resolve_number(props.get("BatchSize", 10), template),
                batching_window_seconds=_resolve_number(props.get("MaximumBatchingWindowInSeconds", 0), template),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                maximum_concurrency=None if concurrency is None else _resolve_number(concurrency, template),
                enabled=str(_resolve(props.get("Enabled", True), template)).lower() != "false",
            )
        )
    return sources


@dataclass(frozen=True)
class StreamEventSource:
    """One `Type: DynamoDB` event of a function: Lambda's event source mapping from a table's stream.

    `table` is the table's logical id; `filters` the FilterCriteria patterns (parsed), any of which a
    record must match; `starting_position` TRIM_HORIZON or LATEST; `on_failure_queue` the logical id of
    the queue in `DestinationConfig.OnFailure` (`!GetAtt <queue>.Arn`), if any.
    """

    function: str
    table: str
    batch_size: int = 100
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = -1
    filters: tuple[dict[str, Any], ...] = ()
    enabled: bool = True
    on_failure_queue: str | None = None


def stream_event_sources(template: dict[str, Any] | None = None) -> list[StreamEventSource]:
    """Every function's DynamoDB stream events, with parameter Refs resolved to their defaults."""
    template = template or load_template()
    sources = []
    for name, event_name, props in _function_events("DynamoDB", template):
        filters = ((props.get("FilterCriteria") or {}).get("Filters")) or []
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        where = f"{name}.Events.{event_name}"
        sources.append(
            StreamEventSource(
                function=name,
                table=_stream_table_logical_id(props.get("Stream"), where, template),
                batch_size=_resolve_number(props.get("BatchSize", 100), template),
                batching_window_seconds=_resolve_number(props.get("MaximumBatchingWindowInSeconds", 0), template),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                starting_position=str(_resolve(props.get("StartingPosition", "TRIM_HORIZON"), template)),
                maximum_retry_attempts=_resolve_number(props.get("MaximumRetryAttempts", -1), template),
                filters=tuple(json.loads(item["Pattern"]) for item in filters),
                enabled=str(_resolve(props.get("Enabled", True), template)).lower() != "false",
                on_failure_queue=None
                if on_failure is None
                else _queue_logical_id(on_failure, where, template, "DestinationConfig.OnFailure.Destination"),
            )
        )
    return sources


def _stream_table_logical_id(stream: Any, where: str, template: dict[str, Any]) -> str:
    """The logical id in `Stream: !GetAtt <TableId>.StreamArn`, the only form that names a table of the template."""
    logical_id = _get_att_logical_id(stream, "StreamArn", "AWS::DynamoDB::Table", template)
    if logical_id is None:
        raise ValueError(
            f"{where}: Stream must be !GetAtt <table>.StreamArn of a table in the template, not {stream!r}"
        )
    return logical_id


def _function_events(event_type: str, template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(function logical id, event name, event Properties) of every function event of `event_type`."""
    for name, spec in resources_of_type("AWS::Serverless::Function", template).items():
        for event_name, event in (spec.get("Properties", {}).get("Events") or {}).items():
            if event.get("Type") == event_type:
                yield name, event_name, event.get("Properties") or {}


def _queue_logical_id(queue: Any, where: str, template: dict[str, Any], field: str = "Queue") -> str:
    """The logical id in `<field>: !GetAtt <QueueId>.Arn`, the only form that names a queue of the template."""
    logical_id = _get_att_logical_id(queue, "Arn", "AWS::SQS::Queue", template)
    if logical_id is None:
        raise ValueError(
            f"{where}: {field} must be !GetAtt <queue>.Arn of an AWS::SQS::Queue in the template, not {queue!r}"
        )
    return logical_id


def _get_att_logical_id(value: Any, attribute: str, resource_type: str, template: dict[str, Any]) -> str | None:
    """X in `!GetAtt X.<attribute>` (either spelling) when X is a `resource_type` of the template, else None."""
    get_att = value.get("Fn::GetAtt") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(get_att, str):
        get_att = get_att.split(".", 1)
    if isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == attribute:
        logical_id = str(get_att[0])
        if template["Resources"].get(logical_id, {}).get("Type") == resource_type:
            return logical_id
    return None


def _resolve(value: Any, template: dict[str, Any]) -> Any:
    """A parameter's Ref as its default; an Fn::If as its branch under the parameters' defaults
    (so SnapStart is off, as locally it always is)."""
    if isinstance(value, dict) and "Ref" in value:
        return parameter_defaults(template)[value["Ref"]]
    if isinstance(value, dict) and "Fn::If" in value:
        condition, when_true, when_false = value["Fn::If"]
        return _resolve(when_true if condition_holds(condition, template) else when_false, template)
    return value


def condition_holds(name: str, template: dict[str, Any] | None = None) -> bool:
    """A condition of the template under the parameters' defaults: `!Equals [a, b]` of literals and Refs."""
    template = template or load_template()
    condition = template["Conditions"][name]
    if list(condition) != ["Fn::Equals"]:
        raise ValueError(f"condition {name}: only Fn::Equals is supported locally")
    left, right = (_resolve(side, template) for side in condition["Fn::Equals"])
    return str(left) == str(right)


def _resolve_number(value: Any, template: dict[str, Any]) -> int:
    return int(_resolve(value, template))
