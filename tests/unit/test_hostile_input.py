"""Hostile and malformed requests on every route of the HTTP API: a Knock-shaped 4xx, never a 5xx, nothing written.

Each case is one request as API Gateway hands it to the route's function: the route's sample from
events/ with one thing made hostile (`load_event` builds the variant), run through the function that
template.yaml routes it to, through its real `lambda_handler`, against moto. Whatever the case:

- the answer is `{code, message, status, type}` with the expected 4xx status, repeated in the body,
  and a message; a validation error (422 `invalid_params`) names the field in `errors` and the message;
- no request reached the recipients table or the idempotency table, the table is still empty,
  nothing was queued for the bulk worker, no event was put on the workflow bus and no run data was stored.

What API Gateway refuses before any function runs (a request line that is not valid HTTP, a body
over 10 MB, headers over its limits) cannot reach a function and is not here. Rows of a bulk call
that break a rule are not here either: by design they never fail the call (they are reported in the
operation's `error_items`, see tests/unit/handlers/test_bulk_pipeline.py).
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from local.template import handler_location, http_api, resources_of_type
from tests.conftest import EVENTS_DIR, EventLoader, FakeLambdaContext, armed_schedules
from tests.unit.knock import assert_knock_error, error_fields
from tests.unit.test_error_messages import PYDANTIC_WORDING

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

A_UUID = "9b2e1c7a-3f4d-4e8b-9a51-2c0d5e6f7a81"
TOO_LONG_ID = "a" * 257
DEEP = 10_000
"""Levels of nesting of the deepest body: far past any parser's recursion limit."""

CHANNEL = "7d2ef9c6-5a61-4b0c-9a7e-2f1f3c0f4b11"
LARGE_SET = {"workflows": {f"{i:04d}" + "w" * 240: True for i in range(900)}}
"""A preference set of about 220 KB."""


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@dataclass(frozen=True)
class Case:
    """One hostile request: a route's sample (events/<sample>.json), what is changed, what must come back."""

    id: str
    sample: str
    status: int
    code: str
    field_name: str | None = None
    """The field a 422 invalid_params must name."""
    variant: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for `load_event`: body, path, query, headers, method."""
    raw_body: bytes | None = None
    """Bytes that are not UTF-8: API Gateway hands them over base64-encoded."""

    def event(self, load_event: EventLoader) -> dict[str, Any]:
        event = load_event(self.sample, **self.variant)
        if self.raw_body is not None:
            event["body"] = base64.b64encode(self.raw_body).decode("ascii")
            event["isBase64Encoded"] = True
        return event

    def signature(self) -> str:
        """What makes two cases the same request."""
        raw = base64.b64encode(self.raw_body).decode() if self.raw_body is not None else None
        return json.dumps([self.sample, self.variant, raw], sort_keys=True, default=repr)


def invalid(case_id: str, sample: str, field_name: str, **variant: Any) -> Case:
    return Case(case_id, sample, 422, "invalid_params", field_name, variant)


def not_json(case_id: str, sample: str, body: str) -> Case:
    return Case(case_id, sample, 400, "invalid_json", None, {"body": body})


def not_utf8(case_id: str, sample: str, raw: bytes) -> Case:
    return Case(case_id, sample, 400, "invalid_json", None, {}, raw)


def media_type(case_id: str, sample: str, content_type: str) -> Case:
    return Case(case_id, sample, 415, "unsupported_media_type", None, {"headers": {"content-type": content_type}})


# --- the cases, route by route ------------------------------------------------------------------------

BAD_IDS: dict[str, str] = {
    "257-chars": TOO_LONG_ID,
    "hash": "a#b",
    "slash": "team/ada",
    "blank": "   ",
    "tab": "\t",
    "newline": "ada\n",
    "nul": "ada\x00",
    "escape-sequence": "\x1b[31mada",
    "del": "ada\x7f",
}
"""Ids that break a rule, sent percent-encoded in the path as the SDK encodes them."""

NOT_UTF8_SEGMENTS: dict[str, str] = {
    "ff": "%FF",
    "truncated": "ada%C3",
    "overlong-slash": "%C0%AF",
    "surrogate": "%ED%A0%80",
}
"""Raw path segments whose percent-escapes do not decode to UTF-8."""


def slug(*parts: str) -> str:
    """A readable case id prefix: ("objects_set", "object_id") -> "objects-set-object-id"."""
    return "-".join(parts).replace("_", "-")


def path_id_cases(sample: str, parameter: str, template: str, names: list[str]) -> list[Case]:
    """The id rules on one path parameter, each bad id by name, plus the raw segments that are not UTF-8."""
    cases = [
        invalid(f"{slug(sample, parameter)}-{name}", sample, parameter, path={parameter: BAD_IDS[name]})
        for name in names
    ]
    cases += [
        invalid(f"{slug(sample, parameter)}-not-utf8-{name}", sample, parameter, path=template.format(segment))
        for name, segment in NOT_UTF8_SEGMENTS.items()
    ]
    return cases


def user_cases() -> list[Case]:
    cases = path_id_cases("identify", "user_id", "/v1/users/{}", list(BAD_IDS))
    cases += path_id_cases("get", "user_id", "/v1/users/{}", ["257-chars", "hash", "slash", "blank", "nul"])
    cases += path_id_cases("delete", "user_id", "/v1/users/{}", ["257-chars", "slash", "newline", "escape-sequence"])
    cases += [
        # the path is decoded once: %2523 is the id "a%23b", not "a#b"
        invalid(
            "identify-double-encoded-id-differs-from-body-id",
            "identify",
            "id",
            path="/v1/users/a%2523b",
            body={"id": "a#b"},
        ),
        # reserved properties of the wrong type or format
        invalid("identify-email-object", "identify", "email", body={"email": {"address": "ada@example.com"}}),
        invalid(
            "identify-email-with-newline-header-injection",
            "identify",
            "email",
            body={"email": "ada@example.com\nBcc: all@example.com"},
        ),
        invalid(
            "identify-phone-number-formatted", "identify", "phone_number", body={"phone_number": "+1 (415) 555-0123"}
        ),
        invalid("identify-avatar-javascript-url", "identify", "avatar", body={"avatar": "javascript:alert(1)"}),
        invalid("identify-avatar-data-url", "identify", "avatar", body={"avatar": "data:image/png;base64,AAAA"}),
        invalid("identify-timezone-path-traversal", "identify", "timezone", body={"timezone": "../../etc/passwd"}),
        invalid("identify-timezone-trailing-space", "identify", "timezone", body={"timezone": "Europe/London "}),
        invalid("identify-locale-posix", "identify", "locale", body={"locale": "en_US.UTF-8"}),
        invalid("identify-created-at-bool", "identify", "created_at", body={"created_at": True}),
        invalid("identify-created-at-huge-number", "identify", "created_at", body={"created_at": 10**400}),
        invalid("identify-created-at-year-0", "identify", "created_at", body={"created_at": "0000-01-01T00:00:00Z"}),
        invalid("identify-name-list", "identify", "name", body={"name": ["Ada", "Lovelace"]}),
        invalid("identify-channel-data-list", "identify", "channel_data", body={"channel_data": [{"tokens": []}]}),
        invalid("identify-preferences-string", "identify", "preferences", body={"preferences": "default"}),
        # the last of duplicate keys is the one read
        invalid(
            "identify-duplicate-key-last-invalid",
            "identify",
            "email",
            body='{"email": "ada@example.com", "email": "not-an-email"}',
        ),
        # oversized
        Case(
            "identify-custom-property-5-mb",
            "identify",
            422,
            "properties_too_large",
            "properties",
            {"body": {"blob": "x" * 5_000_000}},
        ),
        invalid("identify-property-name-300-kb", "identify", "properties", body={"k" * 300_000: 1}),
        Case(
            "identify-name-500-kb",
            "identify",
            422,
            "properties_too_large",
            "properties",
            {"body": {"name": "x" * 500_000}},
        ),
        Case(
            "identify-channel-data-and-preferences-over-400-kb",
            "identify",
            422,
            "properties_too_large",
            "properties",
            {"body": {"channel_data": {CHANNEL: {"blob": "x" * 210_000}}, "preferences": {"default": LARGE_SET}}},
        ),
        invalid("identify-property-name-70-kb", "identify", "properties", body={"k" * 70_000: 1}),
        invalid(
            "identify-channel-data-key-70-kb", "identify", "channel_data", body={"channel_data": {"c" * 70_000: {}}}
        ),
        invalid("identify-251-properties", "identify", "properties", body={f"p{i}": i for i in range(251)}),
        invalid(
            "identify-custom-property-nested-101-deep",
            "identify",
            "deep",
            body='{"deep": ' + "{" + '"a":{' * 100 + "}" * 101 + "}",
        ),
        # bodies that are not JSON objects, or not JSON at all
        invalid("identify-body-json-array-of-objects", "identify", "body", body=[{"name": "Ada"}]),
        invalid("identify-body-json-string", "identify", "body", body='"Ada"'),
        invalid("identify-body-json-null", "identify", "body", body="null"),
        not_json("identify-body-nested-10000-deep", "identify", '{"a": ' + "[" * DEEP + "]" * DEEP + "}"),
        not_json("identify-body-utf8-bom", "identify", '\ufeff{"name": "Ada"}'),
        not_json("identify-body-javascript-comment", "identify", '{"name": "Ada" /* admin */}'),
        not_json("identify-number-5000-digits", "identify", '{"big": ' + "9" * 5000 + "}"),
        not_json("identify-infinity", "identify", '{"score": Infinity}'),
        not_utf8("identify-body-utf16", "identify", '{"name": "Ada"}'.encode("utf-16")),
        media_type("identify-content-type-form", "identify", "application/x-www-form-urlencoded"),
        media_type("identify-content-type-xml", "identify", "application/xml"),
        media_type("identify-content-type-jsonp", "identify", "application/jsonp"),
        media_type("identify-content-type-json-seq", "identify", "application/json-seq"),
        # headers
        invalid(
            "identify-idempotency-key-256-chars", "identify", "idempotency-key", headers={"idempotency-key": "k" * 256}
        ),
        invalid("identify-idempotency-key-empty", "identify", "idempotency-key", headers={"idempotency-key": ""}),
    ]
    return cases


def list_cases(sample: str) -> list[Case]:
    """The list query parameters (`page_size`, `after`, `before`, `include[]`), on a list route's sample."""
    cursor = base64.urlsafe_b64encode(json.dumps([0, "a"]).encode()).decode().rstrip("=")
    out_of_range_shard = base64.urlsafe_b64encode(json.dumps([99, "a"]).encode()).decode().rstrip("=")
    forged_id = base64.urlsafe_b64encode(json.dumps([0, "a#b"]).encode()).decode().rstrip("=")
    return [
        invalid(f"{slug(sample)}-page-size-0", sample, "page_size", query={"page_size": "0"}),
        invalid(f"{slug(sample)}-page-size-51", sample, "page_size", query={"page_size": "51"}),
        invalid(f"{slug(sample)}-page-size-abc", sample, "page_size", query={"page_size": "abc"}),
        invalid(f"{slug(sample)}-page-size-negative", sample, "page_size", query={"page_size": "-5"}),
        invalid(f"{slug(sample)}-page-size-empty", sample, "page_size", query={"page_size": ""}),
        invalid(f"{slug(sample)}-page-size-huge", sample, "page_size", query={"page_size": "9" * 40}),
        invalid(f"{slug(sample)}-page-size-exponent", sample, "page_size", query={"page_size": "1e1"}),
        invalid(f"{slug(sample)}-page-size-hex", sample, "page_size", query={"page_size": "0x10"}),
        invalid(f"{slug(sample)}-page-size-repeated", sample, "page_size", query={"page_size": ["5", "6"]}),
        invalid(f"{slug(sample)}-after-and-before", sample, "before", query={"after": cursor, "before": cursor}),
        invalid(f"{slug(sample)}-after-not-a-cursor", sample, "after", query={"after": "not-a-cursor"}),
        invalid(f"{slug(sample)}-after-3000-chars", sample, "after", query={"after": "A" * 3000}),
        invalid(f"{slug(sample)}-after-shard-out-of-range", sample, "after", query={"after": out_of_range_shard}),
        invalid(f"{slug(sample)}-before-forged-id", sample, "before", query={"before": forged_id}),
        invalid(f"{slug(sample)}-include-junk", sample, "include[].0", query={"include[]": "junk"}),
        invalid(
            f"{slug(sample)}-include-preferences-and-junk",
            sample,
            "include[].1",
            query={"include[]": ["preferences", "secrets"]},
        ),
    ]


