"""pydantic models of workflow triggers and cancels, and of the runs they record.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from recipients.identity.models import RecipientRef, StringOrObject, Tenant
from recipients.kernel.models import Model
from recipients.kernel.rules import check_cancellation_key, check_workflow_key, decode_path_segment

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
