"""The AWS side of local development: moto server, the template's resources, and the functions.

`Emulator.start()` starts moto in server mode, points this process's boto3 at it, creates every
resource `template.yaml` declares and can then invoke any function of the template the way Lambda
would: the function's own environment, its real handler, a Lambda-like context, and Lambda's
invocation payload limits. An event over MAX_REQUEST_PAYLOAD_BYTES (compact JSON, UTF-8) raises
RequestTooLarge without running the handler; a result over MAX_RESPONSE_PAYLOAD_BYTES, measured as the
function's Runtime serializes it (awslambdaric escapes non-ASCII up to python3.11, not from
python3.12), raises ResponseTooLarge after it ran.

Nothing here imports `recipients` or a function module before the AWS environment is set, because
`recipients.kernel.aws` creates its boto3 clients on first use.

moto's UpdateExpression parser recurses about six frames per SET action, so under Python's default
recursion limit (1,000) moto server fails an UpdateItem of 157 actions with a 500, and one identify
may send 255. `start_moto()` first calls `allow_long_update_expressions()`, which raises the limit and
the stack size of the threads started afterwards (moto server's request threads among them); the
unit tests' in-process moto gets the same from tests/conftest.py. The functions share the limit,
which does not change what they parse: Python 3.13's JSON parser stops at its own depth (about
10,000 levels), here as on Lambda. A moto server of your own (`RECIPIENTS_MOTO_URL`) keeps its own limits.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import boto3
from moto.server import ThreadedMotoServer

from local.console import function_running
from local.signing import signing_public_key
from local.template import (
    create_table_arguments,
    handler_location,
    load_template,
    parameter_defaults,
    resources_of_type,
)

STACK_NAME = "recipients-local"
ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"
DEFAULT_API_KEY = "sk_test_local"
DEFAULT_PUBLIC_API_KEY = "pk_test_local"
SIGNING_KEYS_PARAMETER = "SigningPublicKeysParameterName"
FUNCTION_TYPE = "AWS::Serverless::Function"
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
KEY_HASHES_PARAMETER = "ApiKeyHashesParameterName"
RECURSION_LIMIT = 5_000
"""Covers the longest UpdateExpression DynamoDB accepts (4 KB: at most about 680 SET actions; moto
server then takes 823)."""
THREAD_STACK_BYTES = 16 * 1024 * 1024
"""Room for RECURSION_LIMIT frames in any thread (macOS gives threads 512 KiB, musl 128 KiB)."""
# Lambda quotas: invocation payload (request and response) 6 MB synchronous. The response may hold
# 100 bytes more than the request. Lambda's SQS event source cuts its batches at the request limit.
MAX_REQUEST_PAYLOAD_BYTES = 6_291_456
MAX_RESPONSE_PAYLOAD_BYTES = 6_291_556

Handler = Callable[[dict[str, Any], Any], Any]


class Invoker(Protocol):
    """Runs a function of the template (the emulator; anything that behaves like Lambda's Invoke)."""

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any: ...


class PayloadTooLarge(Exception):
    """An invocation payload over Lambda's limit; the message says which, and by how much."""

    def __init__(self, function_name: str, payload: str, size: int, limit: int) -> None:
        super().__init__(
            f"{function_name}: the {payload} payload is {size:,} bytes, {size - limit:,} over Lambda's "
            f"limit of {limit:,} for a synchronous invocation"
        )
        self.size = size
        self.limit = limit


class RequestTooLarge(PayloadTooLarge):
    """Lambda's RequestEntityTooLargeException: the function did not run."""


class ResponseTooLarge(PayloadTooLarge):
    """Lambda's Function.ResponseSizeTooLarge: the function ran, but its result is lost."""


def request_payload_bytes(event: Any) -> int:
    """An event's size as Lambda counts it: the JSON API Gateway or SQS sends, compact and UTF-8."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def response_payload_bytes(result: Any, runtime: str) -> int:
    """A result's size as the Lambda runtime `runtime` (python3.X) serializes it: json.dumps's default
    separators, non-ASCII escaped up to python3.11. Values JSON has no type for count as their str()."""
    escape = _python_version(runtime) < (3, 12)
    return len(json.dumps(result, ensure_ascii=escape, default=str).encode("utf-8", "surrogatepass"))


def _python_version(runtime: str) -> tuple[int, ...]:
    major, dot, minor = runtime.removeprefix("python").partition(".")
    if not (runtime.startswith("python") and dot and major.isdigit() and minor.isdigit()):
        raise ValueError(f"Runtime {runtime!r} is not a Python runtime (python3.X)")
    return int(major), int(minor)


def dev_api_key() -> str:
    return os.environ.get("RECIPIENTS_API_KEY") or DEFAULT_API_KEY


def dev_public_api_key() -> str:
    return os.environ.get("RECIPIENTS_PUBLIC_API_KEY") or DEFAULT_PUBLIC_API_KEY


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def configure_aws_environment(endpoint_url: str) -> None:
    """Point every boto3 client this process creates from now on at the emulator."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    chosen = region()
    os.environ.setdefault("AWS_DEFAULT_REGION", chosen)
    os.environ.setdefault("AWS_REGION", chosen)


def allow_long_update_expressions() -> None:
    """Let moto parse any UpdateExpression DynamoDB accepts: call before starting threads that use moto."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    threading.stack_size(max(threading.stack_size(), THREAD_STACK_BYTES))


def start_moto(port: int) -> tuple[ThreadedMotoServer, str]:
    """moto in server mode on 127.0.0.1 (port 0: any free port); returns the server and its URL."""
    if port:
        _ensure_port_free(port)
    allow_long_update_expressions()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, actual_port = server.get_host_and_port()
    return server, f"http://{host}:{actual_port}"


def _ensure_port_free(port: int) -> None:
    # ThreadedMotoServer.start() waits forever when its thread cannot bind: fail clearly instead.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RuntimeError(f"cannot start moto server on 127.0.0.1:{port}: {exc.strerror}") from exc


@dataclass
class LocalResources:
    """The template's resources as created locally: physical names, ARNs and intrinsic resolution.

    Parameters take their defaults unless `parameter_overrides` names them (as `sam deploy
    --parameter-overrides` would).
    """

    template: dict[str, Any]
    queue_urls: dict[str, str] = field(default_factory=dict)
    parameter_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def types(self) -> dict[str, str]:
        return {name: spec["Type"] for name, spec in self.template["Resources"].items()}

    def physical_name(self, logical_id: str) -> str:
        if self.types.get(logical_id) == FUNCTION_TYPE:
            return logical_id
        spec = self.template["Resources"][logical_id]
        if spec["Type"] == LOG_GROUP_TYPE and "LogGroupName" in spec.get("Properties", {}):
            return _to_text(self.resolve(spec["Properties"]["LogGroupName"]))  # nothing creates log groups locally
        fifo = spec["Type"] == "AWS::SQS::Queue" and _is_true(spec.get("Properties", {}).get("FifoQueue"))
        name = f"{STACK_NAME}-{logical_id}" + (".fifo" if fifo else "")
        return name.lower() if spec["Type"] == "AWS::S3::Bucket" else name  # bucket names are lower-case

    def arn(self, logical_id: str) -> str:
        name, kind, where = self.physical_name(logical_id), self.types[logical_id], f"{region()}:{ACCOUNT_ID}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{where}:table/{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{where}:{name}"
        if kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{where}:event-bus/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind == FUNCTION_TYPE:
            return f"arn:aws:lambda:{where}:function:{name}"
        service = kind.split("::")[1].lower()
        return f"arn:aws:{service}:{where}:{name}"

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": region(),
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": STACK_NAME,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        parameters = {**parameter_defaults(self.template), **self.parameter_overrides}
        if name in parameters:
            return _to_text(parameters[name])
        if name in self.queue_urls:  # CloudFormation's Ref of a queue is its URL
            return self.queue_urls[name]
        if name in self.types:
            return self.physical_name(name)
        raise ValueError(f"!Ref {name}: no such parameter or resource in template.yaml")

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("Name", "QueueName", "TableName", "BucketName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.queue_urls[logical_id]
        raise ValueError(f"!GetAtt {logical_id}.{attribute} is not supported locally")

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, Fn::GetAtt, Fn::Sub and Fn::Join anywhere inside `value`."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.get_att(argument[0], argument[1])
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                return str(argument[0]).join(_to_text(self.resolve(part)) for part in argument[1])
            if key.startswith("Fn::"):
                raise ValueError(f"{key} is not supported locally")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def replace(name: str) -> str:
            if name in variables:
                return _to_text(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        parts = text.split("${")
        rendered = parts[0]
        for part in parts[1:]:
            name, _, rest = part.partition("}")
            rendered += replace(name) + rest
        return rendered


def _is_true(value: Any) -> bool:
    return str(value).lower() == "true"


def _to_text(value: Any) -> str:
    """A value as CloudFormation hands it to an environment variable or attribute."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def create_resources(
    resources: LocalResources,
    api_key: str,
    public_api_key: str = DEFAULT_PUBLIC_API_KEY,
    signing_keys: str | None = None,
) -> None:
    """Create every table, queue, event bus and bucket of the template, the SSM key-hash parameter and
    the user tokens' signing keys.

    Whatever exists already is reused as it is, data included: several emulators (`make run`, then
    `make invoke` runs) can share one moto server (`RECIPIENTS_MOTO_URL`).
    """
    template = resources.template
    for logical_id, spec in resources_of_type("AWS::DynamoDB::Table", template).items():
        _create_table(resources, logical_id, resources.resolve(spec.get("Properties", {})))
    create_queues(resources)
    events = boto3.client("events")
    for logical_id in resources_of_type("AWS::Events::EventBus", template):
        with suppress(events.exceptions.ResourceAlreadyExistsException):
            events.create_event_bus(Name=resources.physical_name(logical_id))
    s3 = boto3.client("s3")
    for logical_id in resources_of_type("AWS::S3::Bucket", template):
        with suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=resources.physical_name(logical_id))
    _put_key_hashes(template, api_key, public_api_key)
    name = parameter_defaults(template).get(SIGNING_KEYS_PARAMETER)
    if name and signing_keys is not None:
        boto3.client("ssm").put_parameter(Name=name, Type="String", Value=signing_keys, Overwrite=True)