def bulk_user_cases() -> list[Case]:
    return [
        invalid("bulk-identify-users-missing", "bulk_identify", "users", body={}),
        invalid("bulk-identify-users-empty", "bulk_identify", "users", body={"users": []}),
        invalid("bulk-identify-users-null", "bulk_identify", "users", body={"users": None}),
        invalid("bulk-identify-users-object", "bulk_identify", "users", body={"users": {"id": "u1"}}),
        invalid("bulk-identify-users-string", "bulk_identify", "users", body={"users": "u1,u2"}),
        invalid(
            "bulk-identify-1001-users", "bulk_identify", "users", body={"users": [{"id": f"u{i}"} for i in range(1001)]}
        ),
        invalid(
            "bulk-identify-unknown-top-level-key",
            "bulk_identify",
            "dry_run",
            body={"users": [{"id": "u1"}], "dry_run": True},
        ),
        invalid("bulk-identify-body-bare-array", "bulk_identify", "body", body=[{"id": "u1"}]),
        invalid(
            "bulk-identify-duplicate-key-last-invalid",
            "bulk_identify",
            "users",
            body='{"users": [{"id": "u1"}], "users": 5}',
        ),
        invalid(
            "bulk-identify-idempotency-key-256-chars",
            "bulk_identify",
            "idempotency-key",
            headers={"idempotency-key": "k" * 256},
        ),
        not_json("bulk-identify-nan-in-a-row", "bulk_identify", '{"users": [{"id": "u1", "score": NaN}]}'),
        not_json("bulk-identify-nested-10000-deep", "bulk_identify", '{"users": ' + "[" * DEEP + "]" * DEEP + "}"),
        not_json("bulk-identify-truncated", "bulk_identify", '{"users": [{"id": "u1"}'),
        not_utf8("bulk-identify-latin1", "bulk_identify", '{"users": [{"id": "Zoë"}]}'.encode("latin-1")),
        media_type("bulk-identify-content-type-text", "bulk_identify", "text/plain"),
        invalid("bulk-delete-user-ids-missing", "bulk_delete", "user_ids", body={}),
        invalid("bulk-delete-user-ids-empty", "bulk_delete", "user_ids", body={"user_ids": []}),
        invalid("bulk-delete-user-ids-string", "bulk_delete", "user_ids", body={"user_ids": "u1"}),
        invalid("bulk-delete-user-ids-object", "bulk_delete", "user_ids", body={"user_ids": {"0": "u1"}}),
        invalid("bulk-delete-1001-ids", "bulk_delete", "user_ids", body={"user_ids": [f"u{i}" for i in range(1001)]}),
        invalid("bulk-delete-unknown-key", "bulk_delete", "users", body={"user_ids": ["u1"], "users": ["u2"]}),
        invalid("bulk-delete-body-json-number", "bulk_delete", "body", body="42"),
        not_json("bulk-delete-single-quotes", "bulk_delete", "{'user_ids': ['u1']}"),
        not_json("bulk-delete-number-5000-digits", "bulk_delete", '{"user_ids": [' + "1" * 5000 + "]}"),
        media_type("bulk-delete-content-type-multipart", "bulk_delete", "multipart/form-data; boundary=x"),
    ]


def bulk_operation_cases() -> list[Case]:
    """An id that is not an operation's UUID names no operation: 404, as for an unknown UUID."""

    def operation(case_id: str, **variant: Any) -> Case:
        return Case(f"bulk-operations-{case_id}", "bulk_operations", 404, "resource_missing", None, variant)

    return [
        operation("not-a-uuid", path={"operation_id": "not-a-uuid"}),
        operation("uuid-one-digit-short", path={"operation_id": A_UUID[:-1]}),
        operation("uuid-one-digit-long", path={"operation_id": A_UUID + "0"}),
        operation("257-chars", path={"operation_id": TOO_LONG_ID}),
        operation("sql", path={"operation_id": "' OR '1'='1"}),
        operation("dot-dot", path={"operation_id": ".."}),
        operation("blank", path={"operation_id": " "}),
        operation("double-encoded-dash", path="/v1/bulk_operations/" + A_UUID.replace("-", "%252D")),
        operation("not-utf8", path="/v1/bulk_operations/%FF"),
        operation("braces", path={"operation_id": "{" + A_UUID + "}"}),
        operation("urn", path={"operation_id": "urn:uuid:" + A_UUID}),
    ]


