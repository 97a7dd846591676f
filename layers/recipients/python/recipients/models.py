"""pydantic models of what crosses the wire: identify requests, users, pages.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, and every handler makes these classes at cold start.
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from recipients import jsontext
from recipients.errors import RecipientsError
from recipients.validation import (
    check_avatar,
    check_cancellation_key,
    check_collection,
    check_email,
    check_id,
    check_locale,
    check_phone_number,
    check_timezone,
    check_workflow_key,
    decode_path_segment,
    normalize_created_at,
)

RecipientId = Annotated[str, AfterValidator(check_id)]
"""An id from a JSON body: validated as sent."""

RecipientIdPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_id)]
"""An id from a URL path segment: percent-decoded once, then validated."""

RESERVED_PROPERTIES = ("name", "email", "avatar", "phone_number", "timezone", "locale", "created_at")
READ_ONLY_FIELDS = ("__typename", "updated_at")
"""Sent back by clients that PUT what they GET; ignored rather than stored as custom properties."""


class Model(BaseModel):
    """Every model here: its validator is built on first use, so a function builds only the models it uses."""

    model_config = ConfigDict(defer_build=True)


class RecipientWrite(Model):
    """What every identify body shares, for users and objects alike: reserved properties, channel
    data, preferences and custom keys, merged shallowly (see merge.py)."""

    model_config = ConfigDict(extra="allow", strict=True)
    reserved: ClassVar[tuple[str, ...]] = ("name", "timezone", "locale", "created_at")

    name: str | None = None
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = None
    locale: Annotated[str, AfterValidator(check_locale)] | None = None
    created_at: Annotated[str, AfterValidator(normalize_created_at)] | None = Field(
        None, description="ISO-8601 date-time, stored in UTC"
    )
    channel_data: dict[str, dict[str, Any]] | None = Field(None, description="Keyed by channel id; kept apart")
    preferences: dict[str, dict[str, Any]] | None = Field(None, description="Keyed by preference set; kept apart")

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(key in data for key in READ_ONLY_FIELDS):
            return {key: value for key, value in data.items() if key not in READ_ONLY_FIELDS}
        return data

    def reserved_sent(self) -> dict[str, str | None]:
        """The reserved properties present in the body (an explicit null included)."""
        return {key: getattr(self, key) for key in self.reserved if key in self.model_fields_set}

    def custom_properties(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class IdentifyUserRequest(RecipientWrite):
    """Body of `PUT /v1/users/{user_id}`: reserved properties, channel data, preferences, custom keys."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"name": "Ada Lovelace", "email": "ada@example.com", "plan": "pro"}},
    )
    reserved: ClassVar[tuple[str, ...]] = RESERVED_PROPERTIES

    id: RecipientId | None = Field(None, description="Optional; must equal the id in the path")
    email: Annotated[str, AfterValidator(check_email)] | None = None
    avatar: Annotated[str, AfterValidator(check_avatar)] | None = None
    phone_number: Annotated[str, AfterValidator(check_phone_number)] | None = None


class User(Model):
    """A user as returned by the API: reserved fields, then custom properties at the top level."""

    model_config = ConfigDict(extra="allow")

    typename: Literal["User"] = Field("User", alias="__typename")
    id: str
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    phone_number: str | None = None
    timezone: str | None = None
    locale: str | None = None
    created_at: str | None = Field(None, description="Caller-supplied ISO-8601 date-time, or null")
    updated_at: str = Field(description="Set by the service on every write")

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"__typename": "User", "id": self.id}
        wire.update({key: getattr(self, key) for key in RESERVED_PROPERTIES})
        wire["updated_at"] = self.updated_at
        wire.update(self.model_extra or {})
        return wire

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


ObjectCollection = Annotated[str, AfterValidator(check_collection)]
"""A collection name from a JSON body: the id rules, and not one the system reserves ("$...")."""

ObjectCollectionPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_collection)]


class SetObjectRequest(RecipientWrite):
    """Body of `PUT /v1/objects/{collection}/{object_id}`: like identify, without the user-only fields.

    An object's GET nests its properties under `properties`; a body may do the same, so that PUT
    of what GET returned changes nothing: the keys of a `properties` object are read as if they
    were sent at the top level.
    """

    model_config = ConfigDict(json_schema_extra={"example": {"name": "Apollo", "budget": 100}})

    id: RecipientId | None = Field(None, description="Optional; must equal the id in the path")
    collection: ObjectCollection | None = Field(None, description="Optional; must equal the collection in the path")
    properties: dict[str, Any] | None = Field(
        None, description="Optional, as GET returns them: its keys are read as if sent at the top level"
    )

    @model_validator(mode="before")
    @classmethod
    def _unnest_properties(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and isinstance(data.get("properties"), dict)):
            return data  # absent, or not an object: the field's own type check names it
        nested = data["properties"]
        unnested = {key: value for key, value in data.items() if key != "properties"}
        for key in nested:
            if key in unnested:
                raise RecipientsError.invalid_field(f"properties.{key}", "is also sent at the top level; send it once")
        return {**unnested, **nested}


