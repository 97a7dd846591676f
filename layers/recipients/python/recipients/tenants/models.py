"""pydantic models of tenants: the set body (alone, in bulk or inline), the settings, and the answer.

A tenant is the object `$tenants/{id}`: its name and custom properties are stored as an object's
are, and answered at the top level (Knock's current API), with `settings` beside them.

No `from __future__ import annotations` here: pydantic would evaluate every annotation string as
each class is made, at every cold start that loads this module.
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field

from recipients.identity.models import PageInfo, RecipientId, RecipientWrite, page_json
from recipients.kernel import jsontext
from recipients.kernel.models import Model
from recipients.kernel.rules import check_avatar
from recipients.preferences.models import PreferenceSetRequest

Url = Annotated[str, AfterValidator(check_avatar)]


class Branding(Model):
    model_config = ConfigDict(extra="forbid", strict=True)

    primary_color: str | None = None
    primary_color_contrast: str | None = None
    logo_url: Url | None = None
    icon_url: Url | None = None
    dark_primary_color: str | None = None
    dark_primary_color_contrast: str | None = None
    dark_logo_url: Url | None = None
    dark_icon_url: Url | None = None


class TenantSettings(Model):
    model_config = ConfigDict(extra="forbid", strict=True)

    branding: Branding | None = Field(None, description="Replaced whole when sent; null clears it")
    preference_set: PreferenceSetRequest | None = Field(
        None, description="The tenant's default preference set: deep-merged, unless it says replace; null clears it"
    )


class SetTenantRequest(RecipientWrite):
    """Body of `PUT /v1/tenants/{id}`: name, settings, channel data, preferences and custom properties."""

    model_config = ConfigDict(json_schema_extra={"example": {"name": "Acme", "settings": {"branding": {}}}})
    reserved: ClassVar[tuple[str, ...]] = ("name", "timezone", "locale", "created_at")

    id: RecipientId | None = Field(None, description="Optional; must equal the id in the path")
    settings: TenantSettings | None = None


class TenantRequest(SetTenantRequest):
    """A tenant inline in a trigger (or a bulk set): like set, with the id in the body."""

    id: RecipientId = Field(description="The tenant's id")


class BulkSetTenantsRequest(Model):
    """Body of `POST /v1/tenants/bulk/set`. Each row is checked on its own (see tenants/bulk.py)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"tenants": ["acme", {"id": "globex"}]}})

    tenants: list[Any] = Field(min_length=1, max_length=1000, description="1 to 1,000 tenant ids or tenant objects")


class Tenant(Model):
    """A tenant as answered: name, settings and custom properties at the top level."""

    model_config = ConfigDict(extra="allow")

    typename: Literal["Tenant"] = Field("Tenant", alias="__typename")
    id: str
    name: str | None = None
    settings: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"__typename": "Tenant", "id": self.id, "name": self.name, "settings": self.settings}
        wire.update(self.model_extra or {})
        wire.update({"created_at": self.created_at, "updated_at": self.updated_at})
        return wire

    def to_json(self) -> str:
        return jsontext.dumps(self.to_wire())


class TenantPage(Model):
    entries: list[Tenant]
    page_info: PageInfo

    def to_json(self) -> str:
        return page_json([entry.to_wire() for entry in self.entries], self.page_info)