def merge_cases() -> list[Case]:
    cases = path_id_cases("merge", "user_id", "/v1/users/{}/merge", ["257-chars", "hash", "blank", "nul"])
    cases += [
        invalid("merge-from-user-id-missing", "merge", "from_user_id", body={}),
        invalid("merge-from-user-id-null", "merge", "from_user_id", body={"from_user_id": None}),
        invalid("merge-from-user-id-number", "merge", "from_user_id", body={"from_user_id": 42}),
        invalid("merge-from-user-id-huge-number", "merge", "from_user_id", body='{"from_user_id": 1e400}'),
        invalid("merge-from-user-id-list", "merge", "from_user_id", body={"from_user_id": ["guest_42"]}),
        invalid("merge-from-user-id-empty", "merge", "from_user_id", body={"from_user_id": ""}),
        invalid("merge-from-user-id-257-chars", "merge", "from_user_id", body={"from_user_id": TOO_LONG_ID}),
        invalid("merge-from-user-id-slash", "merge", "from_user_id", body={"from_user_id": "../guest"}),
        invalid("merge-from-user-id-control-char", "merge", "from_user_id", body={"from_user_id": "guest\r\n"}),
        invalid("merge-from-user-id-lone-surrogate", "merge", "from_user_id", body='{"from_user_id": "\\ud800"}'),
        invalid("merge-into-itself", "merge", "from_user_id", body={"from_user_id": "user_123"}),
        # decoded once, the path id is "a%23b": the same user as the body's, not the invalid "a#b"
        invalid(
            "merge-double-encoded-path-into-itself",
            "merge",
            "from_user_id",
            path="/v1/users/a%2523b/merge",
            body={"from_user_id": "a%23b"},
        ),
        invalid("merge-unknown-key-1-mb", "merge", "note", body={"from_user_id": "guest_42", "note": "x" * 1_000_000}),
        invalid(
            "merge-duplicate-key-last-invalid",
            "merge",
            "from_user_id",
            body='{"from_user_id": "guest_42", "from_user_id": "a#b"}',
        ),
        not_json("merge-nan", "merge", '{"from_user_id": NaN}'),
        not_json("merge-empty-object-unclosed", "merge", "{"),
        not_utf8("merge-not-utf8", "merge", b'{"from_user_id": "\xc3\x28"}'),
        media_type("merge-content-type-text", "merge", "text/plain; charset=utf-8"),
    ]
    return cases


def workflow_cases() -> list[Case]:
    def trigger(case_id: str, field_name: str, body: Any) -> Case:
        return invalid(f"trigger-{case_id}", "trigger", field_name, body=body)

    def cancel(case_id: str, field_name: str, body: Any) -> Case:
        return invalid(f"cancel-{case_id}", "cancel", field_name, body=body)

    cases = [
        invalid("trigger-workflow-key-uppercase", "trigger", "workflow_key", path={"workflow_key": "New-Comment"}),
        invalid("trigger-workflow-key-dot-dot", "trigger", "workflow_key", path={"workflow_key": ".."}),
        invalid("trigger-workflow-key-256-chars", "trigger", "workflow_key", path={"workflow_key": "k" * 256}),
        invalid("trigger-workflow-key-encoded-slash", "trigger", "workflow_key", path={"workflow_key": "a/b"}),
        invalid(
            "trigger-workflow-key-double-encoded-dash",
            "trigger",
            "workflow_key",
            path="/v1/workflows/new%252Dcomment/trigger",
        ),
        invalid("trigger-workflow-key-not-utf8", "trigger", "workflow_key", path="/v1/workflows/%FF/trigger"),
        trigger("recipients-missing", "recipients", {"data": {}}),
        trigger("recipients-null", "recipients", {"recipients": None}),
        trigger("recipients-string", "recipients", {"recipients": "user_1"}),
        trigger("recipients-1001", "recipients", {"recipients": [f"u{i}" for i in range(1001)]}),
        trigger("recipient-null", "recipients.0", {"recipients": [None]}),
        trigger("recipient-list", "recipients.0", {"recipients": [["user_1"]]}),
        trigger("recipient-bool", "recipients.0", {"recipients": [True]}),
        trigger("recipient-id-hash", "recipients.0", {"recipients": ["a#b"]}),
        trigger("recipient-id-lone-surrogate", "recipients.0", '{"recipients": ["\\udc80"]}'),
        trigger("inline-user-email-number", "recipients.0.email", {"recipients": [{"id": "u1", "email": 5}]}),
        trigger("inline-user-id-missing", "recipients.0.id", {"recipients": [{"name": "Nobody"}]}),
        trigger("inline-user-id-number", "recipients.0.id", {"recipients": [{"id": 7}]}),
        trigger(
            "inline-object-collection-reserved",
            "recipients.0.collection",
            {"recipients": [{"id": "t1", "collection": "$system", "name": "x"}]},
        ),
        Case(
            "trigger-inline-user-properties-over-256-kib",
            "trigger",
            422,
            "properties_too_large",
            "recipients.0.properties",
            {"body": {"recipients": [{"id": "u1", "blob": "x" * 270_000}]}},
        ),
        Case(
            "trigger-inline-user-name-500-kb",
            "trigger",
            422,
            "properties_too_large",
            "recipients.0.properties",
            {"body": {"recipients": [{"id": "u1", "name": "x" * 500_000}]}},
        ),
        trigger("actor-number", "actor", {"recipients": ["u1"], "actor": 5}),
        trigger("actor-blank", "actor", {"recipients": ["u1"], "actor": " "}),
        trigger("data-list", "data", {"recipients": ["u1"], "data": [1, 2]}),
        trigger("tenant-over-256-kb", "tenant", {"recipients": ["u1"], "tenant": {"id": "t1", "blob": "x" * 300_000}}),
        trigger("tenant-number", "tenant", {"recipients": ["u1"], "tenant": 5}),
        trigger("cancellation-key-number", "cancellation_key", {"recipients": ["u1"], "cancellation_key": 5}),
        trigger("cancellation-key-newline", "cancellation_key", {"recipients": ["u1"], "cancellation_key": "c\n"}),
        trigger("settings-string", "settings", {"recipients": ["u1"], "settings": "sandbox"}),
        trigger(
            "settings-sandbox-mode-string",
            "settings.sandbox_mode",
            {"recipients": ["u1"], "settings": {"sandbox_mode": "true"}},
        ),
        trigger("settings-unknown-key", "settings.dry_run", {"recipients": ["u1"], "settings": {"dry_run": True}}),
        trigger("unknown-top-level-key", "workflow", {"recipients": ["u1"], "workflow": "other"}),
        invalid(
            "trigger-idempotency-key-256-chars", "trigger", "idempotency-key", headers={"idempotency-key": "k" * 256}
        ),
        not_json("trigger-data-infinity", "trigger", '{"recipients": ["u1"], "data": {"x": -Infinity}}'),
        not_json(
            "trigger-data-nested-10000-deep",
            "trigger",
            '{"recipients": ["u1"], "data": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}",
        ),
        not_json("trigger-trailing-garbage", "trigger", '{"recipients": ["u1"]} {"recipients": ["u2"]}'),
        not_utf8("trigger-not-utf8", "trigger", b'{"recipients": ["\xff"]}'),
        media_type("trigger-content-type-form", "trigger", "application/x-www-form-urlencoded"),
        invalid("cancel-workflow-key-space", "cancel", "workflow_key", path={"workflow_key": "new comment"}),
        invalid(
            "cancel-workflow-key-double-encoded-dash",
            "cancel",
            "workflow_key",
            path="/v1/workflows/new%252Dcomment/cancel",
        ),
        cancel("cancellation-key-missing", "cancellation_key", {"recipients": ["u1"]}),
        cancel("cancellation-key-null", "cancellation_key", {"cancellation_key": None}),
        cancel("cancellation-key-257-chars", "cancellation_key", {"cancellation_key": TOO_LONG_ID}),
        cancel("cancellation-key-slash", "cancellation_key", {"cancellation_key": "a/b"}),
        cancel("cancellation-key-object", "cancellation_key", {"cancellation_key": {"key": "c"}}),
        cancel("recipients-string", "recipients", {"cancellation_key": "c", "recipients": "u1"}),
        cancel(
            "recipients-1001", "recipients", {"cancellation_key": "c", "recipients": [f"u{i}" for i in range(1001)]}
        ),
        cancel(
            "recipient-inline-user", "recipients.0", {"cancellation_key": "c", "recipients": [{"id": "u1", "x": 1}]}
        ),
        cancel("recipient-number", "recipients.0", {"cancellation_key": "c", "recipients": [1]}),
        cancel("unknown-key", "workflow_run_id", {"cancellation_key": "c", "workflow_run_id": A_UUID}),
        not_json("cancel-nested-10000-deep", "cancel", '{"cancellation_key": ' + "[" * DEEP + "]" * DEEP + "}"),
        invalid("cancel-body-json-string", "cancel", "body", body='"comment-c_9"'),
        media_type("cancel-content-type-text", "cancel", "text/plain"),
    ]
    return cases