class InlineIdentifyObjectRequest(SetObjectRequest):
    """An object inline in a trigger or a bulk set: like set, with the id and collection in the body."""

    id: RecipientId = Field(description="The object's id")
    collection: ObjectCollection = Field(description="The object's collection")


class RecipientObject(Model):
    """An object as returned by the API: name and custom properties nested under `properties`."""

    typename: Literal["Object"] = Field("Object", alias="__typename")
    id: str
    collection: str
    created_at: str | None = Field(None, description="Caller-supplied ISO-8601 date-time, or null")
    updated_at: str = Field(description="Set by the service on every write")
    properties: dict[str, Any] = Field(default_factory=dict, description="name, locale, timezone and custom keys")

    def to_wire(self) -> dict[str, Any]:
        return {
            "__typename": "Object",
            "id": self.id,
            "collection": self.collection,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "properties": self.properties,
        }

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


class PageInfo(Model):
    typename: Literal["PageInfo"] = Field("PageInfo", alias="__typename")
    after: str | None = None
    before: str | None = None
    page_size: int


class UserPage(Model):
    entries: list[User]
    page_info: PageInfo

    def to_json(self) -> str:
        return _page_json([user.to_wire() for user in self.entries], self.page_info)


class ObjectPage(Model):
    entries: list[RecipientObject]
    page_info: PageInfo

    def to_json(self) -> str:
        return _page_json([entry.to_wire() for entry in self.entries], self.page_info)


def _page_json(entries: list[dict[str, Any]], info: PageInfo) -> str:
    page_info = {"__typename": "PageInfo", "after": info.after, "before": info.before, "page_size": info.page_size}
    return jsontext.dumps({"entries": entries, "page_info": page_info})


class ErrorItem(Model):
    field: str
    message: str


class ErrorBody(Model):
    """Knock's error shape; `errors` is added on validation failures."""

    code: str
    message: str
    status: int
    type: str
    errors: list[ErrorItem] | None = None


class GatewayErrorBody(Model):
    """API Gateway's own answer when the authorizer refuses a request: `{"message": "Unauthorized"}`."""

    message: str


class MergeUserRequest(Model):
    """Body of `POST /v1/users/{user_id}/merge`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    from_user_id: RecipientId = Field(description="The user merged in, then deleted")


class InlineIdentifyUserRequest(IdentifyUserRequest):
    """One user in a bulk identify (or inline in a trigger): like identify, with the id in the body."""

    id: RecipientId = Field(description="The user's id")


MAX_BULK_ROWS = 1000


class BulkIdentifyRequest(Model):
    """Body of `POST /v1/users/bulk/identify`. Each row is validated on its own (see bulk.py)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"users": [{"id": "user_1", "name": "Ada"}]}}
    )

    users: list[Any] = Field(
        min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 users (objects with an id)"
    )