def _create_table(resources: LocalResources, logical_id: str, properties: dict[str, Any]) -> None:
    client = boto3.client("dynamodb")
    with suppress(client.exceptions.ResourceInUseException):  # the table exists
        client.create_table(TableName=resources.physical_name(logical_id), **create_table_arguments(properties))


def create_queues(resources: LocalResources) -> None:
    """Create every queue of the template, dead-letter queues first (moto checks a redrive target exists)."""
    queues = resources_of_type("AWS::SQS::Queue", resources.template)
    for logical_id in sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {})):
        _create_queue(resources, logical_id, resources.resolve(queues[logical_id].get("Properties", {})))


def _create_queue(resources: LocalResources, logical_id: str, properties: dict[str, Any]) -> None:
    # CloudFormation's queue properties are SQS attribute names
    attributes: dict[Any, str] = {
        key: _to_text(value) for key, value in properties.items() if key not in ("QueueName", "Tags")
    }
    client, name = boto3.client("sqs"), resources.physical_name(logical_id)
    try:
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except client.exceptions.QueueNameExists:  # the queue exists, with other attributes
        url = client.get_queue_url(QueueName=name)["QueueUrl"]
    resources.queue_urls[logical_id] = url


def _put_key_hashes(template: dict[str, Any], *api_keys: str) -> None:
    """Add the keys' hashes to the parameter, keeping those of the other emulators sharing the moto server."""
    from recipients.auth.keys import hash_key, parse_key_hashes  # only after configure_aws_environment()

    name = parameter_defaults(template).get(KEY_HASHES_PARAMETER)
    if not name:
        return
    client = boto3.client("ssm")
    try:
        stored = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except client.exceptions.ParameterNotFound:
        stored = ""
    hashes = parse_key_hashes(stored) | {hash_key(key) for key in api_keys}
    client.put_parameter(Name=name, Type="SecureString", Value="\n".join(sorted(hashes)), Overwrite=True)