def object_cases() -> list[Case]:
    cases = path_id_cases("objects_set", "collection", "/v1/objects/{}/proj_1", ["hash", "slash", "blank", "nul"])
    cases += path_id_cases("objects_set", "object_id", "/v1/objects/projects/{}", ["257-chars", "tab", "del"])
    cases += path_id_cases("objects_get", "object_id", "/v1/objects/projects/{}", ["hash", "slash"])
    cases += path_id_cases("objects_delete", "collection", "/v1/objects/{}/proj_1", ["257-chars", "newline"])
    cases += [
        invalid("objects-set-collection-system", "objects_set", "collection", path={"collection": "$system"}),
        invalid("objects-get-collection-dollar", "objects_get", "collection", path={"collection": "$users"}),
        invalid("objects-delete-object-id-blank", "objects_delete", "object_id", path={"object_id": " "}),
        invalid("objects-set-body-id-differs", "objects_set", "id", body={"id": "proj_2", "name": "Apollo"}),
        invalid("objects-set-body-collection-differs", "objects_set", "collection", body={"collection": "teams"}),
        invalid("objects-set-body-collection-reserved", "objects_set", "collection", body={"collection": "$system"}),
        invalid("objects-set-timezone-number", "objects_set", "timezone", body={"timezone": 5}),
        invalid("objects-set-locale-script-tag", "objects_set", "locale", body={"locale": "<script>"}),
        invalid("objects-set-created-at-not-a-date", "objects_set", "created_at", body={"created_at": "soon"}),
        invalid("objects-set-name-object", "objects_set", "name", body={"name": {"en": "Apollo"}}),
        invalid("objects-set-preferences-list", "objects_set", "preferences", body={"preferences": ["default"]}),
        Case(
            "objects-set-properties-over-256-kib",
            "objects_set",
            422,
            "properties_too_large",
            "properties",
            {"body": {"blob": "x" * 262_144}},
        ),
        Case(
            "objects-set-channel-data-500-kb",
            "objects_set",
            422,
            "properties_too_large",
            "properties",
            {"body": {"channel_data": {CHANNEL: {"blob": "x" * 500_000}}}},
        ),
        invalid("objects-set-body-json-array", "objects_set", "body", body="[]"),
        invalid("objects-set-body-empty", "objects_set", "body", body=""),
        not_json("objects-set-nested-10000-deep", "objects_set", '{"a": ' + '{"b":' * DEEP + "1" + "}" * DEEP + "}"),
        not_json("objects-set-nan", "objects_set", '{"budget": NaN}'),
        not_utf8("objects-set-not-utf8", "objects_set", b'{"name": "Apollo\xa0"}'),
        media_type("objects-set-content-type-xml", "objects_set", "text/xml"),
        invalid("objects-list-collection-system", "objects_list", "collection", path={"collection": "$system"}),
        invalid("objects-list-collection-hash", "objects_list", "collection", path={"collection": "a#b"}),
        invalid("objects-list-collection-not-utf8", "objects_list", "collection", path="/v1/objects/%ED%A0%80"),
    ]
    cases += list_cases("objects_list")
    cases += [
        invalid("objects-bulk-set-collection-slash", "objects_bulk_set", "collection", path={"collection": "a/b"}),
        invalid("objects-bulk-set-collection-system", "objects_bulk_set", "collection", path={"collection": "$system"}),
        invalid("objects-bulk-set-objects-missing", "objects_bulk_set", "objects", body={}),
        invalid("objects-bulk-set-objects-empty", "objects_bulk_set", "objects", body={"objects": []}),
        invalid("objects-bulk-set-objects-object", "objects_bulk_set", "objects", body={"objects": {"id": "p1"}}),
        invalid(
            "objects-bulk-set-1001-objects",
            "objects_bulk_set",
            "objects",
            body={"objects": [{"id": f"p{i}"} for i in range(1001)]},
        ),
        invalid(
            "objects-bulk-set-users-key", "objects_bulk_set", "users", body={"objects": [{"id": "p1"}], "users": []}
        ),
        not_json(
            "objects-bulk-set-nested-10000-deep", "objects_bulk_set", '{"objects": ' + "[" * DEEP + "]" * DEEP + "}"
        ),
        media_type("objects-bulk-set-content-type-text", "objects_bulk_set", "text/plain"),
        invalid(
            "objects-bulk-delete-collection-not-utf8",
            "objects_bulk_delete",
            "collection",
            path="/v1/objects/%FF/bulk/delete",
        ),
        invalid("objects-bulk-delete-collection-blank", "objects_bulk_delete", "collection", path={"collection": "\t"}),
        invalid("objects-bulk-delete-object-ids-missing", "objects_bulk_delete", "object_ids", body={}),
        invalid("objects-bulk-delete-object-ids-null", "objects_bulk_delete", "object_ids", body={"object_ids": None}),
        invalid(
            "objects-bulk-delete-1001-ids",
            "objects_bulk_delete",
            "object_ids",
            body={"object_ids": [f"p{i}" for i in range(1001)]},
        ),
        invalid("objects-bulk-delete-body-json-true", "objects_bulk_delete", "body", body="true"),
        not_json("objects-bulk-delete-infinity", "objects_bulk_delete", '{"object_ids": [Infinity]}'),
        not_utf8("objects-bulk-delete-not-utf8", "objects_bulk_delete", b'{"object_ids": ["\xfe\xff"]}'),
    ]
    return cases


def unrouted_cases() -> list[Case]:
    """What API Gateway sends to the $default route: paths no route matches, methods no route takes."""

    def unrouted(case_id: str, method: str, path: str, status: int) -> Case:
        code = "method_not_allowed" if status == 405 else "resource_missing"
        return Case(f"unrouted-{case_id}", "fallback", status, code, None, {"method": method, "path": path})

    return [
        unrouted("raw-slash-in-user-id", "GET", "/v1/users/team/ada", 404),
        unrouted("dot-dot-segment", "GET", "/v1/users/../bulk_operations/x", 404),
        unrouted("empty-segment", "POST", "/v1/users//merge", 404),
        unrouted("double-slash-prefix", "GET", "//v1/users", 404),
        unrouted("trailing-slash", "GET", "/v1/users/", 404),
        unrouted("upper-case-path", "GET", "/V1/USERS", 404),
        unrouted("extra-object-segment", "DELETE", "/v1/objects/projects/p1/x", 404),
        unrouted("patch-user", "PATCH", "/v1/users/user_123", 405),
        unrouted("post-user-list", "POST", "/v1/users", 405),
        unrouted("get-bulk-identify", "GET", "/v1/users/bulk/identify", 405),
        unrouted("delete-bulk-operation", "DELETE", f"/v1/bulk_operations/{A_UUID}", 405),
        unrouted("put-trigger", "PUT", "/v1/workflows/new-comment/trigger", 405),
        unrouted("trace", "TRACE", "/v1/users", 405),
    ]


LONE = "\\udc00"
"""A lone low surrogate as JSON sends it (an escape): it parses, but no UTF-8 can carry it."""


def surrogate_cases() -> list[Case]:
    """A lone surrogate anywhere in a body is a 422 naming where it is; bulk rows are tested row by row
    in tests/unit/handlers (one such row must not block the others)."""

    def surrogate(case_id: str, sample: str, field_name: str, body: str) -> Case:
        return invalid(f"surrogate-{case_id}", sample, field_name, body=body)

    return [
        surrogate("identify-name", "identify", "name", f'{{"name": "{LONE}"}}'),
        surrogate("identify-high-surrogate", "identify", "name", '{"name": "a\\ud800"}'),
        surrogate("identify-custom-nested", "identify", "prefs.tags.1", f'{{"prefs": {{"tags": ["ok", "{LONE}"]}}}}'),
        surrogate("identify-key", "identify", "body", f'{{"{LONE}": 1}}'),
        surrogate("identify-nested-key", "identify", "prefs", f'{{"prefs": {{"{LONE}x": 1}}}}'),
        surrogate("identify-channel-data-key", "identify", "channel_data", f'{{"channel_data": {{"{LONE}": {{}}}}}}'),
        surrogate("identify-id", "identify", "id", f'{{"id": "{LONE}"}}'),
        surrogate("objects-set-property", "objects_set", "properties.name", f'{{"properties": {{"name": "{LONE}"}}}}'),
        surrogate("merge-from-user-id", "merge", "from_user_id", f'{{"from_user_id": "{LONE}"}}'),
        surrogate(
            "trigger-inline-name",
            "trigger",
            "recipients.1.name",
            f'{{"recipients": ["u1", {{"id": "u2", "name": "{LONE}"}}]}}',
        ),
        surrogate("trigger-recipient-id", "trigger", "recipients.0", f'{{"recipients": ["{LONE}"]}}'),
        surrogate(
            "trigger-data", "trigger", "data.comment", f'{{"recipients": ["u1"], "data": {{"comment": "{LONE}"}}}}'
        ),
        surrogate("trigger-actor", "trigger", "actor", f'{{"recipients": ["u1"], "actor": "{LONE}"}}'),
        surrogate("trigger-tenant", "trigger", "tenant.id", f'{{"recipients": ["u1"], "tenant": {{"id": "{LONE}"}}}}'),
        surrogate("cancel-key", "cancel", "cancellation_key", f'{{"cancellation_key": "{LONE}"}}'),
        surrogate(
            "bulk-identify-other-key", "bulk_identify", "extra", f'{{"users": [{{"id": "u"}}], "extra": "{LONE}"}}'
        ),
    ]


