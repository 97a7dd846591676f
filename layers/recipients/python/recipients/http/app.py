"""HTTP glue shared by every API function: the resolver, the one error body, the entrypoint."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from recipients.auth.verdicts import refusal
from recipients.http.models import ErrorBody, GatewayErrorBody
from recipients.kernel import jsontext
from recipients.kernel.errors import ErrorKind, FieldError, RecipientsError, error_message, location_name
from recipients.kernel.observability import logger, metrics, traced
from recipients.kernel.rules import find_unpaired_surrogate

if TYPE_CHECKING:  # a type for mypy: importing it costs every cold start a module
    from aws_lambda_powertools.utilities.typing import LambdaContext

    Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

JSON = "application/json"

STATUS_BY_KIND = {
    ErrorKind.INVALID: 422,
    ErrorKind.MALFORMED: 400,
    ErrorKind.UNSUPPORTED_MEDIA: 415,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.METHOD_NOT_ALLOWED: 405,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.INTERNAL: 500,
}

_ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    403: "A public pk_ key (`incorrect_token_type`): this API needs a secret key",
    404: "No such user, object or bulk operation",
    409: "A concurrent change, or a request with the same Idempotency-Key, got in the way; retry",
    415: "The body is not JSON",
    422: "A field breaks a rule; `errors` names each field and why",
    503: "Throttled, or the API keys cannot be checked right now; retry with backoff",
}
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    401: {
        "description": (
            "No Authorization header (API Gateway's own `{message}` answer), or not a Bearer secret key this API "
            "knows (`authentication_required`)"
        ),
        "content": {JSON: {"model": GatewayErrorBody | ErrorBody}},
    },
    **{
        status: {"description": text, "content": {JSON: {"model": ErrorBody}}}
        for status, text in _ERROR_DESCRIPTIONS.items()
    },
}
"""OpenAPI documentation of the error answers every route can give."""


def documented(description: str, model: Any = None, status: int = 200) -> dict[int, OpenAPIResponse]:
    """A route's OpenAPI responses: its success (with the body's model or type, or no body) and the errors."""
    # Without `content`, Powertools would document the handler's return type as a JSON body.
    success: OpenAPIResponse = {"description": description, "content": {}}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    return {status: success, **ERROR_RESPONSES}


PageSize = Annotated[int, Query(ge=1, le=50, description="Entries per page, 1-50")]
AfterCursor = Annotated[str | None, Query(description="Cursor from page_info.after")]
BeforeCursor = Annotated[str | None, Query(description="Cursor from page_info.before")]
Include = Annotated[
    list[Literal["preferences"]] | None,
    Query(alias="include[]", description="`preferences`: each entry with its preference sets, by id"),
]
"""The query parameters of every list route (Knock's cursor pagination)."""

_ROOT_TYPE_ERRORS = {"model_type", "model_attributes_type", "dict_type", "missing"}


def json_response(status: int, body: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def request_base_url(app: APIGatewayHttpResolver) -> str:
    """The API's own base URL as the caller reached it (for absolute links such as progress_path)."""
    event = app.current_event
    scheme = event.headers.get("x-forwarded-proto", "https")
    return f"{scheme}://{event.request_context.domain_name}"


def error_body(error: RecipientsError) -> tuple[int, str]:
    """The status and Knock-shaped JSON body for an error (counted as ClientErrors or ServerErrors)."""
    status = STATUS_BY_KIND[error.kind]
    metrics.add_metric(name="ClientErrors" if status < 500 else "ServerErrors", unit=MetricUnit.Count, value=1)
    error_type = (
        "authentication_error" if status in (401, 403) else "api_error" if status >= 500 else "invalid_request_error"
    )
    body: dict[str, Any] = {"code": error.code, "message": error.message, "status": status, "type": error_type}
    if error.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    return status, jsontext.dumps(body)


def error_response(error: RecipientsError) -> Response[Any]:
    return json_response(*error_body(error))


def json_object_body(text: str, rows_checked_alone: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every body this API takes is a JSON object (Powertools would quietly take a list's first item)
    holding only valid Unicode: an unpaired surrogate anywhere is a 422 naming where.

    The lists named in `rows_checked_alone` (a bulk call's rows) are left to be checked row by row,
    so that one bad row never blocks the others.
    """
    value = jsontext.loads(text)
    if not isinstance(value, dict):
        raise RecipientsError.invalid_field("body", "must be a JSON object")
    checked = {key: item for key, item in value.items() if not (key in rows_checked_alone and isinstance(item, list))}
    found = find_unpaired_surrogate(checked)
    if found is not None:
        raise RecipientsError.invalid_field(found[0] or "body", found[1])
    return value


def _unsupported_body(event: dict[str, Any]) -> RecipientsError | None:
    """A body sent as anything but JSON (Powertools would parse form and multipart bodies)."""
    content_type = str((event.get("headers") or {}).get("content-type", "")).strip().lower()
    if event.get("body") and content_type and content_type.partition(";")[0].strip() != JSON:
        return _UNSUPPORTED_MEDIA
    return None


def _without_bodyless_media_type(event: dict[str, Any]) -> dict[str, Any]:
    """A request without a body has no media type to judge: its Content-Type is dropped.

    So a missing body gets the same answer whatever type the header names; Powertools would parse
    the missing body by that header (multipart without a boundary raised, so a 500).
    """
    headers = event.get("headers") or {}
    if event.get("body") or "content-type" not in headers:
        return event
    return {**event, "headers": {name: value for name, value in headers.items() if name != "content-type"}}


_UNSUPPORTED_MEDIA = RecipientsError(
    ErrorKind.UNSUPPORTED_MEDIA, "unsupported_media_type", "send the body as application/json"
)


def _field_name(location: tuple[Any, ...]) -> str:
    """('body', 'prefs', 0) -> 'prefs.0'; ('path', 'user_id') -> 'user_id'; ('body',) -> 'body'."""
    return location_name(location[1:]) or (str(location[0]) if location else "body")


def _message(error: dict[str, Any]) -> str:
    if error.get("type") in _ROOT_TYPE_ERRORS and tuple(error.get("loc", ())) == ("body",):
        return "is required: send a JSON object" if error["type"] == "missing" else "must be a JSON object"
    return error_message(error)


def translate_validation_error(errors: list[dict[str, Any]]) -> RecipientsError:
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "it cannot be parsed")
            return RecipientsError.malformed(f"the body is not valid JSON: {reason}")
    return RecipientsError.invalid([FieldError(_field_name(tuple(e.get("loc", ()))), _message(e)) for e in errors])


def make_app(rows_checked_alone: tuple[str, ...] = ()) -> APIGatewayHttpResolver:
    """The resolver of an API function; a bulk function names the body lists that hold its rows."""
    app = APIGatewayHttpResolver(
        enable_validation=True,
        serializer=jsontext.dumps,
        json_body_deserializer=partial(json_object_body, rows_checked_alone=rows_checked_alone),
    )

    @app.exception_handler(RequestValidationError)
    def _invalid(ex: RequestValidationError) -> Response[Any]:
        return error_response(translate_validation_error(list(ex.errors())))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(ex: RequestUnsupportedContentType) -> Response[Any]:
        return error_response(_UNSUPPORTED_MEDIA)

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(ex: UnicodeDecodeError) -> Response[Any]:
        return error_response(RecipientsError.malformed("the body is not valid UTF-8"))

    @app.exception_handler(RecipientsError)
    def _domain(ex: RecipientsError) -> Response[Any]:
        return error_response(ex)

    @app.not_found  # without it the catch-all below would turn a missing route into a 500
    def _no_route(ex: NotFoundError) -> Response[Any]:
        return error_response(RecipientsError.not_found("route"))

    @app.exception_handler(Exception)
    def _unexpected(ex: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(RecipientsError(ErrorKind.INTERNAL, "internal_error", "something went wrong on our side"))

    return app


_ROUTE_PARAMETER = re.compile(r"\{([^}/+]+)\}")


def canonical_raw_path(event: dict[str, Any]) -> str:
    """The request path with each path parameter percent-encoded exactly once.

    HTTP APIs hand `rawPath` over already percent-decoded, so `/v1/users/a%2Fb` arrives as
    `/v1/users/a/b` and would match no route, and `%25` would be decoded twice. The route key and
    the decoded `pathParameters` give one canonical form; route parameters decode it once.
    """
    raw_path = str(event.get("rawPath", "/"))
    route = str(event.get("routeKey", "")).partition(" ")[2]
    parameters = event.get("pathParameters") or {}
    if not route or not parameters or any(name not in parameters for name in _ROUTE_PARAMETER.findall(route)):
        return raw_path
    return _ROUTE_PARAMETER.sub(
        lambda match: quote(str(parameters[match.group(1)]), safe="", errors="surrogateescape"), route
    )


def http_entrypoint(app: APIGatewayHttpResolver, *, public: bool = False) -> Handler:
    """The Lambda handler for an API function: logging, tracing and metrics around `app.resolve`.

    Unless the authorizer's verdict allows it, the request is refused before anything else is done
    (see `recipients.auth`). `public=True` is for a function whose every route opts out of the
    authorizer in template.yaml (`Auth: Authorizer: NONE`): its events carry no verdict.
    """

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @traced
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = None if public else refusal(event)
        if refused is None:
            refused = _unsupported_body(event)
        if refused is not None:
            status, body = error_body(refused)
            result: dict[str, Any] = {"statusCode": status, "headers": {"Content-Type": JSON}, "body": body}
        else:
            result = app.resolve({**_without_bodyless_media_type(event), "rawPath": canonical_raw_path(event)}, context)
        request_id = event.get("requestContext", {}).get("requestId")
        if request_id:
            result.setdefault("headers", {})["x-request-id"] = request_id
        return result

    return cast("Handler", handler)  # the Powertools decorators are untyped