class BulkDeleteRequest(Model):
    """Body of `POST /v1/users/bulk/delete`."""

    model_config = ConfigDict(extra="forbid")

    user_ids: list[Any] = Field(min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 user ids")


class BulkSetObjectsRequest(Model):
    """Body of `POST /v1/objects/{collection}/bulk/set`. Each row is validated on its own (see bulk.py)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"objects": [{"id": "proj_1", "name": "Apollo"}]}}
    )

    objects: list[Any] = Field(
        min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 objects (each with an id)"
    )


class BulkDeleteObjectsRequest(Model):
    """Body of `POST /v1/objects/{collection}/bulk/delete`."""

    model_config = ConfigDict(extra="forbid")

    object_ids: list[Any] = Field(min_length=1, max_length=MAX_BULK_ROWS, description="1 to 1,000 object ids")


class BulkErrorItem(Model):
    """A row that was not written: Knock's `{id, collection}` plus where it was and why."""

    id: str
    collection: str | None = None
    index: int = Field(description="The row's position in the request's list")
    reason: str
    errors: list[ErrorItem] = Field(default_factory=list)


class BulkRow(Model):
    """One recipient's rows of a bulk call, as one write: what applying them in order would write."""

    indices: list[int] = Field(description="Where the rows it stands for were in the request's list")
    id: str
    attributes: dict[str, str] | None = Field(
        None, description="Stored attribute -> JSON text, to SET (identify, set); None for deletes"
    )


class BulkChunk(Model):
    """One queue message: rows of one operation, written together by bulk_worker."""

    operation_id: str
    chunk_index: int
    action: Literal["identify", "delete", "set_object", "delete_object"]
    rows: list[BulkRow]
    collection: str | None = Field(None, description="The objects' collection; None for users")

    def to_json(self) -> str:
        return jsontext.dumps(self.model_dump())


BulkStatus = Literal["queued", "processing", "completed", "failed"]


class BulkOperation(Model):
    typename: Literal["BulkOperation"] = Field("BulkOperation", alias="__typename")
    id: str
    name: str
    status: BulkStatus
    estimated_total_rows: int
    processed_rows: int = 0
    success_count: int = 0
    error_count: int = 0
    error_items: list[BulkErrorItem] = Field(default_factory=list)
    unlisted_error_count: int = Field(0, description="Error items this answer leaves out (see error_items_next)")
    error_items_next: str | None = Field(
        None, description="Where the error items after the last one listed are, when an answer cannot hold them all"
    )
    progress_path: str | None = None
    inserted_at: str
    updated_at: str
    started_at: str | None = None
    completed_at: str | None = None
    failed_at: str | None = None

    def to_json(self) -> str:
        return jsontext.dumps(self.model_dump(by_alias=True))


def _string_or_object(value: Any) -> Any:
    """One error naming the field when a value is neither form (pydantic would report one per form)."""
    if value is not None and not isinstance(value, str | dict):
        raise ValueError("must be a string (an id) or an object")
    return value


StringOrObject = Annotated[str | dict[str, Any] | None, BeforeValidator(_string_or_object)]


def _tenant_has_id(value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    if isinstance(value, dict) and not (isinstance(value.get("id"), str) and value["id"].strip()):
        raise ValueError("an inline tenant needs an id (a non-blank string)")
    return value


Tenant = Annotated[StringOrObject, AfterValidator(_tenant_has_id)]

WorkflowKeyPath = Annotated[str, BeforeValidator(decode_path_segment), AfterValidator(check_workflow_key)]
CancellationKey = Annotated[str, AfterValidator(check_cancellation_key)]
MAX_TRIGGER_RECIPIENTS = 1000


class WorkflowSettings(Model):
    model_config = ConfigDict(extra="forbid", strict=True)

    sandbox_mode: bool | None = None
    skip_delay: bool | None = None


class TriggerWorkflowRequest(Model):
    """Body of `POST /v1/workflows/{key}/trigger`. Each recipient is checked on its own (workflows.py)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "recipients": [
                    "user_1",
                    {"id": "user_2", "email": "b@example.com"},
                    {"id": "p1", "collection": "projects"},
                ],
                "actor": "user_3",
                "data": {"comment_id": "c_9"},
                "cancellation_key": "comment-c_9",
            }
        },
    )

    recipients: list[Any] = Field(
        min_length=1,
        max_length=MAX_TRIGGER_RECIPIENTS,
        description="1 to 1,000: a user id, an inline user {id, ...} or an object {id, collection, ...}",
    )
    actor: StringOrObject = Field(None, description="Who or what acted: same forms as a recipient")
    data: dict[str, Any] | None = Field(None, description="Passed to the run")
    tenant: Tenant = Field(None, description="A tenant id, or an inline tenant with an id")
    cancellation_key: CancellationKey | None = Field(None, description="Lets POST .../cancel find this run")
    settings: WorkflowSettings | None = None


class WorkflowRunResponse(Model):
    workflow_run_id: str = Field(description="A v4 UUID, one per trigger call")


class CancelWorkflowRequest(Model):
    """Body of `POST /v1/workflows/{key}/cancel`."""

    model_config = ConfigDict(extra="forbid")

    cancellation_key: CancellationKey = Field(description="The key given to trigger")
    recipients: list[Any] | None = Field(
        None, max_length=MAX_TRIGGER_RECIPIENTS, description="Only these recipients; every one when left out"
    )


class RecipientRef(Model):
    """A user (no collection) or an object, by key."""

    model_config = ConfigDict(frozen=True)

    id: str
    collection: str | None = None

    def to_wire(self) -> dict[str, str]:
        return {"id": self.id} if self.collection is None else {"id": self.id, "collection": self.collection}


class SkippedRecipient(Model):
    """A recipient a run left out, and why."""

    id: str
    collection: str | None = None
    index: int = Field(description="Its position in the trigger's recipients")
    reason: str


class WorkflowRun(Model):
    """A trigger as recorded: what ran, for whom (by count), who was skipped and whether it was cancelled."""

    id: str
    workflow_key: str
    status: Literal["triggered", "cancelled"] = "triggered"
    recipient_count: int
    skipped: list[SkippedRecipient] = Field(default_factory=list)
    cancellation_key: str | None = None
    inserted_at: str
    cancelled_at: str | None = None
    cancelled_recipients: list[RecipientRef] = Field(default_factory=list)