def channel_data_cases() -> list[Case]:
    user = {"user_id": "user_1", "channel_id": CHANNEL}
    push = "channel_data_set"
    cases = [
        *(
            invalid(
                f"channel-data-{sample}-channel-id-not-uuid", sample, "channel_id", path={**user, "channel_id": bad}
            )
            for sample, bad in (("channel_data_get", "push-channel"), ("channel_data_unset", "1234"))
        ),
        invalid(
            "channel-data-set-channel-id-uuid-too-long", push, "channel_id", path={**user, "channel_id": CHANNEL + "0"}
        ),
        invalid("channel-data-set-user-id-hash", push, "user_id", path={**user, "user_id": "a#b"}),
        invalid(
            "channel-data-objects-get-collection-reserved",
            "channel_data_objects_get",
            "collection",
            path={"collection": "$system", "object_id": "proj_1", "channel_id": CHANNEL},
        ),
        invalid(
            "channel-data-objects-unset-object-id-too-long",
            "channel_data_objects_unset",
            "object_id",
            path={"collection": "projects", "object_id": TOO_LONG_ID, "channel_id": CHANNEL},
        ),
        invalid("channel-data-set-no-data", push, "data", body={}),
        invalid("channel-data-set-data-null", push, "data", body={"data": None}),
        invalid("channel-data-set-data-list", push, "data", body={"data": [{"tokens": ["t"]}]}),
        invalid("channel-data-set-data-string", push, "data", body={"data": "token"}),
        invalid("channel-data-set-extra-top-level-key", push, "provider", body={"data": {}, "provider": "push_fcm"}),
        invalid("channel-data-set-tokens-string", push, "data.tokens", body={"data": {"tokens": "t1"}}),
        invalid("channel-data-set-token-number", push, "data.tokens.0", body={"data": {"tokens": [12345]}}),
        invalid("channel-data-set-token-empty", push, "data.tokens.1", body={"data": {"tokens": ["t1", ""]}}),
        invalid("channel-data-set-token-5-kb", push, "data.tokens.0", body={"data": {"tokens": ["t" * 5000]}}),
        invalid("channel-data-set-token-newline", push, "data.tokens.0", body={"data": {"tokens": ["t\n1"]}}),
        invalid(
            "channel-data-set-1001-tokens",
            push,
            "data.tokens",
            body={"data": {"tokens": [f"t{i}" for i in range(1001)]}},
        ),
        invalid(
            "channel-data-set-device-without-token", push, "data.devices.0.token", body={"data": {"devices": [{}]}}
        ),
        invalid(
            "channel-data-set-device-locale-number",
            push,
            "data.devices.0.locale",
            body={"data": {"devices": [{"token": "t", "locale": 1}]}},
        ),
        invalid(
            "channel-data-set-device-unknown-key",
            push,
            "data.devices.0.os",
            body={"data": {"devices": [{"token": "t", "os": "ios"}]}},
        ),
        invalid(
            "channel-data-set-tokens-and-player-ids",
            push,
            "data.player_ids",
            body={"data": {"tokens": ["t"], "player_ids": [A_UUID]}},
        ),
        invalid("channel-data-set-target-arns-number", push, "data.target_arns.0", body={"data": {"target_arns": [1]}}),
        invalid(
            "channel-data-set-sns-device-without-arn",
            push,
            "data.devices.0.target_arn",
            body={"data": {"target_arns": [], "devices": [{"locale": "en"}]}},
        ),
        invalid(
            "channel-data-set-player-id-not-uuid", push, "data.player_ids.0", body={"data": {"player_ids": ["p1"]}}
        ),
        invalid("channel-data-set-connections-object", push, "data.connections", body={"data": {"connections": {}}}),
        invalid(
            "channel-data-set-webhook-without-url",
            push,
            "data.connections.0.incoming_webhook.url",
            body={"data": {"connections": [{"incoming_webhook": {}}]}},
        ),
        invalid(
            "channel-data-set-slack-token-number",
            push,
            "data.connections.0.access_token",
            body={"data": {"connections": [{"access_token": 7, "channel_id": "C1"}]}},
        ),
        invalid(
            "channel-data-set-slack-tenant-token-string",
            push,
            "data.token",
            body={"data": {"token": "xoxb-1"}},
        ),
        invalid(
            "channel-data-set-teams-tenant-not-uuid",
            push,
            "data.ms_teams_tenant_id",
            body={"data": {"ms_teams_tenant_id": "contoso"}},
        ),
        invalid(
            "channel-data-set-teams-channel-not-uuid",
            push,
            "data.connections.0.ms_teams_channel_id",
            body={"data": {"connections": [{"ms_teams_tenant_id": A_UUID, "ms_teams_channel_id": "general"}]}},
        ),
        invalid(
            "channel-data-set-connection-unknown-key",
            push,
            "data.connections.0.webhook",
            body={"data": {"connections": [{"channel_id": "C1", "webhook": "https://x"}]}},
        ),
        invalid("channel-data-set-data-deeper-than-100", push, "data", body={"data": {"blob": nested(150)}}),
        Case(
            "channel-data-set-data-over-400-kb",
            push,
            422,
            "properties_too_large",
            "data",
            {"body": {"data": {"blob": "x" * 450_000}}},
        ),
        not_json("channel-data-set-not-json", push, '{"data": '),
        media_type("channel-data-objects-set-form", "channel_data_objects_set", "application/x-www-form-urlencoded"),
        invalid("channel-data-objects-set-body-array", "channel_data_objects_set", "body", body="[]"),
        invalid(
            "identify-inline-channel-id-not-uuid",
            "identify",
            "channel_data",
            body={"channel_data": {"push": {"tokens": ["t"]}}},
        ),
        invalid(
            "identify-inline-channel-data-bad-tokens",
            "identify",
            f"channel_data.{CHANNEL}.tokens.0",
            body={"channel_data": {CHANNEL: {"tokens": [None]}}},
        ),
        invalid(
            "objects-set-inline-channel-data-not-object",
            "objects_set",
            f"channel_data.{CHANNEL}",
            body={"channel_data": {CHANNEL: ["t"]}},
        ),
    ]
    return cases


