"""The API's routes, for answering requests no route matches: 405 on a known path, a 404 `not_implemented`
on a route of Knock's this service does not serve, else a 404.

A test checks this table against the HttpApi events in template.yaml, so it cannot drift.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from recipients.http.app import error_response
from recipients.kernel.errors import ErrorKind, RecipientsError
from recipients.kernel.observability import metrics

API_ROUTES: dict[str, frozenset[str]] = {
    "/v1/users": frozenset({"GET"}),
    "/v1/users/{user_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/users/bulk/identify": frozenset({"POST"}),
    "/v1/users/bulk/delete": frozenset({"POST"}),
    "/v1/users/{user_id}/merge": frozenset({"POST"}),
    "/v1/users/bulk/preferences": frozenset({"POST"}),
    "/v1/users/{user_id}/channel_data/{channel_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/objects/{collection}/{object_id}/channel_data/{channel_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/users/{user_id}/preferences": frozenset({"GET"}),
    "/v1/users/{user_id}/preferences/{set_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/users/{user_id}/preferences/{set_id}/channel_types": frozenset({"PUT"}),
    "/v1/users/{user_id}/preferences/{set_id}/channel_types/{channel_type}": frozenset({"PUT"}),
    "/v1/users/{user_id}/preferences/{set_id}/workflows": frozenset({"PUT"}),
    "/v1/users/{user_id}/preferences/{set_id}/workflows/{key}": frozenset({"PUT"}),
    "/v1/users/{user_id}/preferences/{set_id}/categories": frozenset({"PUT"}),
    "/v1/users/{user_id}/preferences/{set_id}/categories/{key}": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences": frozenset({"GET"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/channel_types": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/channel_types/{channel_type}": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/workflows": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/workflows/{key}": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/categories": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/preferences/{set_id}/categories/{key}": frozenset({"PUT"}),
    "/v1/objects/{collection}/{object_id}/subscriptions": frozenset({"GET", "POST", "DELETE"}),
    "/v1/users/{user_id}/subscriptions": frozenset({"GET"}),
    "/v1/tenants": frozenset({"GET"}),
    "/v1/tenants/bulk/set": frozenset({"POST"}),
    "/v1/tenants/bulk/delete": frozenset({"POST"}),
    "/v1/tenants/{tenant_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/audiences/{key}/members": frozenset({"GET", "POST", "DELETE"}),
    "/v1/schedules": frozenset({"GET", "POST", "PUT", "DELETE"}),
    "/v1/schedules/bulk/create": frozenset({"POST"}),
    "/v1/users/{user_id}/schedules": frozenset({"GET"}),
    "/v1/objects/{collection}/{object_id}/schedules": frozenset({"GET"}),
    "/v1/bulk_operations/{operation_id}": frozenset({"GET"}),
    "/v1/workflows/{workflow_key}/trigger": frozenset({"POST"}),
    "/v1/workflows/{workflow_key}/cancel": frozenset({"POST"}),
    "/v1/objects/{collection}": frozenset({"GET"}),
    "/v1/objects/{collection}/{object_id}": frozenset({"GET", "PUT", "DELETE"}),
    "/v1/objects/{collection}/bulk/set": frozenset({"POST"}),
    "/v1/objects/{collection}/bulk/delete": frozenset({"POST"}),
    "/v1/objects/{collection}/bulk/subscriptions/add": frozenset({"POST"}),
    "/v1/objects/{collection}/bulk/subscriptions/delete": frozenset({"POST"}),
    "/openapi.json": frozenset({"GET"}),
    "/docs": frozenset({"GET"}),
    "/": frozenset({"GET"}),
    "/console": frozenset({"GET"}),
    "/console/{asset}": frozenset({"GET"}),
}

_SEGMENT = "[^/]+"
_UNSERVED = re.compile(
    "^/v1/(?:"
    + "|".join(
        [
            "messages",
            "providers",
            "integrations",
            "workflow_recipient_runs",
            "channels",
            f"users/{_SEGMENT}/(?:feeds|guides|messages|preference_center)",
            f"objects/{_SEGMENT}/{_SEGMENT}/messages",
        ]
    )
    + ")(?:/.*)?$"
)
"""Knock's routes this service does not serve (messages, feeds, guides, providers...): a 404
coded `not_implemented`, so a client tells "not served here" from "no such user". Not a 5xx: Knock's
SDKs retry those."""

_TEMPLATES = [(path.split("/"), methods) for path, methods in API_ROUTES.items()]
"""Each route split at its slashes. Compared segment by segment, without a regular expression per
route: compiling 50 of them cost this function a third of its own import."""


def _matches(template: list[str], segments: list[str]) -> bool:
    """A `{parameter}` takes any segment but an empty one; any other part only itself."""
    if len(template) != len(segments):
        return False
    pairs = zip(template, segments, strict=True)
    return all(given == part or (part.startswith("{") and given != "") for part, given in pairs)


def allowed_methods(path: str) -> frozenset[str]:
    segments = path.split("/")
    for template, methods in _TEMPLATES:
        if _matches(template, segments):
            return methods
    return frozenset()


def unrouted_response(method: str, path: str) -> Response[Any]:
    methods = allowed_methods(path)
    metrics.add_metric(name="UnroutedRequests", unit=MetricUnit.Count, value=1)
    if not methods and _UNSERVED.match(path):
        message = (
            f"{method} {path} is part of Knock's API that this service does not implement: it serves users, "
            "objects, tenants, channel data, preferences, subscriptions, audiences, schedules, bulk operations "
            "and workflow triggers (see /docs)"
        )
        return error_response(RecipientsError(ErrorKind.NOT_FOUND, "not_implemented", message))
    if not methods:
        return error_response(RecipientsError.not_found("route", f"{method} {path}"))
    error = RecipientsError(
        ErrorKind.METHOD_NOT_ALLOWED,
        "method_not_allowed",
        f"{method} is not allowed here; use {', '.join(sorted(methods))}",
    )
    response = error_response(error)
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response