@dataclass(frozen=True)
class Function:
    """One AWS::Serverless::Function: where its handler lives and the environment it runs with."""

    name: str
    module: str
    attribute: str
    environment: dict[str, str]
    memory_mb: int
    timeout_seconds: int
    arn: str
    log_group: str
    runtime: str


def functions_of(resources: LocalResources) -> dict[str, Function]:
    template = resources.template
    defaults = template.get("Globals", {}).get("Function", {})
    found = {}
    for name, spec in resources_of_type(FUNCTION_TYPE, template).items():
        properties = {**defaults, **spec.get("Properties", {})}
        variables = {
            **(defaults.get("Environment") or {}).get("Variables", {}),
            **(spec.get("Properties", {}).get("Environment") or {}).get("Variables", {}),
        }
        environment = {key: _to_text(resources.resolve(value)) for key, value in variables.items()}
        environment.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Recipients")
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
        environment["AWS_LAMBDA_FUNCTION_NAME"] = name
        environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(properties.get("MemorySize", 128))
        # SAM merges a function's LoggingConfig into the Globals' key by key
        logging_config = resources.resolve(
            {**(defaults.get("LoggingConfig") or {}), **(spec.get("Properties", {}).get("LoggingConfig") or {})}
        )
        environment.update(lambda_logging_variables(logging_config))
        module, attribute = handler_location(properties)
        found[name] = Function(
            name=name,
            module=module,
            attribute=attribute,
            environment=environment,
            memory_mb=int(properties.get("MemorySize", 128)),
            timeout_seconds=int(properties.get("Timeout", 3)),
            arn=resources.arn(name),
            log_group=_to_text(logging_config.get("LogGroup") or f"/aws/lambda/{name}"),
            runtime=str(properties.get("Runtime", "")),
        )
    return found