def preference_cases() -> list[Case]:
    put = "preferences_set"
    condition = {"variable": "recipient.plan", "operator": "equal_to", "argument": "pro"}
    cases = [
        invalid(
            "preferences-get-set-id-hash", "preferences_get", "set_id", path={"user_id": "user_1", "set_id": "a#b"}
        ),
        invalid("preferences-list-user-id-too-long", "preferences_list", "user_id", path={"user_id": TOO_LONG_ID}),
        invalid(
            "preferences-unset-set-id-blank", "preferences_unset", "set_id", path={"user_id": "user_1", "set_id": "  "}
        ),
        invalid("preferences-set-body-array", put, "body", body="[]"),
        invalid(
            "preferences-set-strategy-unknown",
            put,
            "__persistence_strategy__",
            body={"__persistence_strategy__": "upsert"},
        ),
        invalid("preferences-set-unknown-key", put, "email", body={"email": False}),
        invalid("preferences-set-channel-types-list", put, "channel_types", body={"channel_types": ["email"]}),
        invalid("preferences-set-channel-type-unknown", put, "channel_types", body={"channel_types": {"fax": True}}),
        invalid(
            "preferences-set-channel-type-string", put, "channel_types.email", body={"channel_types": {"email": "yes"}}
        ),
        invalid("preferences-set-channel-type-number", put, "channel_types.sms", body={"channel_types": {"sms": 1}}),
        invalid(
            "preferences-set-conditions-missing",
            put,
            "channel_types.sms.conditions",
            body={"channel_types": {"sms": {}}},
        ),
        invalid(
            "preferences-set-condition-operator-unknown",
            put,
            "channel_types.sms.conditions.0.operator",
            body={"channel_types": {"sms": {"conditions": [{**condition, "operator": "matches"}]}}},
        ),
        invalid(
            "preferences-set-condition-without-argument",
            put,
            "channel_types.sms.conditions.0.argument",
            body={"channel_types": {"sms": {"conditions": [{"variable": "v", "operator": "exists"}]}}},
        ),
        invalid(
            "preferences-set-condition-argument-number",
            put,
            "channel_types.sms.conditions.0.argument",
            body={"channel_types": {"sms": {"conditions": [{**condition, "argument": 5}]}}},
        ),
        invalid(
            "preferences-set-condition-variable-blank",
            put,
            "channel_types.sms.conditions.0.variable",
            body={"channel_types": {"sms": {"conditions": [{**condition, "variable": " "}]}}},
        ),
        invalid(
            "preferences-set-101-conditions",
            put,
            "channel_types.sms.conditions",
            body={"channel_types": {"sms": {"conditions": [condition] * 101}}},
        ),
        invalid("preferences-set-channel-not-uuid", put, "channels.email", body={"channels": {"email": True}}),
        invalid("preferences-set-channel-strategy-bool", put, "channels", body={"channels": {"__strategy__": True}}),
        invalid(
            "preferences-set-workflow-number", put, "workflows.new-comment", body={"workflows": {"new-comment": 1}}
        ),
        invalid(
            "preferences-set-workflow-unknown-key",
            put,
            "workflows.new-comment.subscribed",
            body={"workflows": {"new-comment": {"subscribed": True}}},
        ),
        invalid(
            "preferences-set-category-strategy-unknown",
            put,
            "categories.marketing.__strategy__",
            body={"categories": {"marketing": {"__strategy__": "append"}}},
        ),
        invalid(
            "preferences-set-commercial-string", put, "commercial_subscribed", body={"commercial_subscribed": "no"}
        ),
        invalid("preferences-set-deeper-than-100", put, "workflows.a.a", body={"workflows": nested(150)}),
        invalid(
            "preferences-channel-type-unknown-path",
            "preferences_channel_type",
            "channel_type",
            path={"user_id": "user_1", "set_id": "default", "channel_type": "fax"},
        ),
        invalid(
            "preferences-channel-type-subscribed-string",
            "preferences_channel_type",
            "subscribed",
            body={"subscribed": "false"},
        ),
        invalid(
            "preferences-channel-types-unknown", "preferences_channel_types", "channel_types", body={"pigeon": True}
        ),
        invalid(
            "preferences-workflows-not-settings",
            "preferences_workflows",
            "workflows.new-comment",
            body={"new-comment": "on"},
        ),
        invalid(
            "preferences-workflow-subscribed-null",
            "preferences_workflow",
            "workflows.new-comment",
            body={"subscribed": None},
        ),
        invalid("preferences-categories-list", "preferences_categories", "body", body="[true]"),
        invalid(
            "preferences-category-bad-condition",
            "preferences_category",
            "categories.transactional.conditions.0.operator",
            body={"conditions": [{**condition, "operator": "~"}]},
        ),
        invalid(
            "preferences-objects-get-collection-reserved",
            "preferences_objects_get",
            "collection",
            path={"collection": "$system", "object_id": "proj_1", "set_id": "default"},
        ),
        invalid(
            "preferences-objects-list-object-id-slash",
            "preferences_objects_list",
            "object_id",
            path={"collection": "projects", "object_id": "a/b"},
        ),
        invalid(
            "preferences-objects-set-channel-type-unknown",
            "preferences_objects_set",
            "channel_types",
            body={"channel_types": {"x": True}},
        ),
        invalid(
            "preferences-objects-unset-set-id-too-long",
            "preferences_objects_unset",
            "set_id",
            path={"collection": "projects", "object_id": "proj_1", "set_id": TOO_LONG_ID},
        ),
        invalid(
            "preferences-objects-channel-types-number",
            "preferences_objects_channel_types",
            "channel_types.chat",
            body={"chat": 0},
        ),
        invalid("preferences-objects-channel-type-no-body", "preferences_objects_channel_type", "subscribed", body={}),
        invalid("preferences-objects-workflows-array", "preferences_objects_workflows", "body", body="[]"),
        invalid(
            "preferences-objects-workflow-extra",
            "preferences_objects_workflow",
            "workflows.new-comment.extra",
            body={"subscribed": True, "extra": 1},
        ),
        invalid(
            "preferences-objects-categories-not-bool",
            "preferences_objects_categories",
            "categories.marketing",
            body={"marketing": "yes"},
        ),
        invalid("preferences-objects-category-string", "preferences_objects_category", "body", body='"off"'),
        not_json("preferences-set-not-json", put, "{"),
        invalid(
            "identify-inline-preferences-set-id-hash", "identify", "preferences", body={"preferences": {"a#b": {}}}
        ),
        invalid(
            "identify-inline-preferences-bad-channel-type",
            "identify",
            "preferences.default.channel_types",
            body={"preferences": {"default": {"channel_types": {"fax": True}}}},
        ),
        invalid("bulk-preferences-no-user-ids", "bulk_preferences", "user_ids", body={"preferences": {}}),
        invalid(
            "bulk-preferences-empty-user-ids", "bulk_preferences", "user_ids", body={"user_ids": [], "preferences": {}}
        ),
        invalid(
            "bulk-preferences-1001-user-ids",
            "bulk_preferences",
            "user_ids",
            body={"user_ids": [f"u{i}" for i in range(1001)], "preferences": {}},
        ),
        invalid("bulk-preferences-no-set", "bulk_preferences", "preferences", body={"user_ids": ["u1"]}),
        invalid(
            "bulk-preferences-bad-set",
            "bulk_preferences",
            "preferences.channel_types.sms",
            body={"user_ids": ["u1"], "preferences": {"channel_types": {"sms": "no"}}},
        ),
        invalid(
            "bulk-preferences-set-id-hash",
            "bulk_preferences",
            "preferences.id",
            body={"user_ids": ["u1"], "preferences": {"id": "a#b"}},
        ),
        invalid(
            "bulk-preferences-merge-strategy",
            "bulk_preferences",
            "preferences.__persistence_strategy__",
            body={"user_ids": ["u1"], "preferences": {"__persistence_strategy__": "merge"}},
        ),
    ]
    return cases


def tenant_cases() -> list[Case]:
    return [
        invalid("tenants-set-id-hash", "tenants_set", "tenant_id", path={"tenant_id": "a#b"}),
        invalid("preferences-get-tenant-hash", "preferences_get", "tenant", query={"tenant": "a#b"}),
        invalid("preferences-objects-get-tenant-slash", "preferences_objects_get", "tenant", query={"tenant": "a/b"}),
        invalid(
            "tenants-get-resolve-full-not-a-boolean",
            "tenants_get",
            "resolve_full_preference_settings",
            query={"resolve_full_preference_settings": "maybe"},
        ),
        invalid("tenants-set-body-id-differs", "tenants_set", "id", body={"id": "other"}),
        invalid("tenants-set-settings-list", "tenants_set", "settings", body={"settings": []}),
        invalid("tenants-set-settings-unknown-key", "tenants_set", "settings.theme", body={"settings": {"theme": 1}}),
        invalid(
            "tenants-set-branding-logo-not-a-url",
            "tenants_set",
            "settings.branding.logo_url",
            body={"settings": {"branding": {"logo_url": "logo.png"}}},
        ),
        invalid(
            "tenants-set-branding-color-number",
            "tenants_set",
            "settings.branding.primary_color",
            body={"settings": {"branding": {"primary_color": 0xDF1A22}}},
        ),
        invalid(
            "tenants-set-preference-set-bad-channel-type",
            "tenants_set",
            "settings.preference_set.channel_types",
            body={"settings": {"preference_set": {"channel_types": {"fax": True}}}},
        ),
        invalid("tenants-set-name-number", "tenants_set", "name", body={"name": 7}),
        invalid("tenants-get-id-too-long", "tenants_get", "tenant_id", path={"tenant_id": TOO_LONG_ID}),
        invalid("tenants-delete-id-slash", "tenants_delete", "tenant_id", path={"tenant_id": "a/b"}),
        invalid("tenants-list-page-size-0", "tenants_list", "page_size", query={"page_size": "0"}),
        invalid("tenants-list-bad-cursor", "tenants_list", "after", query={"after": "not-a-cursor"}),
        invalid("tenants-bulk-set-no-tenants", "tenants_bulk_set", "tenants", body={}),
        invalid("tenants-bulk-set-empty", "tenants_bulk_set", "tenants", body={"tenants": []}),
        invalid("tenants-bulk-set-not-a-list", "tenants_bulk_set", "tenants", body={"tenants": "acme"}),
        invalid("tenants-bulk-set-extra-key", "tenants_bulk_set", "users", body={"tenants": ["a"], "users": []}),
        invalid(
            "tenants-bulk-set-1001", "tenants_bulk_set", "tenants", body={"tenants": [f"t{i}" for i in range(1001)]}
        ),
        invalid("tenants-bulk-delete-no-ids", "tenants_bulk_delete", "tenant_ids[]", query={}),
        invalid(
            "tenants-bulk-delete-1001",
            "tenants_bulk_delete",
            "tenant_ids[]",
            query={"tenant_ids[]": [f"t{i}" for i in range(1001)]},
        ),
    ]


