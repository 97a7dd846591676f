"""pydantic models of the bodies the objects routes take (set, alone, in bulk or inline), and collection names.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from recipients.identity.models import RecipientId, RecipientWrite
from recipients.kernel.errors import RecipientsError
from recipients.kernel.models import Model
from recipients.kernel.rules import MAX_BULK_ROWS, check_collection

ObjectCollection = Annotated[str, AfterValidator(check_collection)]
"""A collection name from a JSON body: the id rules, and not one the system reserves ("$...")."""


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