def lambda_logging_variables(logging_config: dict[str, Any]) -> dict[str, str]:
    """What Lambda sets from a function's LoggingConfig: with the JSON log format, the format and the
    application log level (INFO unless configured), which Powertools' Logger obeys before its own."""
    if str(logging_config.get("LogFormat", "Text")) != "JSON":
        return {}
    level = str(logging_config.get("ApplicationLogLevel") or "INFO")
    return {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": level}


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class Emulator:
    """moto server plus the template's resources and functions. One invocation runs at a time."""

    def __init__(
        self,
        moto: ThreadedMotoServer | None,
        endpoint_url: str,
        resources: LocalResources,
        api_key: str,
        public_api_key: str = DEFAULT_PUBLIC_API_KEY,
        signing_private_key: Path | None = None,
    ) -> None:
        self.moto = moto
        self.endpoint_url = endpoint_url
        self.resources = resources
        self.api_key = api_key
        self.public_api_key = public_api_key
        self.signing_private_key = signing_private_key
        self.functions = functions_of(resources)
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    @classmethod
    def start(cls, moto_port: int | None = None, api_key: str | None = None) -> Emulator:
        """Start moto server in this process, or use the one at `RECIPIENTS_MOTO_URL` (left running on stop)."""
        external = os.environ.get("RECIPIENTS_MOTO_URL")
        moto: ThreadedMotoServer | None = None
        if external:
            endpoint_url = external.rstrip("/")
        else:
            port = int(os.environ.get("MOTO_PORT") or 0) if moto_port is None else moto_port
            moto, endpoint_url = start_moto(port)
        try:
            _check_not_configured_elsewhere(endpoint_url)
        except RuntimeError:
            if moto is not None:
                moto.stop()
            raise
        configure_aws_environment(endpoint_url)
        resources = LocalResources(load_template())
        key = api_key or dev_api_key()
        public_key = dev_public_api_key()
        signing_keys, private_key = signing_public_key()
        create_resources(resources, key, public_key, signing_keys)
        return cls(moto, endpoint_url, resources, key, public_key, private_key)

    def stop(self) -> None:
        if self.moto is not None:
            self.moto.stop()

    def invoke(self, function_name: str, event: dict[str, Any], request_id: str | None = None) -> Any:
        """Run the function's handler with `event`, in its environment. Handler exceptions propagate, and
        a payload over Lambda's limits raises RequestTooLarge (not run) or ResponseTooLarge (ran)."""
        function = self.functions[function_name]
        size = request_payload_bytes(event)
        if size > MAX_REQUEST_PAYLOAD_BYTES:
            raise RequestTooLarge(function.name, "request", size, MAX_REQUEST_PAYLOAD_BYTES)
        context = LambdaContext(
            function_name=function.name,
            memory_limit_in_mb=function.memory_mb,
            invoked_function_arn=function.arn,
            aws_request_id=request_id or str(uuid.uuid4()),
            deadline=time.monotonic() + function.timeout_seconds,
            log_group_name=function.log_group,
        )
        with self._lock, _environment(function.environment), function_running():
            result = self._handler(function)(event, context)
        size = response_payload_bytes(result, function.runtime)
        if size > MAX_RESPONSE_PAYLOAD_BYTES:
            raise ResponseTooLarge(function.name, "response", size, MAX_RESPONSE_PAYLOAD_BYTES)
        return result

    def _handler(self, function: Function) -> Handler:
        if function.name not in self._handlers:
            module = importlib.import_module(function.module)
            self._handlers[function.name] = getattr(module, function.attribute)
        return self._handlers[function.name]


def _check_not_configured_elsewhere(endpoint_url: str) -> None:
    """boto3 clients keep the endpoint they were made with: a second emulator in one process can't work."""
    aws = sys.modules.get("recipients.kernel.aws")
    if aws is not None and aws.dynamodb.cache_info().currsize and aws.dynamodb().meta.endpoint_url != endpoint_url:
        raise RuntimeError(
            "recipients.kernel.aws made its clients before this emulator configured AWS_ENDPOINT_URL, so they "
            "point elsewhere; start the emulator first, once per process (or run `python -m local.server`)"
        )