def subscription_cases() -> list[Case]:
    cases = [
        invalid("subscriptions-add-empty", "subscriptions_add", "recipients", body={"recipients": []}),
        invalid(
            "subscriptions-add-101",
            "subscriptions_add",
            "recipients",
            body={"recipients": [f"u{i}" for i in range(101)]},
        ),
        invalid("subscriptions-add-bad-id", "subscriptions_add", "recipients.0", body={"recipients": ["a#b"]}),
        invalid(
            "subscriptions-add-bad-email",
            "subscriptions_add",
            "recipients.0.email",
            body={"recipients": [{"id": "u", "email": "x"}]},
        ),
        invalid(
            "subscriptions-add-self",
            "subscriptions_add",
            "recipients.0",
            body={"recipients": [{"id": "apollo", "collection": "projects"}]},
        ),
        invalid(
            "subscriptions-add-properties-list",
            "subscriptions_add",
            "properties",
            body={"recipients": [{"id": "u"}], "properties": [1]},
        ),
        invalid(
            "subscriptions-add-collection-dollar",
            "subscriptions_add",
            "collection",
            path={"collection": "$system", "object_id": "a"},
        ),
        invalid(
            "subscriptions-delete-inline",
            "subscriptions_delete",
            "recipients.0",
            body={"recipients": [{"id": "u", "name": "U"}]},
        ),
        invalid("subscriptions-delete-none", "subscriptions_delete", "recipients", body={}),
        invalid("subscriptions-list-bad-mode", "subscriptions_list", "mode", query={"mode": "everyone"}),
        invalid("subscriptions-list-bad-cursor", "subscriptions_list", "after", query={"after": "bm90LWEtY3Vyc29y"}),
        invalid("subscriptions-list-both-ways", "subscriptions_list", "before", query={"after": "x", "before": "y"}),
        invalid(
            "subscriptions-list-user-bad-filter", "subscriptions_list_user", "objects[].0", query={"objects[]": ["a#b"]}
        ),
        invalid("subscriptions-list-user-page-size", "subscriptions_list_user", "page_size", query={"page_size": "51"}),
    ]
    for sample in ("objects_bulk_subscriptions_add", "objects_bulk_subscriptions_delete"):
        name = slug(sample)
        entry = {"id": "p1", "recipients": ["u1"]}
        cases += [
            invalid(f"{name}-collection-system", sample, "collection", path={"collection": "$system"}),
            invalid(f"{name}-collection-slash", sample, "collection", path={"collection": "a/b"}),
            invalid(f"{name}-missing", sample, "subscriptions", body={}),
            invalid(f"{name}-empty", sample, "subscriptions", body={"subscriptions": []}),
            invalid(f"{name}-an-object", sample, "subscriptions", body={"subscriptions": entry}),
            invalid(f"{name}-1001", sample, "subscriptions", body={"subscriptions": [entry] * 1001}),
            invalid(f"{name}-extra-key", sample, "objects", body={"subscriptions": [entry], "objects": []}),
            not_json(f"{name}-nested-10000-deep", sample, '{"subscriptions": ' + "[" * DEEP + "]" * DEEP + "}"),
            not_utf8(f"{name}-not-utf8", sample, b'{"subscriptions": [{"id": "\xfe\xff"}]}'),
            media_type(f"{name}-content-type-text", sample, "text/plain"),
        ]
    return cases


def audience_cases() -> list[Case]:
    def members(*entries: Any) -> dict[str, Any]:
        return {"body": {"members": list(entries)}}

    ada = {"user": {"id": "ada"}}
    path = "/v1/audiences/{}/members"
    user_list_cursor = base64.urlsafe_b64encode(json.dumps([0, "a"]).encode()).decode().rstrip("=")
    forged_member = base64.urlsafe_b64encode(json.dumps([0, "a", "t#x"]).encode()).decode().rstrip("=")
    big = {"user": {"id": "big", "blob": "x" * 300_000}}
    cases = path_id_cases("audiences_add", "key", path, ["257-chars", "hash", "slash", "blank", "nul"])
    cases += path_id_cases("audiences_list", "key", path, ["hash", "newline"])
    cases += path_id_cases("audiences_remove", "key", path, ["slash", "escape-sequence"])
    for sample in ("audiences_add", "audiences_remove"):
        name = slug(sample)
        cases += [
            invalid(f"{name}-no-members", sample, "members", body={}),
            invalid(f"{name}-members-empty", sample, "members", **members()),
            invalid(f"{name}-members-not-a-list", sample, "members", body={"members": {"user": {"id": "ada"}}}),
            invalid(f"{name}-1001-members", sample, "members", **members(*[ada] * 1001)),
            invalid(f"{name}-extra-key", sample, "users", body={"members": [ada], "users": []}),
            invalid(f"{name}-member-a-string", sample, "members.0", **members("ada")),
            invalid(f"{name}-member-without-user", sample, "members.1.user", **members(ada, {"tenant": "acme"})),
            invalid(f"{name}-user-without-id", sample, "members.2.user.id", **members(ada, ada, {"user": {}})),
            invalid(f"{name}-user-id-number", sample, "members.0.user.id", **members({"user": {"id": 7}})),
            invalid(f"{name}-user-id-hash", sample, "members.0.user.id", **members({"user": {"id": "a#b"}})),
            invalid(f"{name}-user-a-string", sample, "members.0.user", **members({"user": "ada"})),
            invalid(f"{name}-tenant-hash", sample, "members.0.tenant", **members({**ada, "tenant": "a#b"})),
            invalid(f"{name}-tenant-empty", sample, "members.0.tenant", **members({**ada, "tenant": ""})),
            invalid(f"{name}-tenant-object", sample, "members.0.tenant", **members({**ada, "tenant": {"id": "t"}})),
            invalid(f"{name}-member-extra-key", sample, "members.0.role", **members({**ada, "role": "admin"})),
            invalid(f"{name}-body-a-list", sample, "body", body=[ada]),
            not_json(f"{name}-not-json", sample, '{"members": ['),
            media_type(f"{name}-form-body", sample, "application/x-www-form-urlencoded"),
        ]
    surrogate = f'{{"members": [{{"user": {{"id": "ada", "name": "{LONE}"}}}}]}}'
    cases += [
        invalid(
            "audiences-add-email",
            "audiences_add",
            "members.1.user.email",
            **members(ada, {"user": {"id": "b", "email": "x"}}),
        ),
        invalid(
            "audiences-add-timezone",
            "audiences_add",
            "members.0.user.timezone",
            **members({"user": {"id": "b", "timezone": "Mars/Base"}}),
        ),
        invalid(
            "audiences-add-inline-preferences",
            "audiences_add",
            "members.0.user.preferences.default.channel_types",
            **members({"user": {"id": "b", "preferences": {"default": {"channel_types": {"fax": True}}}}}),
        ),
        Case(
            "audiences-add-properties-300-kb",
            "audiences_add",
            422,
            "properties_too_large",
            "members.1.user.properties",
            members(ada, big),
        ),
        invalid(
            "audiences-add-create-audience-maybe",
            "audiences_add",
            "create_audience",
            query={"create_audience": "maybe"},
        ),
        invalid("audiences-add-surrogate-name", "audiences_add", "members.0.user.name", body=surrogate),
        invalid("audiences-list-page-size-0", "audiences_list", "page_size", query={"page_size": "0"}),
        invalid("audiences-list-page-size-51", "audiences_list", "page_size", query={"page_size": "51"}),
        invalid("audiences-list-page-size-abc", "audiences_list", "page_size", query={"page_size": "abc"}),
        invalid("audiences-list-after-not-a-cursor", "audiences_list", "after", query={"after": "not-a-cursor"}),
        invalid("audiences-list-after-5000-chars", "audiences_list", "after", query={"after": "A" * 5000}),
        invalid("audiences-list-before-a-user-cursor", "audiences_list", "before", query={"before": user_list_cursor}),
        invalid("audiences-list-after-forged-tenant", "audiences_list", "after", query={"after": forged_member}),
        invalid(
            "audiences-list-after-and-before",
            "audiences_list",
            "before",
            query={"after": forged_member, "before": forged_member},
        ),
    ]
    return cases


