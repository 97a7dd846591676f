"""The Idempotency-Key header: a request repeated with the same key within 24 h is answered from the first.

Powertools idempotency keeps one record per `<operation>#<md5 of the key>` in the idempotency table.
The record is taken only after the request passed validation, so bad input still writes nothing,
and it is dropped when the work raises, so only successes are replayed. Powertools idempotency (and
boto3 with it) is imported by the first request that carries a key.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from recipients.http.app import json_response
from recipients.http.settings import idempotency_settings
from recipients.kernel import jsontext
from recipients.kernel.aws import dynamodb
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

WINDOW_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255
MAX_KEPT_ANSWER_BYTES = 350_000
"""Larger answers than this (a DynamoDB item holds 400 KB) are kept aside, in parts (see `_keep_aside`)."""
ASIDE_PART_BYTES = 350_000
ASIDE_GRACE_SECONDS = 60 * 60
"""Parts outlive their record, so a record still valid never finds its parts gone."""

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=(
            "Up to 255 characters. A repeat with the same key and body within 24 h returns the first answer "
            "(with `idempotent-replayed: true`); a different body with the same key is refused with 422."
        ),
    ),
]
"""The header as a route parameter: validated and documented by the resolver, used by `run_once`."""


class Answer(NamedTuple):
    body: str
    replayed_from: str | None = None
    """The request id of the first request, when this answer is a replay."""

    def headers(self) -> dict[str, str] | None:
        if self.replayed_from is None:
            return None
        return {"idempotent-replayed": "true", "original-x-request-id": self.replayed_from}


class _NotKept(Exception):
    """Raised after the work when its answer could not be kept aside, so that Powertools drops the record."""


def run_once(
    operation: str,
    key: str | None,
    request: dict[str, Any],
    work: Callable[[], str],
    *,
    request_id: str,
    context: LambdaContext | None,
) -> Answer:
    """`work()` (which returns the JSON body) once per key; a repeat of `request` gets the first body back.

    `request` holds the validated request (path values and body models): a repeat must match it exactly.
    """
    if key is None:
        return Answer(work())
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    def replay(response: dict[str, Any], idempotent_data: DataRecord) -> dict[str, Any]:
        metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
        logger.info("idempotent replay", extra={"operation": operation, "original_request_id": response["request_id"]})
        return {**response, "replayed": True}

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=WINDOW_SECONDS,
        lambda_context=context,
        response_hook=replay,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=idempotency_settings().idempotency_table_name, boto3_client=dynamodb()
    )

    finished: list[dict[str, Any]] = []

    def first_time(guarded: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"body": work(), "request_id": request_id}
        finished.append(answer)
        if len(json.dumps(answer)) > MAX_KEPT_ANSWER_BYTES:  # as Powertools will store it: ASCII, escaped
            return {"aside": _keep_aside(answer["body"]), "request_id": request_id}
        return answer

    once: Callable[..., dict[str, Any]] = idempotent_function(
        first_time, data_keyword_argument="guarded", persistence_store=persistence, config=config, key_prefix=operation
    )
    try:
        outcome = once(guarded={"key": key, "request": fingerprint(request)})
    except _NotKept:
        return Answer(finished[0]["body"])
    except IdempotencyValidationError:
        raise RecipientsError(
            ErrorKind.INVALID,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request in the last 24 hours: use a new key",
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise RecipientsError(
            ErrorKind.CONFLICT,
            "idempotency_key_in_progress",
            "a request with this Idempotency-Key is still being processed: retry shortly",
        ) from None
    except IdempotencyPersistenceLayerError as error:
        logger.warning("idempotency store unavailable", extra={"operation": operation, "error": str(error)})
        if finished:  # the work is done and its answer is right; only keeping it for repeats failed
            return Answer(finished[0]["body"])
        raise RecipientsError.unavailable("the idempotency store is unavailable: retry shortly") from None
    replayed_from = outcome["request_id"] if outcome.get("replayed") else None
    if "aside" in outcome:
        body = finished[0]["body"] if finished else _taken_aside(outcome["aside"])
        return Answer(body, replayed_from)
    return Answer(outcome["body"], replayed_from)


def _keep_aside(body: str) -> dict[str, Any]:
    """Store a large answer in parts beside the records (items `answer#<token>#<n>`); what the record keeps.

    If it cannot be stored, raises _NotKept: the answer is still given, and a repeat does the work again.
    """
    data = body.encode()
    token = uuid.uuid4().hex
    expiration = {"N": str(int(time.time()) + WINDOW_SECONDS + ASIDE_GRACE_SECONDS)}
    client = dynamodb()
    table = idempotency_settings().idempotency_table_name
    parts = range(0, len(data), ASIDE_PART_BYTES)
    try:
        for number, start in enumerate(parts):
            part = data[start : start + ASIDE_PART_BYTES]
            item: dict[str, Any] = {
                "id": {"S": f"answer#{token}#{number}"},
                "part": {"B": part},
                "expiration": expiration,
            }
            client.put_item(TableName=table, Item=item)
    except client.exceptions.ClientError as exc:
        logger.warning("a large answer could not be kept", extra={"error": exc.response.get("Error", {}).get("Code")})
        raise _NotKept from exc
    return {"token": token, "parts": len(parts)}


def _taken_aside(aside: dict[str, Any]) -> str:
    """The answer `_keep_aside` stored."""
    client = dynamodb()
    table = idempotency_settings().idempotency_table_name
    data = b""
    for number in range(int(aside["parts"])):
        key = {"id": {"S": f"answer#{aside['token']}#{number}"}}
        try:
            item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        except client.exceptions.ClientError as exc:
            raise RecipientsError.unavailable("the idempotency store is unavailable: retry shortly") from exc
        if item is None:
            logger.error("a kept answer is missing a part", extra={"part": number})
            raise RecipientsError.unavailable("the first answer to this Idempotency-Key cannot be read: retry shortly")
        data += item["part"]["B"]
    return data.decode()


def idempotent_json_response(
    app: APIGatewayHttpResolver, operation: str, key: str | None, request: dict[str, Any], work: Callable[[], str]
) -> Response[Any]:
    """A 200 answer whose JSON body `work()` makes once per Idempotency-Key; repeats replay it."""
    request_id = app.current_event.request_context.request_id
    answer = run_once(operation, key, request, work, request_id=request_id, context=app.lambda_context)
    return json_response(200, answer.body, answer.headers())


def fingerprint(request: dict[str, Any]) -> str:
    """The request as canonical JSON text: keys sorted, numbers exact, fields left out kept apart from nulls.

    Built without recursion: a body may nest as deeply as the JSON parser allows (trigger `data` has no
    depth limit), and a recursive copy would overflow the stack long before that.
    """
    root: list[Any] = [None]
    pending: list[tuple[Any, Any, Any]] = [(request, root, 0)]  # (value, where its copy goes, under which key)
    while pending:
        value, parent, slot = pending.pop()
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_unset=True)
        if isinstance(value, dict):
            parent[slot] = copy = dict.fromkeys(sorted(value))
            pending.extend((value[key], copy, key) for key in copy)
        elif isinstance(value, list | tuple):
            parent[slot] = items = [None] * len(value)
            pending.extend((item, items, index) for index, item in enumerate(value))
        else:
            parent[slot] = value
    return jsontext.dumps(root[0])
