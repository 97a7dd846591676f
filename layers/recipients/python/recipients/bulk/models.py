"""pydantic models of bulk operations: the users' bulk bodies, the operation, and the queue's chunks.

The other features' bulk bodies are with their other bodies (objects/requests.py,
subscriptions/requests.py, ...): a function builds only the bodies it takes.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from recipients.kernel import jsontext
from recipients.kernel.models import ErrorItem, Model
from recipients.kernel.rules import MAX_BULK_ROWS


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


class BulkErrorItem(Model):
    """A row that was not written: Knock's `{id, collection}` plus where it was and why."""

    id: str
    collection: str | None = None
    index: int = Field(description="The row's position in the request's list")
    reason: str
    errors: list[ErrorItem] = Field(default_factory=list)


class BulkRecipient(Model):
    """A recipient of a subscription row: a reference, or (with `attributes`) an inline one to identify first."""

    id: str
    collection: str | None = None
    attributes: dict[str, str] | None = Field(None, description="What identifying it SETs; None for a reference")
    edits: dict[str, list[dict[str, Any]]] | None = None


class BulkGroup(Model):
    """One request entry of a subscription row: its recipients and the subscriptions' properties (JSON text)."""

    index: int
    recipients: list[BulkRecipient]
    properties: str | None = None


class BulkRow(Model):
    """One recipient's rows of a bulk call, as one write: what applying them in order would write."""

    indices: list[int] = Field(description="Where the rows it stands for were in the request's list")
    id: str
    attributes: dict[str, str] | None = Field(
        None, description="Stored attribute -> JSON text, to SET (identify, set); None for deletes"
    )
    edits: dict[str, list[dict[str, Any]]] | None = Field(
        None, description="Stored attribute -> edits of its JSON object, in order (identity/edits.py)"
    )
    groups: list[BulkGroup] | None = Field(
        None, description="Subscribe and unsubscribe rows: the entries of one object, applied in order"
    )


class BulkChunk(Model):
    """One queue message: rows of one operation, written together by bulk_worker."""

    operation_id: str
    chunk_index: int
    action: Literal["identify", "delete", "set_object", "delete_object", "subscribe", "unsubscribe", "schedule"]
    rows: list[BulkRow]
    collection: str | None = Field(None, description="The objects' collection; None for users")

    def to_json(self) -> str:
        return jsontext.dumps(self.model_dump(exclude_none=True))  # every None is a field's default


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