def schedule_cases() -> list[Case]:
    daily = [{"frequency": "daily", "hours": 9}]

    def create(**body: Any) -> dict[str, Any]:
        return {"body": {"workflow": "daily-digest", "recipients": [{"id": "ada"}], "repeats": daily, **body}}

    def rules(*rule: Any) -> dict[str, Any]:
        return create(repeats=list(rule))

    ids = {"schedule_ids": [A_UUID]}
    cases = [
        invalid(
            "schedules-create-no-timing", "schedules_create", "repeats", body={"workflow": "w", "recipients": ["a"]}
        ),
        invalid("schedules-create-repeats-empty-no-scheduled-at", "schedules_create", "repeats", **create(repeats=[])),
        invalid(
            "schedules-create-no-workflow", "schedules_create", "workflow", body={"recipients": ["a"], "repeats": daily}
        ),
        invalid("schedules-create-workflow-spaces", "schedules_create", "workflow", **create(workflow="Daily Digest")),
        invalid("schedules-create-no-recipients", "schedules_create", "recipients", **create(recipients=[])),
        invalid("schedules-create-101-recipients", "schedules_create", "recipients", **create(recipients=["a"] * 101)),
        invalid("schedules-create-recipients-string", "schedules_create", "recipients", **create(recipients="ada")),
        invalid("schedules-create-recipient-hash", "schedules_create", "recipients.0", **create(recipients=["a#b"])),
        invalid(
            "schedules-create-inline-email",
            "schedules_create",
            "recipients.0.email",
            **create(recipients=[{"id": "x", "email": "not-an-email"}]),
        ),
        invalid(
            "schedules-create-inline-timezone-traversal",
            "schedules_create",
            "recipients.0.timezone",
            **create(recipients=[{"id": "x", "timezone": "../../etc/passwd"}]),
        ),
        invalid(
            "schedules-create-frequency-yearly",
            "schedules_create",
            "repeats.0.frequency",
            **rules({"frequency": "yearly"}),
        ),
        invalid(
            "schedules-create-hours-24",
            "schedules_create",
            "repeats.0.hours",
            **rules({"frequency": "daily", "hours": 24}),
        ),
        invalid(
            "schedules-create-minutes-string",
            "schedules_create",
            "repeats.0.minutes",
            **rules({"frequency": "daily", "minutes": "30"}),
        ),
        invalid(
            "schedules-create-interval-0",
            "schedules_create",
            "repeats.0.interval",
            **rules({"frequency": "daily", "interval": 0}),
        ),
        invalid(
            "schedules-create-day-of-month-32",
            "schedules_create",
            "repeats.0.day_of_month",
            **rules({"frequency": "monthly", "day_of_month": 32}),
        ),
        invalid(
            "schedules-create-days-unknown",
            "schedules_create",
            "repeats.0.days.0",
            **rules({"frequency": "weekly", "days": ["funday"]}),
        ),
        invalid(
            "schedules-create-rule-extra-key",
            "schedules_create",
            "repeats.0.cron",
            **rules({"frequency": "daily", "cron": "* * * * *"}),
        ),
        invalid("schedules-create-11-rules", "schedules_create", "repeats", **rules(*[{"frequency": "daily"}] * 11)),
        invalid(
            "schedules-create-scheduled-at-words", "schedules_create", "scheduled_at", **create(scheduled_at="tomorrow")
        ),
        invalid("schedules-create-ending-at-number", "schedules_create", "ending_at", **create(ending_at=[2030])),
        invalid("schedules-create-data-a-list", "schedules_create", "data", **create(data=["x"])),
        invalid("schedules-create-tenant-without-id", "schedules_create", "tenant", **create(tenant={"name": "Acme"})),
        invalid("schedules-create-extra-key", "schedules_create", "recipient", **create(recipient="ada")),
        not_json("schedules-create-nested-10000-deep", "schedules_create", '{"data": ' + "[" * DEEP + "]" * DEEP + "}"),
        not_utf8("schedules-create-not-utf8", "schedules_create", b'{"workflow": "\xfe\xff"}'),
        media_type("schedules-create-content-type-text", "schedules_create", "text/plain"),
        invalid("schedules-update-no-ids", "schedules_update", "schedule_ids", body={"repeats": daily}),
        invalid("schedules-update-ids-empty", "schedules_update", "schedule_ids", body={"schedule_ids": []}),
        invalid("schedules-update-id-not-a-uuid", "schedules_update", "schedule_ids.0", body={"schedule_ids": ["a#b"]}),
        invalid("schedules-update-101-ids", "schedules_update", "schedule_ids", body={"schedule_ids": [A_UUID] * 101}),
        invalid(
            "schedules-update-workflow-not-changeable", "schedules_update", "workflow", body={**ids, "workflow": "x"}
        ),
        invalid(
            "schedules-update-hours-negative",
            "schedules_update",
            "repeats.0.hours",
            body={**ids, "repeats": [{"frequency": "daily", "hours": -1}]},
        ),
        not_json("schedules-update-truncated", "schedules_update", '{"schedule_ids": ['),
        invalid("schedules-delete-no-ids", "schedules_delete", "schedule_ids", body={}),
        invalid("schedules-delete-ids-string", "schedules_delete", "schedule_ids", body={"schedule_ids": A_UUID}),
        invalid(
            "schedules-delete-id-uppercase",
            "schedules_delete",
            "schedule_ids.0",
            body={"schedule_ids": [A_UUID.upper()]},
        ),
        invalid("schedules-delete-extra-key", "schedules_delete", "recipients", body={**ids, "recipients": ["a"]}),
        not_json("schedules-delete-single-quotes", "schedules_delete", "{'schedule_ids': []}"),
        invalid("schedules-list-no-workflow", "schedules_list", "workflow", query={}),
        invalid("schedules-list-workflow-hash", "schedules_list", "workflow", query={"workflow": "a#b"}),
        invalid(
            "schedules-list-page-size-51", "schedules_list", "page_size", query={"workflow": "w", "page_size": "51"}
        ),
        invalid(
            "schedules-list-after-not-a-cursor", "schedules_list", "after", query={"workflow": "w", "after": "nope"}
        ),
        invalid(
            "schedules-list-recipient-hash",
            "schedules_list",
            "recipients[].0",
            query={"workflow": "w", "recipients[]": ["a#b"]},
        ),
        invalid("schedules-list-tenant-hash", "schedules_list", "tenant", query={"workflow": "w", "tenant": "a#b"}),
        invalid("schedules-list-user-page-size-0", "schedules_list_user", "page_size", query={"page_size": "0"}),
        invalid("schedules-list-user-tenant-hash", "schedules_list_user", "tenant", query={"tenant": "a#b"}),
        invalid(
            "schedules-list-object-collection-dollar", "schedules_list_object", "collection", path={"collection": "$x"}
        ),
        invalid("schedules-list-object-after-5000", "schedules_list_object", "after", query={"after": "A" * 5000}),
        invalid("schedules-bulk-missing", "schedules_bulk_create", "schedules", body={}),
        invalid("schedules-bulk-empty", "schedules_bulk_create", "schedules", body={"schedules": []}),
        invalid(
            "schedules-bulk-an-object", "schedules_bulk_create", "schedules", body={"schedules": {"workflow": "w"}}
        ),
        invalid(
            "schedules-bulk-1001",
            "schedules_bulk_create",
            "schedules",
            body={"schedules": [{"workflow": "w", "recipient": "a", "repeats": daily}] * 1001},
        ),
        invalid(
            "schedules-bulk-extra-key", "schedules_bulk_create", "dry_run", body={"schedules": [{}], "dry_run": True}
        ),
        not_json(
            "schedules-bulk-nested-10000-deep",
            "schedules_bulk_create",
            '{"schedules": ' + "[" * DEEP + "]" * DEEP + "}",
        ),
        media_type("schedules-bulk-content-type-text", "schedules_bulk_create", "text/plain"),
    ]
    cases += path_id_cases("schedules_list_user", "user_id", "/v1/users/{}/schedules", ["257-chars", "hash", "nul"])
    cases += path_id_cases(
        "schedules_list_object", "object_id", "/v1/objects/projects/{}/schedules", ["slash", "blank", "escape-sequence"]
    )
    return cases


CASES: list[Case] = [
    *user_cases(),
    *list_cases("list"),
    *bulk_user_cases(),
    *bulk_operation_cases(),
    *merge_cases(),
    *workflow_cases(),
    *object_cases(),
    *channel_data_cases(),
    *preference_cases(),
    *tenant_cases(),
    *subscription_cases(),
    *audience_cases(),
    *schedule_cases(),
    *surrogate_cases(),
    *unrouted_cases(),
]
MIN_DISTINCT_CASES = 100


# --- running them ---------------------------------------------------------------------------------------


def route_key_of(sample: str) -> str:
    return str(json.loads((EVENTS_DIR / f"{sample}.json").read_text(encoding="utf-8"))["routeKey"])


@cache
def handler_for(sample: str) -> Handler:
    """The lambda_handler of the function template.yaml routes the sample's routeKey to."""
    function = next(route.function for route in http_api().routes if route.route_key == route_key_of(sample))
    module, attribute = handler_location(resources_of_type("AWS::Serverless::Function")[function]["Properties"])
    handler: Handler = getattr(importlib.import_module(module), attribute)
    return handler


@pytest.mark.usefixtures("idempotency_table")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_request_is_a_knock_4xx_and_writes_nothing(
    case: Case,
    load_event: EventLoader,
    lambda_context: FakeLambdaContext,
    nothing_written: Callable[[], None],
    nothing_published: Callable[[], None],
    schedule_group: str,
) -> None:
    # Given a route's sample request with one hostile change
    event = case.event(load_event)

    # When the function the template routes it to handles it
    response = handler_for(case.sample)(event, lambda_context)

    # Then the answer is the expected Knock-shaped 4xx, naming the field of a validation error
    assert response["statusCode"] < 500, response.get("body", "")[:500]
    body = assert_knock_error(response, case.status, case.code)
    if case.field_name is not None:
        assert case.field_name in error_fields(body), body
        assert case.field_name in body["message"], body
        assert all(error["message"] for error in body["errors"]), body
    # in the service's own words, not pydantic's
    assert not PYDANTIC_WORDING.search(json.dumps(body)), body
    # and nothing was written, queued, put on the bus, stored or armed on EventBridge Scheduler
    nothing_written()
    nothing_published()
    assert armed_schedules(schedule_group) == {}


def test_hostile_cases_are_at_least_100_distinct_requests_covering_every_route() -> None:
    ids = [case.id for case in CASES]
    signatures = {case.signature() for case in CASES}
    covered = {route_key_of(case.sample) for case in CASES}
    routes = {route.route_key for route in http_api().routes if route.authorized}  # the docs routes take no input

    assert len(set(ids)) == len(ids), "two cases share an id"
    assert len(signatures) == len(CASES), "two cases send the same request"
    assert len(CASES) >= MIN_DISTINCT_CASES, f"{len(CASES)} distinct hostile requests"
    assert covered == routes
    print(f"{len(CASES)} distinct hostile requests over {len(routes)} routes")
